"""FiniteLossGuard stops on a non-finite loss and names the last good checkpoint."""
from types import SimpleNamespace

import pytest
import torch

from seqlab.callbacks import FiniteLossGuard, NonFiniteLossError


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
