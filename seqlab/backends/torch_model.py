"""A checkpoint's network run with torch alone: no Lightning, Hydra or ``datasets`` is imported.

The network is rebuilt from the checkpoint's checked config (:mod:`seqlab.checkpoint_file`) with
:func:`seqlab.targets.build_node`, sized as training sized it (the spec, and the head arguments
the task recorded), and predicts with the task's own functions (:mod:`seqlab.inference`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from seqlab.checkpoint_file import NETWORK_SECTIONS, CheckpointError, read_checkpoint
from seqlab.data.collate import collate_examples
from seqlab.data.encoding import encode_examples
from seqlab.inference import Network, class_probabilities, predict_tags
from seqlab.model_card import checkpoint_card
from seqlab.modules.embedder import TokenEmbedder
from seqlab.outputs import describe, empty_prediction
from seqlab.spec import DataSpec
from seqlab.targets import accepted_arguments, build_node, locate

#: Prediction kinds this model can run (see :attr:`seqlab.tasks.base.Task.prediction_kind`).
KINDS = ("tags", "label")


class TorchModel:
    """A network in eval mode with the spec it was trained on, predicting ``kind`` outputs."""

    def __init__(self, network: Network, spec: DataSpec, kind: str, card: dict[str, Any] | None = None) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown prediction kind {kind!r}; expected {' or '.join(KINDS)}")
        if kind == "tags" and spec.tag_scheme is None:
            raise ValueError("a tagging model's spec needs a tag_scheme")
        self.network = network.eval()
        network.embedder.for_prediction()
        self.spec = spec
        self.kind = kind
        self.featurizers = network.embedder.featurizers()
        self.splitter = spec.splitter
        self.max_tokens, self.truncation = spec.max_tokens, spec.truncation
        #: Provenance and metrics (see :func:`seqlab.model_card.checkpoint_card`).
        self.card = card or {}

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "cpu") -> TorchModel | None:
        """The checkpoint's network, or ``None`` where its task recorded no prediction kind
        (a plug-in with its own predictions: run it with :class:`~seqlab.backends.task_model.TaskModel`)."""
        checkpoint = read_checkpoint(path, builds=NETWORK_SECTIONS)
        meta = checkpoint["seqlab"]
        if meta.get("prediction_kind") not in KINDS or not isinstance(meta.get("head_arguments"), dict):
            return None
        spec = DataSpec.from_dict(meta["spec"])
        try:
            network = build_network(meta["config"], spec, meta["head_arguments"])
        except (TypeError, ValueError) as err:
            raise CheckpointError(f"{path}: its network cannot be rebuilt ({err})") from None
        prefixes = tuple(f"{name}." for name in ("embedder", "encoder", "head"))
        weights = {k: v for k, v in checkpoint["state_dict"].items() if k.startswith(prefixes)}
        try:
            network.load_state_dict(weights)
        except RuntimeError as err:
            first = str(err).strip().splitlines()[:2]
            raise CheckpointError(f"{path}: its weights do not fit its network ({' '.join(first)})") from None
        card = checkpoint_card(meta, path)
        return cls(network.to(device), spec, meta["prediction_kind"], card)

    @torch.inference_mode()
    def predict_words(
        self, sentences: Sequence[Sequence[str]], nbest: int = 1, given: Mapping[str, Sequence[Any]] | None = None
    ) -> list[Any]:
        """The prediction of each pre-split, non-empty sentence (``given``: columns such as ``features``)."""
        device = next(self.network.parameters()).device
        batch = collate_examples(encode_examples(self.featurizers, sentences, given=given)).to(device)
        features = self.network.features(batch.features, batch.mask)
        head: Any = self.network.head  # a ClassHead or a TagHead, as the kind says
        if self.kind == "label":
            return class_probabilities(head, features, batch.mask).tolist()
        assert self.spec.tag_scheme is not None  # checked in __init__
        return predict_tags(head, features, batch.mask, self.spec.labels, self.spec.tag_scheme, nbest)

    def describe(self, prediction: Any, words: list[str], offsets: list[tuple[int, int]], text: str) -> dict[str, Any]:
        return describe(self.kind, prediction, self.spec.labels, words, offsets, text)

    def empty_prediction(self, text: str) -> dict[str, Any]:
        return empty_prediction(self.kind, text)


def build_network(config: Mapping[str, Any], spec: DataSpec, head_arguments: Mapping[str, Any]) -> Network:
    """Embedder -> encoder -> head from a checked, plain config, as :func:`seqlab.build.build_task`
    builds them for training (with no pretrained vectors: the weights come from the checkpoint)."""
    parts = {}
    for name, node in config["embedding"].items():
        if isinstance(node, dict) and "_target_" in node:
            available = {"spec": spec, **({"pretrained": None} if name == "word" else {})}
            parts[name] = build_node(node, **accepted_arguments(locate(node["_target_"]), available))
    settings = {k: v for k, v in config["embedding"].items() if k not in parts and v is not None}
    embedder = build_node(settings, parts=parts)
    if not isinstance(embedder, TokenEmbedder):
        raise TypeError(f"embedding._target_ {settings['_target_']!r} is not a TokenEmbedder")
    encoder = build_node(config["encoder"], input_dim=embedder.output_dim)
    head = build_node(config["head"], input_dim=encoder.output_dim, **head_arguments)
    return Network(embedder, encoder, head)
