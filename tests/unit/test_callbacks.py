"""FiniteLossGuard stops on a non-finite loss and names the last good checkpoint."""
from types import SimpleNamespace

import pytest
import torch

from seqlab.train.callbacks import FiniteLossGuard, NonFiniteLossError


def trainer(last: str = "") -> SimpleNamespace:
    callbacks = [SimpleNamespace(best_model_path="", last_model_path=""), SimpleNamespace(best_model_path=last)]
    return SimpleNamespace(current_epoch=3, global_step=120, checkpoint_callbacks=callbacks)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_loss_stops_with_the_last_checkpoint_named(value: float) -> None:
    with pytest.raises(NonFiniteLossError, match=r"at epoch 3, step 120; .*Last good checkpoint: runs/last.ckpt"):
        FiniteLossGuard().on_train_batch_end(trainer("runs/last.ckpt"), None, {"loss": torch.tensor(value)}, None, 0)


def test_finite_loss_passes() -> None:
    FiniteLossGuard().on_train_batch_end(trainer(), None, torch.tensor(1.5), None, 0)
    FiniteLossGuard().on_train_batch_end(trainer(), None, None, None, 0)


def test_linear_warmup_raises_each_group_to_its_own_rate():
    from seqlab.train.callbacks import LinearWarmup

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
