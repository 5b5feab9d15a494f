"""An exported model folder run with ONNX Runtime: NumPy, ``tokenizers`` and ``onnxruntime`` only.

No torch, Lightning, Hydra or ``datasets`` is imported on this path, so a process that only
predicts starts in a fraction of the time (see ``scripts/bench_export.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.errors import ConfigError
from seqlab.predict.model_folder import MANIFEST, ModelFolder, ModelFolderError
from seqlab.predict.outputs import Output, UnknownOutputError, output_class
from seqlab.tokenization.vocab import PAD_ID


def pad_arrays(arrays: Sequence[np.ndarray], fill: int = PAD_ID) -> np.ndarray:
    """Stack arrays of one rank and varying sizes, each padded with ``fill`` to the largest size."""
    shape = [max(a.shape[d] for a in arrays) for d in range(arrays[0].ndim)]
    out = np.full((len(arrays), *shape), fill, dtype=arrays[0].dtype)
    for row, array in enumerate(arrays):
        region: tuple[int | slice, ...] = (row, *(slice(0, n) for n in array.shape))
        out[region] = array
    return out


class OnnxBackend:
    """A model folder's graph in an ONNX Runtime session.

    Args:
        folder: the model folder (see :mod:`seqlab.predict.model_folder`).
        threads: intra-op threads (``None``: ONNX Runtime's default, one per core).
    """

    def __init__(self, folder: ModelFolder, threads: int | None = None) -> None:
        try:
            import onnxruntime
        except ImportError:
            raise ImportError("running a model folder needs onnxruntime: pip install 'seqlab[onnx]'") from None
        self.folder = folder
        options = onnxruntime.SessionOptions()
        if threads is not None:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        try:
            self.session = onnxruntime.InferenceSession(str(folder.graph), options, providers=["CPUExecutionProvider"])
        except Exception as err:  # onnxruntime raises its own exception types for a bad file
            raise ModelFolderError(f"{folder.graph}: cannot be loaded by onnxruntime ({err})") from None
        self.input_names = ["mask", *folder.featurizers]
        try:
            self.output: Output = output_class(folder.kind)(folder.labels, folder.manifest.get("tag_scheme"))
        except (UnknownOutputError, ValueError) as err:
            raise ModelFolderError(f"{folder.path / MANIFEST}: {err}") from None
        self._check_graph()
        self.splitter = str(folder.manifest["splitter"])
        self.max_tokens, self.truncation = folder.manifest.get("max_tokens"), folder.manifest.get("truncation")
        self.labels = folder.labels
        #: Provenance and metrics (the folder's ``model_card.json``).
        self.card = folder.card

    def _check_graph(self) -> None:
        """The graph's inputs, outputs and label count agree with the manifest."""
        path = self.folder.graph
        found = [i.name for i in self.session.get_inputs()]
        if found != self.input_names:
            raise ModelFolderError(f"{path}: graph inputs {found} do not match the manifest's {self.input_names}")
        outputs = [o.name for o in self.session.get_outputs()]
        if tuple(outputs) != self.output.graph_outputs:
            raise ModelFolderError(f"{path}: graph outputs {outputs} do not match a {self.folder.kind!r} model")
        stored = self.session.get_modelmeta().custom_metadata_map.get("seqlab.labels")
        if stored is None or stored != "\n".join(self.folder.labels):
            raise ModelFolderError(
                f"{path}: the graph was exported for other labels than {self.folder.path / MANIFEST} "
                f"lists ({len(self.folder.labels)}); export the checkpoint again"
            )

    def predict_words(
        self, sentences: Sequence[Sequence[str]], nbest: int = 1, given: Mapping[str, Sequence[Any]] | None = None
    ) -> list[Any]:
        """The prediction of each pre-split, non-empty sentence (a model folder reads words only: ``given``
        columns are not used)."""
        if nbest > 1:
            raise ConfigError(
                "nbest > 1 needs the torch backend (backend=torch with ckpt_path=...); the graph decodes the best"
            )
        lengths = np.asarray([len(s) for s in sentences])
        feeds = {"mask": np.arange(lengths.max())[None, :] < lengths[:, None]}
        for name, featurize in self.folder.featurizers.items():
            feeds[name] = pad_arrays(featurize(sentences))
        outputs = dict(zip(self.output.graph_outputs, self.session.run(None, feeds)))
        return self.output.decode({k: v.tolist() for k, v in outputs.items()}, lengths.tolist())

    @classmethod
    def from_folder(cls, path: str | Path, threads: int | None = None) -> OnnxBackend:
        return cls(ModelFolder.read(path), threads=threads)
