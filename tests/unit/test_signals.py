"""Stopping on signals, writable output checks, .partial files never outliving their writer, and the
unpickling refusal's advice."""
from __future__ import annotations

import errno
import os
import signal
from pathlib import Path

import pytest
import torch

from seqlab.console import progress_bar_wanted
from seqlab.errors import OutputError
from seqlab.signals import Interrupted, StopSignals
from seqlab.writable import check_writable_folder


def test_outside_a_loop_a_signal_raises_interrupted_with_the_shell_exit_code() -> None:
    with pytest.raises(Interrupted) as caught, StopSignals():
        signal.raise_signal(signal.SIGTERM)
    assert (caught.value.signum, caught.value.exit_code, str(caught.value)) == (15, 143, "interrupted by SIGTERM")
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL, "the previous handler is back"


def test_under_a_loop_handler_the_first_sigint_is_passed_on_as_sigterm_and_a_second_one_raises() -> None:
    """A loop that installs a chaining SIGTERM handler (as Lightning's trainer does) is told to stop
    after its step on the first SIGINT; a second SIGINT aborts at once."""
    seen: list[int] = []
    with StopSignals() as signals:
        previous = signal.getsignal(signal.SIGTERM)

        def loop_handler(signum, frame):  # Lightning: note the signal, then call the handler it replaced
            seen.append(signum)
            previous(signum, frame)

        signal.signal(signal.SIGTERM, loop_handler)
        signal.raise_signal(signal.SIGINT)
        assert seen == [signal.SIGTERM] and signals.received == signal.SIGINT
        with pytest.raises(Interrupted) as caught:
            signal.raise_signal(signal.SIGINT)
        signal.signal(signal.SIGTERM, previous)
    assert caught.value.exit_code == 130


def test_a_folder_under_a_file_is_not_writable(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    with pytest.raises(OutputError, match=r"^out=.*/f/x: cannot write there \(a part of the path is a file"):
        check_writable_folder(tmp_path / "f" / "x", "out")


def test_a_read_only_folder_is_not_writable(tmp_path: Path) -> None:
    tmp_path.chmod(0o500)
    try:
        if os.access(tmp_path, os.W_OK):
            pytest.skip("running as root: a read-only folder is still writable")
        with pytest.raises(OutputError, match=r"permission denied or read-only"):
            check_writable_folder(tmp_path / "run", "hydra.run.dir")
    finally:
        tmp_path.chmod(0o700)


def test_a_full_disk_is_not_writable(tmp_path: Path, monkeypatch) -> None:
    import shutil

    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10**9, 10**9, 100))
    with pytest.raises(OutputError, match=r"its disk is full: 100 bytes free"):
        check_writable_folder(tmp_path, "paths.output_dir")
    assert list(tmp_path.iterdir()) == [], "the probe file is removed"


def test_a_checkpoint_write_that_fails_leaves_no_partial_and_keeps_the_old_file(tmp_path: Path, monkeypatch) -> None:
    from pytorch_lightning.plugins.io import TorchCheckpointIO

    from seqlab.training.checkpoint import AtomicCheckpointIO

    target = tmp_path / "last.ckpt"
    target.write_bytes(b"previous")

    def disk_full(self, checkpoint, path, storage_options=None):
        Path(path).write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(TorchCheckpointIO, "save_checkpoint", disk_full)
    with pytest.raises(OutputError, match=r"last.ckpt: cannot be written \(No space left on device\); the previous"):
        AtomicCheckpointIO().save_checkpoint({"x": 1}, target)
    assert [p.name for p in tmp_path.iterdir()] == ["last.ckpt"] and target.read_bytes() == b"previous"


def test_a_stale_partial_in_the_run_folder_is_removed_by_the_next_run(tmp_path: Path) -> None:
    from seqlab.training.pipeline import remove_stale_partials

    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / ".epoch003-step40.ckpt.partial").write_bytes(b"half")
    (tmp_path / "checkpoints" / "last.ckpt").write_bytes(b"whole")
    remove_stale_partials(tmp_path)
    assert [p.name for p in (tmp_path / "checkpoints").iterdir()] == ["last.ckpt"]


def test_the_unpickling_refusal_says_what_to_do_and_never_suggests_weights_only_false(tmp_path: Path) -> None:
    from seqlab.predict.checkpoint_file import CheckpointError, read_checkpoint

    class Payload:
        def __reduce__(self):
            return (os.getcwd, ())

    path = tmp_path / "payload.ckpt"
    torch.save({"seqlab": Payload()}, path)
    with pytest.raises(CheckpointError) as caught:
        read_checkpoint(path)
    message = str(caught.value)
    assert "refused: it names posix.getcwd" in message and "weights_only" not in message
    assert message.endswith("if seqlab wrote it, re-export it with this seqlab (or train it again); otherwise load "
                            "only files from a source you trust")


def test_progress_bars_are_off_when_stdout_is_not_a_terminal(monkeypatch) -> None:
    class Pipe:
        def isatty(self) -> bool:
            return False

    monkeypatch.setattr("sys.stdout", Pipe())
    assert progress_bar_wanted(None) is False and progress_bar_wanted(True) is True
