"""An exported model folder run with ONNX Runtime: NumPy, ``tokenizers`` and ``onnxruntime`` only.

No torch, Lightning, Hydra or ``datasets`` is imported on this path, so a process that only
predicts starts in a fraction of the time (see ``scripts/bench_export.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.errors import ConfigError
from seqlab.featurizers import batch_inputs
from seqlab.predict.model_folder import MANIFEST, ModelFolder, ModelFolderError
from seqlab.predict.outputs import Output, UnknownOutputError, output_class
from seqlab.threads import available_cpus


def _scatter_rows(parts: Sequence[np.ndarray], groups: Sequence[np.ndarray], rows: int) -> np.ndarray:
    """One array of ``rows`` rows from each group's array (its rows at ``groups[i]``), zero-padded to the largest."""
    shape = [max(p.shape[d] for p in parts) for d in range(1, parts[0].ndim)]
    out = np.zeros((rows, *shape), dtype=parts[0].dtype)
    for part, group in zip(parts, groups):
        region: tuple[Any, ...] = (group, *(slice(0, n) for n in part.shape[1:]))
        out[region] = part
    return out


def length_groups(lengths: np.ndarray, run_tokens: int) -> list[np.ndarray]:
    """Row indices grouped by length, shortest first, so each group runs padded to its longest row.

    A row joins the group before it unless the padding it adds to the rows already there (each
    grows to its length) costs more than ``run_tokens`` tokens, the price of one more graph run.
    Large batches thus run in groups of equal lengths and small ones in few runs.
    """
    order = np.argsort(lengths, kind="stable")
    groups, start, previous = [], 0, 0
    for i, n in enumerate(lengths[order].tolist()):
        if (i - start) * (n - previous) > run_tokens:
            groups.append(order[start:i])
            start = i
        previous = n
    groups.append(order[start:])
    return groups


class OnnxBackend:
    """A model folder's graph in an ONNX Runtime session.

    Args:
        folder: the model folder (see :mod:`seqlab.predict.model_folder`).
        threads: how many cores to use: that many length groups of a batch run at once, each on one
            thread (``None``: one per CPU this process may use).
    """

    def __init__(self, folder: ModelFolder, threads: int | None = None) -> None:
        try:
            import onnxruntime
        except ImportError:
            raise ImportError("running a model folder needs onnxruntime: pip install 'seqlab[onnx]'") from None
        self.folder = folder
        # Measured on CoNLL-2003 (docs/predicting.md): other optimisation levels, no arena, no memory
        # pattern, parallel execution and no spinning were all within noise of these.
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        # Concurrent runs of one thread each rather than intra-op threads: runs of different groups
        # release the GIL and overlap with each other's featurization, and ONNX Runtime splits these
        # small ops poorly (CoNLL-2003 on 2 cores, batch 256: 5,360 against 4,354 sentences/s).
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        runs_at_once = threads if threads is not None else available_cpus()
        self._runs_at_once = ThreadPoolExecutor(runs_at_once, "seqlab-onnx") if runs_at_once > 1 else None
        try:
            self.session = onnxruntime.InferenceSession(str(folder.graph), options, providers=["CPUExecutionProvider"])
        except Exception as err:  # onnxruntime raises its own exception types for a bad file
            raise ModelFolderError(f"{folder.graph}: cannot be loaded by onnxruntime ({err})") from None
        self.input_names = ["mask", *folder.featurizers]
        try:
            self.output: Output = output_class(folder.kind)(folder.labels, folder.manifest.get("tag_scheme"))
        except (UnknownOutputError, ValueError) as err:
            raise ModelFolderError(f"{folder.path / MANIFEST}: {err}") from None
        self.graph_outputs = folder.graph_outputs or self.output.graph_outputs
        self._check_graph()
        try:
            self.constants = self.output.load_constants(folder.decoding)
        except ValueError as err:
            raise ModelFolderError(f"{folder.path / str(folder.manifest.get('decoding'))}: {err}") from None
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
        if tuple(outputs) != self.graph_outputs:
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
        # The graph runs on groups of equal lengths (ONNX Runtime's recurrences step every row to the
        # longest one, so padding costs as much as words); the output finishes the whole batch at once.
        groups = length_groups(lengths, self.RUN_TOKENS)
        group_sentences = [[sentences[r] for r in rows] for rows in groups]
        if self._runs_at_once is not None and len(groups) > 1:
            runs = list(self._runs_at_once.map(self._run, group_sentences))
        else:
            runs = [self._run(group) for group in group_sentences]
        outputs = {
            name: _scatter_rows([run[i] for run in runs], groups, len(sentences))
            for i, name in enumerate(self.graph_outputs)
        }
        finished = self.output.finish(outputs, lengths, self.constants)
        return self.output.decode({k: v.tolist() for k, v in finished.items()}, lengths.tolist())

    #: What one more graph run costs, in padded tokens (measured on CoNLL-2003 with one thread: a run
    #: of one 13-word sentence takes as long as about 20 words in a large batch; 4, 8, 16 and 32 were
    #: tried, and 8 served batches of 8 and 32 sentences 20-25% faster than equal lengths only).
    RUN_TOKENS = 8

    def _run(self, sentences: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """The graph's outputs for one group of sentences."""
        mask, inputs = batch_inputs(self.folder.featurizers, sentences)
        return self.session.run(None, {"mask": mask, **inputs})

    @classmethod
    def from_folder(cls, path: str | Path, threads: int | None = None) -> OnnxBackend:
        return cls(ModelFolder.read(path), threads=threads)
