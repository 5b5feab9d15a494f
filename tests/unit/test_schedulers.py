"""Learning-rate schedulers from config: plateau decay is wired to the selection metric."""
from __future__ import annotations

import torch

from seqlab.optim import InverseTimeDecay
from seqlab.pipeline import build, build_task


def _task(make_config, *overrides):
    cfg = make_config(*overrides)
    dm = build(cfg.data)
    dm.setup("fit")
    torch.manual_seed(0)
    return build_task(cfg, dm.spec)


def test_plateau_scheduler_monitors_the_selection_metric(make_config):
    task = _task(make_config, "scheduler=plateau", "scheduler.patience=3")
    config = task.configure_optimizers()
    scheduler = config["lr_scheduler"]
    assert isinstance(scheduler["scheduler"], torch.optim.lr_scheduler.ReduceLROnPlateau)
    assert scheduler["monitor"] == f"val/{task.selection_metric}" == "val/f1"
    assert scheduler["interval"] == "epoch"
    assert scheduler["scheduler"].mode == "max" and scheduler["scheduler"].patience == 3


def test_plateau_scheduler_halves_the_rate_when_f1_stalls(make_config):
    task = _task(make_config, "scheduler=plateau", "scheduler.patience=1")
    config = task.configure_optimizers()
    optimizer, scheduler = config["optimizer"], config["lr_scheduler"]["scheduler"]
    lr = optimizer.param_groups[0]["lr"]
    for f1 in (0.5, 0.6, 0.6, 0.6):
        scheduler.step(f1)
    assert optimizer.param_groups[0]["lr"] == lr / 2


def test_other_schedulers_have_no_monitor(make_config):
    config = _task(make_config, "scheduler=inverse_time").configure_optimizers()
    assert isinstance(config["lr_scheduler"]["scheduler"], InverseTimeDecay)
    assert "monitor" not in config["lr_scheduler"]


def test_training_with_plateau_scheduler_runs(make_config):
    from seqlab.pipeline import train

    results = train(make_config("scheduler=plateau", "trainer.max_epochs=3"))
    assert results["epochs"] == 3
