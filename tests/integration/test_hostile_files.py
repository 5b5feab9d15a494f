"""Hostile checkpoints are refused alike on every road: resuming training, evaluating, predicting,
exporting, ``seqlab-info`` and serving each exit 2 with one line naming the file, before anything
the stored config names is built.

One real checkpoint is trained once; each hostile copy edits its stored config and is saved again.
"""
from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from seqlab.training.checkpoint import AtomicCheckpointIO, CheckpointError, read_checkpoint
from seqlab.predict.checkpoint_file import NETWORK_SECTIONS, SECTIONS
from seqlab.training.pipeline import train
from seqlab.targets import locate
from tests.conftest import FAST, compose_config

#: The command each hostile checkpoint would run, were its target called: it creates MARKER.
MARKER = "pwned"


def _evil(marker: Path) -> dict:
    return {"_target_": "os.system", "command": f"touch {marker}"}


def _callbacks(config: dict, marker: Path) -> None:
    config["callbacks"]["evil"] = _evil(marker)


def _logger(config: dict, marker: Path) -> None:
    config["logger"]["evil"] = _evil(marker)


def _trainer_plugins(config: dict, marker: Path) -> None:
    config["trainer"]["plugins"].append(_evil(marker))


def _trainer_strategy(config: dict, marker: Path) -> None:
    config["trainer"]["strategy"] = _evil(marker)


def _optimizer(config: dict, marker: Path) -> None:
    config["optimizer"] = {**_evil(marker), "_partial_": True}


def _scheduler(config: dict, marker: Path) -> None:
    config["scheduler"] = {**_evil(marker), "_partial_": True}


def _interpolation(config: dict, marker: Path) -> None:
    config["data"]["dir"] = "${oc.env:HOME}"


#: Each hostile edit, with the key the refusal names.
HOSTILE = {
    "callbacks": (_callbacks, "config callbacks.evil._target_ names 'os.system'"),
    "logger": (_logger, "config logger.evil._target_ names 'os.system'"),
    "trainer-plugins": (_trainer_plugins, "config trainer.plugins[1]._target_ names 'os.system'"),
    "trainer-strategy": (_trainer_strategy, "config trainer.strategy._target_ names 'os.system'"),
    "optimizer": (_optimizer, "config optimizer._target_ names 'os.system'"),
    "scheduler": (_scheduler, "config scheduler._target_ names 'os.system'"),
    "interpolation": (_interpolation, "config data.dir holds an interpolation '${oc.env:HOME}'"),
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """A real checkpoint (``last.ckpt``) of a short run."""
    out = tmp_path_factory.mktemp("trained")
    train(compose_config(out))
    return out / "checkpoints" / "last.ckpt"


def hostile(trained: Path, folder: Path, name: str) -> Path:
    """A copy of ``trained`` with the hostile edit ``name`` in its stored config."""
    checkpoint = torch.load(trained, map_location="cpu", weights_only=True)
    HOSTILE[name][0](checkpoint["seqlab"]["config"], folder / MARKER)
    path = folder / f"{name}.ckpt"
    torch.save(checkpoint, path)
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def road(name: str, ckpt: Path, tmp_path: Path) -> tuple[str, list[str], str | None]:
    """``(program, command line, stdin)`` of the road ``name`` opening ``ckpt``."""
    run = f"hydra.run.dir={tmp_path / 'run'}"
    commands = {
        "train": ("seqlab-train", ["seqlab.cli.train", f"ckpt_path={ckpt}", run, f"data.cache_dir={tmp_path / 'c'}",
                                   *FAST, "trainer.max_epochs=3"]),
        "eval": ("seqlab-eval", ["seqlab.cli.evaluate", f"ckpt_path={ckpt}", run]),
        "predict": ("seqlab-predict", ["seqlab.cli.predict", f"ckpt_path={ckpt}", "input=-", "output=-", run]),
        "export": ("seqlab-export", ["seqlab.cli.export", f"ckpt_path={ckpt}", f"output={tmp_path / 'model'}", run]),
        "info": ("seqlab-info", ["seqlab.cli.info", str(ckpt)]),
        "serve": ("seqlab-serve", ["seqlab.cli.serve", f"ckpt_path={ckpt}", f"port={free_port()}", run]),
    }
    program, args = commands[name]
    return program, [sys.executable, "-m", *args], "EU rejects German call .\n" if name == "predict" else None


def assert_refused(name: str, ckpt: Path, tmp_path: Path, expected: str) -> None:
    """The road ``name`` exits 2 with one line on stderr: the refusal of ``ckpt``; nothing ran."""
    program, command, stdin = road(name, ckpt, tmp_path)
    result = subprocess.run(command, input=stdin, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"{program}: error: {ckpt}: {expected}"), (
        result.stderr[-3000:]
    )
    assert not (tmp_path / MARKER).exists()
    if name == "train":  # refused before the run built or wrote anything
        assert not (tmp_path / "run" / "checkpoints").exists() and not (tmp_path / "run" / "logs").exists()
    if name == "export":
        assert not (tmp_path / "model").exists()


ROADS = ["train", "eval", "predict", "export", "info", "serve"]
#: The roads checked on every hostile config unmarked: the one that was open, and the cheapest.
FAST_ROADS = ("train", "info")
#: Each hostile config on these roads is the slow matrix (``-m slow``); the fast subset runs one.
SLOW = pytest.mark.slow


@pytest.mark.parametrize("name", [
    "callbacks",
    *(pytest.param(n, marks=SLOW) for n in HOSTILE if n != "callbacks"),
])
def test_resuming_refuses_every_hostile_config(trained: Path, tmp_path: Path, name: str) -> None:
    """The road that was open: ``seqlab-train ckpt_path=X`` read X with Lightning alone."""
    assert_refused("train", hostile(trained, tmp_path, name), tmp_path, HOSTILE[name][1])


@pytest.mark.parametrize("name", list(HOSTILE))
def test_info_refuses_every_hostile_config(trained: Path, tmp_path: Path, name: str) -> None:
    """The cheapest road, and the shallowest check (it builds nothing): package names suffice."""
    assert_refused("info", hostile(trained, tmp_path, name), tmp_path, HOSTILE[name][1])


@pytest.mark.parametrize("name", [
    "predict",
    *(pytest.param(r, marks=SLOW) for r in ROADS if r not in (*FAST_ROADS, "predict")),
])
def test_every_road_refuses_a_hostile_trainer_node(trained: Path, tmp_path: Path, name: str) -> None:
    assert_refused(name, hostile(trained, tmp_path, "trainer-plugins"), tmp_path, HOSTILE["trainer-plugins"][1])


@SLOW
@pytest.mark.parametrize("name", [r for r in ROADS if r not in FAST_ROADS])
def test_every_road_refuses_an_interpolation(trained: Path, tmp_path: Path, name: str) -> None:
    assert_refused(name, hostile(trained, tmp_path, "interpolation"), tmp_path, HOSTILE["interpolation"][1])


def test_serve_refuses_before_binding_its_port(trained: Path, tmp_path: Path) -> None:
    """With the port taken, a server that tried to bind would fail otherwise: the refusal comes first."""
    ckpt = hostile(trained, tmp_path, "callbacks")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "seqlab.cli.serve", f"ckpt_path={ckpt}", f"port={port}",
                                 f"hydra.run.dir={tmp_path / 'run'}"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr[-3000:]
    assert result.stderr.startswith(f"seqlab-serve: error: {ckpt}: {HOSTILE['callbacks'][1]}"), result.stderr


def test_resuming_from_last_checks_the_file_lightning_resolves(trained: Path, tmp_path: Path) -> None:
    """``ckpt_path=last`` is resolved by Lightning, which loads it through seqlab's checkpoint plugin."""
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    last = run / "checkpoints" / "last.ckpt"
    hostile(trained, tmp_path, "logger").rename(last)
    command = [sys.executable, "-m", "seqlab.cli.train", "ckpt_path=last", f"hydra.run.dir={run}",
               f"data.cache_dir={tmp_path / 'c'}", *FAST, "trainer.max_epochs=3"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"seqlab-train: error: {last}: {HOSTILE['logger'][1]}"), result.stderr
    assert not (tmp_path / MARKER).exists()


def test_lightning_loads_through_seqlabs_reader(trained: Path, tmp_path: Path) -> None:
    """The checkpoint plugin's load is :func:`read_checkpoint`: weights only, config checked."""
    io = AtomicCheckpointIO()
    loaded = io.load_checkpoint(trained)
    assert loaded["seqlab"]["config"] == read_checkpoint(trained)["seqlab"]["config"]
    with pytest.raises(CheckpointError, match=r"config callbacks\.evil\._target_ names 'os\.system'"):
        io.load_checkpoint(hostile(trained, tmp_path, "callbacks"))


def test_resuming_needs_seqlabs_checkpoint_plugin(trained: Path, tmp_path: Path) -> None:
    from seqlab.errors import ConfigError

    cfg = compose_config(tmp_path, f"ckpt_path={trained}", "trainer.plugins=[]")
    with pytest.raises(ConfigError, match="keep it in trainer.plugins"):
        train(cfg)


def edited(trained: Path, tmp_path: Path, change) -> Path:
    checkpoint = torch.load(trained, map_location="cpu", weights_only=True)
    change(checkpoint["seqlab"]["config"])
    path = tmp_path / "edited.ckpt"
    torch.save(checkpoint, path)
    return path


@pytest.mark.parametrize("change, key, problem", [
    (lambda c: c["callbacks"].update(x={"_target_": "pytorch_lightning.loggers.CSVLogger", "save_dir": "."}),
     "callbacks.x", "is not a pytorch_lightning.callbacks.Callback"),
    (lambda c: c["logger"].update(x={"_target_": "pytorch_lightning.callbacks.EarlyStopping"}),
     "logger.x", "is not a pytorch_lightning.loggers.Logger"),
    (lambda c: c["trainer"].update(_target_="seqlab.training.checkpoint.AtomicCheckpointIO"),
     "trainer", "is not a pytorch_lightning.Trainer"),
    (lambda c: c["trainer"].update(strategy={"_target_": "pytorch_lightning.Trainer"}),
     "trainer.strategy", "is not a pytorch_lightning.strategies.Strategy or"),
    (lambda c: c["callbacks"].update(x={"_target_": "torch.nn.Linear"}),
     "callbacks.x", "is not from pytorch_lightning or seqlab"),
    (lambda c: c["optimizer"].update(_target_="pytorch_lightning.Trainer"),
     "optimizer", "is not from seqlab or torch"),
    (lambda c: c.update(extra={"deep": [{"_target_": "torch.nn.Linear"}]}),
     r"extra\.deep\[0\]", "is not from seqlab"),
    (lambda c: c["paths"].update(_target_="pytorch_lightning.Trainer"),
     "paths", "is not from seqlab"),
    (lambda c: c.update(_target_="builtins.eval"),
     "", "is not from seqlab"),
])
def test_every_target_is_checked_by_its_section(trained: Path, tmp_path: Path, change, key: str,
                                                problem: str) -> None:
    path = edited(trained, tmp_path, change)
    name = rf"config {key}\._target_" if key else "config _target_"
    with pytest.raises(CheckpointError, match=rf"{name} names '[\w.]+', which {problem}"):
        read_checkpoint(path)


def test_sections_not_built_are_checked_by_package_name_without_importing(trained: Path, tmp_path: Path) -> None:
    """A reader of the network alone checks the rest by name: a Lightning class of the wrong kind
    passes there (nothing builds it), and is refused by a reader that builds everything."""
    path = edited(trained, tmp_path, lambda c: c["callbacks"].update(x={"_target_": "pytorch_lightning.Trainer"}))
    read_checkpoint(path, builds=NETWORK_SECTIONS)
    read_checkpoint(path, builds=())
    with pytest.raises(CheckpointError, match="is not a pytorch_lightning.callbacks.Callback"):
        read_checkpoint(path)


def test_every_section_kind_exists() -> None:
    for section in SECTIONS.values():
        for kind in (*section.kinds, *section.top):
            assert isinstance(locate(kind), type), kind
