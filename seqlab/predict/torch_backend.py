"""A checkpoint's network run with torch alone: no Lightning, Hydra or ``datasets`` is imported.

The network is rebuilt by the one builder (:func:`seqlab.model.build.build_network`) from the
checkpoint's checked config (:func:`seqlab.predict.checkpoint_file.network_of`), and its outputs become
predictions with the output the checkpoint names (:mod:`seqlab.predict.outputs`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from seqlab.errors import ConfigError
from seqlab.featurizers import batch_inputs
from seqlab.model.network import Network
from seqlab.predict.checkpoint_file import NETWORK_SECTIONS, CheckpointError, network_of, read_checkpoint
from seqlab.predict.model_card import checkpoint_card
from seqlab.predict.outputs import Output, UnknownOutputError, output_class
from seqlab.spec import DataSpec


class NoOutputError(CheckpointError):
    """A checkpoint whose task names no output: it can be evaluated, not predicted or exported."""


class TorchBackend:
    """A network in eval mode with the spec it was trained on and the output it predicts."""

    def __init__(self, network: Network, spec: DataSpec, output: Output, card: dict[str, Any] | None = None) -> None:
        self.network = network.eval()
        network.embedder.for_prediction()
        self.spec = spec
        self.output = output
        self.featurizers = network.embedder.featurizers()
        self.splitter = spec.splitter
        self.max_tokens, self.truncation = spec.max_tokens, spec.truncation
        #: Provenance and metrics (see :func:`seqlab.predict.model_card.checkpoint_card`).
        self.card = card or {}

    @classmethod
    def of_task(cls, task: Any) -> TorchBackend:
        """A trained :class:`~seqlab.tasks.base.Task`'s network, spec and output."""
        if task.output_name is None:
            raise ConfigError(f"{type(task).__name__} names no output_name: its models cannot be predicted or exported")
        return cls(task.network, task.spec, output_class(task.output_name)(task.spec.labels, task.spec.tag_scheme))

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "cpu") -> TorchBackend:
        """The checkpoint's network and output; a checkpoint whose task names no output is an error."""
        checkpoint = read_checkpoint(path, builds=NETWORK_SECTIONS)
        meta = checkpoint["seqlab"]
        if not meta.get("output"):
            task = meta["config"].get("task", {}).get("_target_", "its task")
            raise NoOutputError(
                f"{path}: {task} names no output (Task.output_name), so its models cannot be predicted; "
                "evaluate it with seqlab-eval"
            )
        try:
            output = output_class(str(meta["output"]))(meta["spec"]["labels"], meta["spec"]["tag_scheme"])
        except (UnknownOutputError, ValueError) as err:
            raise CheckpointError(f"{path}: {err}") from None
        spec = DataSpec.from_dict(meta["spec"])
        return cls(network_of(checkpoint, path, spec).to(device), spec, output, checkpoint_card(meta, path))

    @torch.inference_mode()
    def predict_words(
        self, sentences: Sequence[Sequence[str]], nbest: int = 1, given: Mapping[str, Sequence[Any]] | None = None
    ) -> list[Any]:
        """The prediction of each pre-split, non-empty sentence (``given``: columns such as ``features``)."""
        device = next(self.network.parameters()).device
        mask_array, arrays = batch_inputs(self.featurizers, sentences, given)
        mask = torch.from_numpy(mask_array).to(device)
        inputs = {name: torch.from_numpy(array).to(device) for name, array in arrays.items()}
        features = self.network.features(inputs, mask)
        outputs = self.output.tensors(self.network.head, features, mask, nbest if self.output.has_nbest else 1)
        return self.output.decode({k: v.tolist() for k, v in outputs.items()}, mask_array.sum(1).tolist())
