"""``seqlab-export``: a checkpoint to a self-contained ONNX model folder (see :mod:`seqlab.model_folder`).

The graph holds the whole network: the embedding parts (character encoder included), the
encoder, and the decoding (the CRF's Viterbi and forward-backward as in-graph ``Loop`` nodes), so
ONNX Runtime returns tags and their probabilities directly.
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from seqlab.checkpoint import read_checkpoint, restore
from seqlab.data.collate import Batch, collate_examples
from seqlab.data.encoding import encode_examples
from seqlab.errors import ConfigError
from seqlab.model_card import checkpoint_card
from seqlab.model_folder import OUTPUTS, write_model_folder
from seqlab.tasks.base import Task
from seqlab.version import __version__

log = logging.getLogger(__name__)

#: ONNX opset of the exported graph (onnxruntime 1.17+ runs it).
OPSET = 17
#: Ways to quantize the exported graph.
QUANTIZATIONS = ("int8",)


class InferenceGraph(nn.Module):
    """A task's prediction as a function of plain tensors: ``mask`` then each input in order."""

    def __init__(self, task: Task, input_names: list[str]) -> None:
        super().__init__()
        self.task = task
        self.input_names = input_names

    def forward(self, mask: Tensor, *inputs: Tensor) -> tuple[Tensor, ...]:
        batch = Batch(
            index=mask.new_zeros(mask.size(0), dtype=torch.long),
            features=dict(zip(self.input_names, inputs)),
            mask=mask,
        )
        outputs = self.task.graph_outputs(batch)
        return tuple(outputs[name] for name in OUTPUTS[str(self.task.prediction_kind)])


def export_onnx(task: Task, path: Path, sample: list[list[str]] | None = None, quantize: str | None = None) -> None:
    """Write ``task``'s :class:`InferenceGraph` to ``path`` as ONNX, with the labels in its metadata."""
    import onnx

    featurizers = task.featurizers()
    names = list(featurizers)
    sample = sample or [["EU", "rejects", "German", "call", "."], ["Peter", "Blackburn"]]
    batch = collate_examples(encode_examples(featurizers, sample))
    inputs = [batch.features[name] for name in names]
    axes: dict[str, dict[int, str]] = {"mask": {0: "batch", 1: "words"}}
    for name, tensor in zip(names, inputs):
        axes[name] = {0: "batch", 1: "words", **{d: f"{name}_dim{d}" for d in range(2, tensor.dim())}}
    outputs = OUTPUTS[str(task.prediction_kind)]
    for output in outputs:
        axes[output] = {0: "batch", 1: "words"} if task.prediction_kind == "tags" else {0: "batch"}
    graph = InferenceGraph(task.eval(), names)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer and TorchScript notices about shapes the graph keeps dynamic
        torch.onnx.export(
            graph,
            (batch.mask, *inputs),
            str(path),
            input_names=["mask", *names],
            output_names=list(outputs),
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )
    model = onnx.load(str(path))
    entry = model.metadata_props.add()
    entry.key, entry.value = "seqlab.labels", "\n".join(task.spec.labels)
    onnx.save(model, str(path))
    if quantize is not None:
        _quantize(path, quantize)


def _check_quantization(method: str) -> None:
    if method not in QUANTIZATIONS:
        raise ConfigError(f"quantize must be null or one of {', '.join(QUANTIZATIONS)}, got {method!r}")


def _quantize(path: Path, method: str) -> None:
    """Replace the graph at ``path`` by its dynamically quantized form (weights in int8)."""
    _check_quantization(method)
    from onnxruntime.quantization import QuantType, quantize_dynamic

    full = path.with_name("full-precision.onnx")
    path.rename(full)
    # The matrix products and recurrences hold the compute; embedding tables stay as they are
    # (the kept pretrained rows are float16 already).
    quantize_dynamic(
        str(full), str(path), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul", "Gemm", "LSTM", "GRU"]
    )
    full.unlink()


def export_checkpoint(ckpt_path: str | Path, output: str | Path, quantize: str | None = None) -> Path:
    """Export the checkpoint at ``ckpt_path`` to the model folder ``output`` (never half-written)."""
    ckpt_path = Path(ckpt_path)
    checkpoint = read_checkpoint(ckpt_path)
    task = restore(checkpoint).task
    card = {
        **checkpoint_card(checkpoint["seqlab"], ckpt_path, task.selection_metric),
        "exported": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "quantized": quantize,
    }
    folder = export_task(task, output, card, quantize)
    log.info("exported %s -> %s", ckpt_path, folder)
    return folder


def export_task(task: Task, output: str | Path, card: dict[str, Any], quantize: str | None = None) -> Path:
    """Write ``task`` as the model folder ``output`` with the model card ``card``."""
    if quantize is not None:
        _check_quantization(quantize)  # before anything is written
    if task.prediction_kind not in OUTPUTS:
        raise ConfigError(f"{type(task).__name__} cannot be exported: it defines no prediction_kind/graph_outputs")
    given = [name for name, featurizer in task.featurizers().items() if getattr(featurizer, "reads", None)]
    if given:
        raise ConfigError(
            f"this model reads {', '.join(given)} from the data (data.feature_columns), which a model folder, "
            "fed raw text, cannot give: predict with the checkpoint (Predictor.predict_tokens, seqlab-eval)"
        )
    spec = task.spec
    manifest = {
        "seqlab_version": __version__,
        "kind": task.prediction_kind,
        "labels": list(spec.labels),
        "tag_scheme": spec.tag_scheme,
        "splitter": spec.splitter,
        "max_tokens": spec.max_tokens,
        "truncation": spec.truncation,
        "quantized": quantize,
    }
    return write_model_folder(
        output, lambda path: export_onnx(task, path, quantize=quantize), manifest, card, task.featurizers()
    )
