"""``seqlab-info PATH [--json]``: the model card of a checkpoint or an exported model folder."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from seqlab.cli.errors import reported_errors
from seqlab.cli.version_flag import answers_version


@answers_version("seqlab-info")
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="seqlab-info", description=__doc__)
    parser.add_argument("path", help="a checkpoint (.ckpt) or a model folder written by seqlab-export")
    parser.add_argument("--json", action="store_true", help="the whole card as JSON, the config included")
    args = parser.parse_args(argv)
    with reported_errors("seqlab-info"):
        card = read_card(Path(args.path))
        from seqlab.predict.model_card import card_summary

        print(json.dumps(card, indent=2, ensure_ascii=False) if args.json else card_summary(card))


def read_card(path: Path) -> dict:
    """The card of a model folder or a checkpoint, opened as every command opens one (:meth:`Predictor.open`)."""
    from seqlab.predict.predictor import Predictor
    from seqlab.predict.torch_backend import NoOutputError

    try:
        predictor = Predictor.open(model=path) if path.is_dir() else Predictor.open(ckpt_path=path)
    except NoOutputError:  # a task that can only be evaluated: its card, read as data by the same reader
        from seqlab.predict.checkpoint_file import read_checkpoint
        from seqlab.predict.model_card import checkpoint_card

        return checkpoint_card(read_checkpoint(path, builds=())["seqlab"], path)
    output = predictor.output
    return {**predictor.card, "kind": output.name, "labels": output.labels}


if __name__ == "__main__":
    main()
