"""4. The plug-in's output: what a predictor, seqlab-predict, seqlab-serve and seqlab-export run.

Torch-free (it only calls the head's methods), so a model folder runs it without torch.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from seqlab.predict.outputs import Output


class PosOutput(Output):
    """A part-of-speech tag per word (``tags (B, T)``), with no spans."""

    name = "pos"
    graph_outputs = ("tags",)
    per_word = True

    def tensors(self, head: Any, features: Any, mask: Any, nbest: int = 1) -> dict[str, Any]:
        return {"tags": head.decode(features, mask)}

    def decode(self, outputs: Mapping[str, Any], lengths: Sequence[int]) -> list[list[str]]:
        return [[self.labels[i] for i in row[:n]] for row, n in zip(outputs["tags"], lengths)]

    def describe(self, tags: list[str], words: list[str], offsets: list[tuple[int, int]], text: str) -> dict[str, Any]:
        return {"tokens": words, "tags": tags}

    def empty(self, text: str) -> dict[str, Any]:
        return {"text": text, "tokens": [], "tags": []}
