"""FiniteLossGuard stops on a non-finite loss and names the last good checkpoint."""
from types import SimpleNamespace

import pytest
import pytorch_lightning as pl
import torch

from seqlab.training.callbacks import FiniteLossGuard, NonFiniteLossError


def trainer(last: str = "") -> SimpleNamespace:
    callbacks = [SimpleNamespace(best_model_path="", last_model_path=""), SimpleNamespace(best_model_path=last)]
    return SimpleNamespace(current_epoch=3, global_step=120, checkpoint_callbacks=callbacks)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_loss_stops_with_the_last_checkpoint_named(value: float) -> None:
    with pytest.raises(NonFiniteLossError, match=r"at epoch 3, step 120; .*Last good checkpoint: runs/last.ckpt"):
        FiniteLossGuard().on_train_batch_end(trainer("runs/last.ckpt"), None, {"loss": torch.tensor(value)}, None, 0)


class ScriptedLoss(pl.LightningModule):
    """Returns the scripted loss values, one per training step (kept differentiable)."""

    def __init__(self, losses: list[float]) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(1))
        self.losses = losses
        self.steps_run = 0

    def training_step(self, batch, batch_idx):
        self.steps_run += 1
        return self.weight.sum() * 0.0 + self.losses[batch_idx]

    def train_dataloader(self):
        return torch.utils.data.DataLoader(torch.zeros(len(self.losses), 1), batch_size=1)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


def fit(losses: list[float]) -> tuple[pl.Trainer, ScriptedLoss]:
    module = ScriptedLoss(losses)
    trainer = pl.Trainer(accelerator="cpu", max_epochs=1, callbacks=[FiniteLossGuard()], logger=False,
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(module)
    return trainer, module


def test_a_real_run_with_finite_losses_trains_to_the_end() -> None:
    trainer, module = fit([1.5, 0.5, 2.0, 1e30])
    assert module.steps_run == 4 and trainer.global_step == 4 and not trainer.interrupted


def test_a_real_run_stops_at_the_first_nan_loss() -> None:
    with pytest.raises(NonFiniteLossError, match=r"train/loss is nan at epoch 0, step 3; .*none written yet"):
        fit([1.5, 0.5, float("nan"), 1.0, 1.0])


def test_the_guard_reads_the_loss_in_either_form_and_skips_steps_without_one() -> None:
    guard, finite, nan = FiniteLossGuard(), torch.tensor(1.5), torch.tensor(float("nan"))
    for outputs in (finite, {"loss": finite}, None):
        assert guard.on_train_batch_end(trainer(), None, outputs, None, 0) is None
    for outputs in (nan, {"loss": nan}):  # the same calls with a NaN loss do raise
        with pytest.raises(NonFiniteLossError, match="train/loss is nan"):
            guard.on_train_batch_end(trainer(), None, outputs, None, 0)


def test_linear_warmup_raises_each_group_to_its_own_rate():
    from seqlab.training.callbacks import LinearWarmup

    weights = [torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(1))]
    optimizer = torch.optim.Adam([{"params": [weights[0]], "lr": 1e-3}, {"params": [weights[1]], "lr": 1e-4}])
    trainer = SimpleNamespace(optimizers=[optimizer], global_step=0)
    warmup = LinearWarmup(steps=10)
    warmup.on_train_start(trainer, None)
    seen = []
    for step in (0, 4, 9, 10, 50):
        trainer.global_step = step
        warmup.on_train_batch_start(trainer, None, None, 0)
        seen.append([group["lr"] for group in optimizer.param_groups])
    assert seen[0] == pytest.approx([1e-4, 1e-5]) and seen[1] == pytest.approx([5e-4, 5e-5])
    assert seen[2] == seen[3] == seen[4] == pytest.approx([1e-3, 1e-4])  # then the schedule's own
    resumed = LinearWarmup(steps=10)
    resumed.load_state_dict(warmup.state_dict())
    assert resumed.targets == pytest.approx([1e-3, 1e-4])
