"""What a run prints: third-party libraries' progress bars, tips and warnings are silenced by
default (``library_logs=true`` shows them), so the console holds seqlab's own lines."""

from __future__ import annotations

import logging
import os
import sys
import warnings

#: Loggers of libraries whose INFO lines (device summaries, tips, plotting internals) are noise here.
NOISY_LOGGERS = ("pytorch_lightning", "lightning.pytorch", "lightning_fabric", "lightning", "matplotlib", "datasets")
#: Packages whose warnings (deprecations, "possible user warnings") are silenced.
NOISY_PACKAGES = r"(pytorch_lightning|lightning_fabric|lightning|torchmetrics|datasets|torch)(\..*)?"


def quiet_libraries() -> None:
    """Silence third-party INFO logs, warnings and the ``datasets`` progress bars."""
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", module=NOISY_PACKAGES)
    import datasets

    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # transformers' weight-loading bars
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def progress_bar_wanted(setting: bool | None) -> bool:
    """``trainer.enable_progress_bar``: ``None`` means on when standard output (where Lightning's
    tqdm and Rich bars write) is a terminal, off when it is redirected to a file or a pipe."""
    return sys.stdout.isatty() if setting is None else bool(setting)


def library_bars_only_on_a_terminal() -> None:
    """Turn off the ``datasets`` and Hugging Face hub progress bars (on standard error) when it is
    not a terminal, whatever ``library_logs`` says: a log file never holds a progress bar."""
    if sys.stderr.isatty():
        return
    import datasets

    datasets.disable_progress_bars()
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
