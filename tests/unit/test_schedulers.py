"""Learning-rate schedulers from config: plateau decay is wired to the selection metric."""
from __future__ import annotations

import pytest
import torch

from seqlab.training.optim import InverseTimeDecay
from seqlab.training.build import build_datamodule, build_task


def _task(make_config, *overrides):
    cfg = make_config(*overrides)
    dm = build_datamodule(cfg)
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
    from seqlab.training.pipeline import train

    results = train(make_config("scheduler=plateau", "trainer.max_epochs=3"))
    assert results["epochs"] == 3


def test_lr_scales_train_a_module_at_a_fraction_of_the_rate(make_config):
    task = _task(make_config, "scheduler=plateau", "scheduler.patience=0", "task.lr_scales={embedder.parts.word:0.1}")
    config = task.configure_optimizers()
    optimizer, scheduler = config["optimizer"], config["lr_scheduler"]["scheduler"]
    base, word = optimizer.param_groups
    assert len(word["params"]) == 1 and word["params"][0] is task.embedder.parts["word"].weight
    assert not any(p is task.embedder.parts["word"].weight for p in base["params"])
    assert len(base["params"]) + 1 == len([p for p in task.parameters() if p.requires_grad])
    assert word["lr"] == base["lr"] * 0.1 == optimizer.defaults["lr"] * 0.1
    for f1 in (0.5, 0.5):
        scheduler.step(f1)
    assert word["lr"] == base["lr"] * 0.1 == optimizer.defaults["lr"] * 0.05  # schedules keep the ratio


def test_lr_scales_the_longest_prefix_wins(make_config):
    task = _task(make_config, "~scheduler", "task.lr_scales={embedder:0.5,embedder.parts.word:0.1}")
    groups = {g["lr_scale"]: g["params"] for g in task.configure_optimizers().param_groups}
    assert len(groups[0.1]) == 1 and groups[0.1][0] is task.embedder.parts["word"].weight
    assert any(p is task.embedder.parts["char"].embedding.weight for p in groups[0.5])
    assert not any(p is task.embedder.parts["word"].weight for p in groups[0.5])


def test_lr_scales_reject_unknown_prefixes_and_bad_scales(make_config):
    with pytest.raises(ValueError, match="'embeder.word' names no trainable parameter"):
        _task(make_config, "task.lr_scales={embeder.word:0.1}").configure_optimizers()
    with pytest.raises(ValueError, match="must be > 0"):
        _task(make_config, "task.lr_scales={embedder.parts.word:0}").configure_optimizers()


def test_the_default_recipe_halves_on_plateau_and_survives_epochs_without_validation(make_config):
    from seqlab.training.pipeline import train

    cfg = make_config("trainer.max_epochs=2", "+trainer.check_val_every_n_epoch=2")
    assert cfg.scheduler._target_.endswith("ReduceLROnPlateau") and cfg.trainer.max_epochs == 2
    assert train(cfg)["epochs"] == 2  # epoch 1 has no dev metric: the rate stays, no error
