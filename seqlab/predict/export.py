"""``seqlab-export``: a checkpoint to a self-contained ONNX model folder (see :mod:`seqlab.predict.model_folder`).

The graph holds the network: the embedding parts (character encoder included), the encoder, and
what the model's output exports from the head (:meth:`~seqlab.predict.outputs.Output.export_tensors`).
For a CRF tagger that is the emissions: the folder keeps the CRF's scores (``decoding.json``) and
the ONNX backend runs Viterbi and the marginals batched in NumPy, which profiling showed several
times faster than the in-graph ``Loop`` nodes. Export reads the checkpoint as the torch predictor
does (``Predictor.open``).
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from seqlab.errors import ConfigError
from seqlab.featurizers import batch_inputs
from seqlab.model.network import Network
from seqlab.predict.model_folder import write_model_folder
from seqlab.predict.outputs import Output
from seqlab.predict.torch_backend import TorchBackend
from seqlab.version import __version__

log = logging.getLogger(__name__)

#: ONNX opset of the exported graph (onnxruntime 1.17+ runs it).
OPSET = 17
#: Ways to quantize the exported graph.
QUANTIZATIONS = ("int8",)


#: The sentences an exported graph is traced with.
SAMPLE = [["EU", "rejects", "German", "call", "."], ["Peter", "Blackburn"]]


class InferenceGraph(nn.Module):
    """A network's prediction as a function of plain tensors: ``mask`` then each input in order,
    to the output's :meth:`~seqlab.predict.outputs.Output.export_tensors` (in :meth:`output_names` order)."""

    def __init__(self, network: Network, output: Output, input_names: list[str]) -> None:
        super().__init__()
        self.network = network
        self.output = output
        self.input_names = input_names

    def tensors(self, mask: Tensor, *inputs: Tensor) -> dict[str, Tensor]:
        features = self.network.features(dict(zip(self.input_names, inputs)), mask)
        return self.output.export_tensors(self.network.head, features, mask)

    def forward(self, mask: Tensor, *inputs: Tensor) -> tuple[Tensor, ...]:
        return tuple(self.tensors(mask, *inputs).values())

    def output_names(self, mask: Tensor, *inputs: Tensor) -> list[str]:
        """The graph's output names, in order (from one eager run)."""
        with torch.no_grad():
            return list(self.tensors(mask, *inputs))


def sample_inputs(model: TorchBackend) -> list[Tensor]:
    """``mask`` then each input of the sample batch the graph is traced with."""
    mask, inputs = batch_inputs(model.featurizers, SAMPLE)  # as both backends feed the network
    return [torch.from_numpy(mask), *(torch.from_numpy(inputs[name]) for name in model.featurizers)]


def graph_output_names(model: TorchBackend) -> list[str]:
    """The names of the outputs ``model``'s exported graph has."""
    return InferenceGraph(model.network.eval(), model.output, list(model.featurizers)).output_names(
        *sample_inputs(model)
    )


def export_onnx(model: TorchBackend, path: Path, quantize: str | None = None) -> None:
    """Write ``model``'s :class:`InferenceGraph` to ``path`` as ONNX, with the labels in its metadata."""
    import onnx

    names = list(model.featurizers)
    mask, *inputs = sample_inputs(model)
    axes: dict[str, dict[int, str]] = {"mask": {0: "batch", 1: "words"}}
    for name, tensor in zip(names, inputs):
        axes[name] = {0: "batch", 1: "words", **{d: f"{name}_dim{d}" for d in range(2, tensor.dim())}}
    graph = InferenceGraph(model.network.eval(), model.output, names)
    outputs = graph.output_names(mask, *inputs)
    for output in outputs:
        axes[output] = {0: "batch", 1: "words"} if model.output.per_word else {0: "batch"}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer and TorchScript notices about shapes the graph keeps dynamic
        torch.onnx.export(
            graph,
            (mask, *inputs),
            str(path),
            input_names=["mask", *names],
            output_names=list(outputs),
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )
    graph_file = onnx.load(str(path))
    entry = graph_file.metadata_props.add()
    entry.key, entry.value = "seqlab.labels", "\n".join(model.output.labels)
    onnx.save(graph_file, str(path))
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
    if quantize is not None:
        _check_quantization(quantize)  # before the checkpoint is read
    folder = export_model(TorchBackend.from_checkpoint(ckpt_path), output, quantize)
    log.info("exported %s -> %s", ckpt_path, folder)
    return folder


def export_model(
    model: TorchBackend, output: str | Path, quantize: str | None = None, card: dict[str, Any] | None = None
) -> Path:
    """Write the network ``model`` runs (``Predictor.open(..., backend="torch").backend``) as the
    model folder ``output``, with its model card (or ``card``) stamped with the export time."""
    if quantize is not None:
        _check_quantization(quantize)  # before anything is written
    given = [name for name, featurizer in model.featurizers.items() if getattr(featurizer, "reads", None)]
    if given:
        raise ConfigError(
            f"this model reads {', '.join(given)} from the data (data.feature_columns), which a model folder, "
            "fed raw text, cannot give: predict with the checkpoint (Predictor.predict_tokens, seqlab-eval)"
        )
    card = {
        **(model.card if card is None else card),
        "exported": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "quantized": quantize,
    }
    spec = model.spec
    manifest = {
        "seqlab_version": __version__,
        "kind": model.output.name,
        "labels": list(spec.labels),
        "tag_scheme": spec.tag_scheme,
        "splitter": spec.splitter,
        "max_tokens": spec.max_tokens,
        "truncation": spec.truncation,
        "quantized": quantize,
        "graph_outputs": graph_output_names(model),
    }
    return write_model_folder(
        output,
        lambda path: export_onnx(model, path, quantize=quantize),
        manifest,
        card,
        model.featurizers,
        model.output.export_constants(model.network.head),
    )
