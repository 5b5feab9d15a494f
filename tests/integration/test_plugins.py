"""Task plug-ins: the example package installed with pip, found by the CLI, errors that name it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # pip-installs the example plug-in and runs CLI trainings with it

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "seqlab-pos"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The example plug-in pip-installed into a folder of its own (offline: no build isolation)."""
    target = tmp_path_factory.mktemp("site")
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-build-isolation", "--no-deps",
               "--no-index", "--target", str(target), str(EXAMPLE)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return target


def run(args: list[str], site: Path | None, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if site is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=600)


def test_installed_plugin_is_listed(site: Path, tmp_path: Path) -> None:
    result = run(["-m", "seqlab.cli.tasks"], site, tmp_path)
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()[1:]}
    assert rows["pos"] == ["seqlab-pos", "seqlab_pos.task.PosTaggingTask"]
    assert rows["ner"][0] == "seqlab" and rows["sentiment"][0] == "seqlab"


def test_installed_plugin_runs_from_the_cli_with_its_own_metric(site: Path, tmp_path: Path) -> None:
    result = run(["-m", "seqlab.cli.train", "task=pos", "trainer.fast_dev_run=true",
                  f"hydra.run.dir={tmp_path / 'run'}"], site, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert "test/accuracy" in results and "val/accuracy_best" in results
    report = (tmp_path / "run" / "reports" / "test_report.txt").read_text()
    assert "accuracy" in report and "NNP" in report  # per-tag report over the POS column
    assert (tmp_path / "run" / "reports" / "test_confusion.png").is_file()


def test_a_plugin_checkpoint_predicts_and_exports_with_the_plugins_own_output(site: Path, tmp_path: Path) -> None:
    """The checkpoint names the output "pos", found in the plug-in's seqlab.outputs entry point."""
    trained = run(["-m", "seqlab.cli.train", "task=pos", "trainer.max_epochs=1", "trainer.enable_progress_bar=false",
                   f"hydra.run.dir={tmp_path / 'run'}"], site, tmp_path)
    assert trained.returncode == 0, trained.stderr[-3000:]
    checkpoint = json.loads((tmp_path / "run" / "results.json").read_text())["best_checkpoint"]
    (tmp_path / "in.txt").write_text("EU rejects German call .\n\n")
    for source in ([f"ckpt_path={checkpoint}"], [f"ckpt_path={checkpoint}", "backend=onnx"]):
        predicted = run(["-m", "seqlab.cli.predict", *source, f"input={tmp_path / 'in.txt'}", "output=-",
                         f"hydra.run.dir={tmp_path / 'predict'}"], site, tmp_path)
        assert predicted.returncode == 0, predicted.stderr[-3000:]
        first, empty = [json.loads(line) for line in predicted.stdout.splitlines()]
        assert first["tokens"] == ["EU", "rejects", "German", "call", "."] and len(first["tags"]) == 5
        assert set(first) == {"text", "tokens", "tags"}  # PosOutput's description: no spans
        assert empty == {"text": "", "tokens": [], "tags": []}


def test_misspelt_task_suggests_the_closest(site: Path, tmp_path: Path) -> None:
    result = run(["-m", "seqlab.cli.train", "task=poss"], site, tmp_path)
    assert result.returncode == 2
    assert "unknown task 'poss'. Did you mean task=pos? Available tasks: ner, pos, sentiment" in result.stderr


def test_registry_imports_no_plugin(site: Path, tmp_path: Path) -> None:
    code = ("import sys, seqlab, seqlab.training.pipeline\nfrom seqlab.registry import available_tasks\n"
            "assert 'pos' in available_tasks()\nprint(sorted(m for m in sys.modules if m.startswith('seqlab_pos')))")
    result = run(["-c", code], site, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def broken_plugin(tmp_path: Path, target: str | None) -> tuple[Path, Path]:
    """A registered plug-in 'broken' (package broken-plugin) whose config lacks or misnames its class."""
    site = tmp_path / "site"
    info = site / "broken_plugin-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[seqlab.tasks]\nbroken = broken_plugin.task:BrokenTask\n")
    conf = tmp_path / "conf" / "task"
    conf.mkdir(parents=True)
    body = f"task:\n  _target_: {target}\n" if target else "task:\n  scheduler_interval: epoch\n"
    (conf / "broken.yaml").write_text("# @package _global_\n" + body)
    return site, tmp_path / "conf"


@pytest.mark.parametrize(
    "target, message",
    [
        (None, "task 'broken' (package broken-plugin): its config has no task._target_"),
        ("broken_plugin.task.BrokenTask", "task 'broken' (package broken-plugin): task._target_ "
                                          "'broken_plugin.task.BrokenTask' cannot be imported"),
    ],
)
def test_broken_plugin_config_names_the_plugin_and_the_key(tmp_path: Path, target, message) -> None:
    site, conf = broken_plugin(tmp_path, target)
    result = run(["-m", "seqlab.cli.train", "task=broken", f"hydra.searchpath=[file://{conf}]",
                  f"hydra.run.dir={tmp_path / 'run'}"], site, tmp_path)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr[-2000:]
