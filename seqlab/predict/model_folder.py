"""A self-contained model folder: the exported graph, its tokenizers, labels, scheme and model card.

``seqlab-export`` writes one; :class:`ModelFolder` reads it back without torch (NumPy,
``tokenizers`` and JSON only), checking every file it needs. The layout::

    DIR/
      model.onnx             the network, to the output's exported tensors (for a CRF tagger its emissions)
      seqlab-model.json      manifest: format, output name (``kind``), labels, scheme, splitter, truncation,
                             inputs, the graph's outputs and the decoding file
      decoding.json          what the output's NumPy step needs beside the graph (a CRF's scores); optional
      <input>.tokenizer.json the vocabularies the inputs are computed with
      model_card.json        provenance and metrics (also as README.md, for people)

Format 1 folders (seqlab 0.3: the graph decodes, no ``graph_outputs`` or decoding file) are still read.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seqlab.errors import ConfigError, SeqlabError
from seqlab.featurizers import featurizer_from_dict, featurizer_to_dict, folder_file

#: The manifest layout this seqlab writes; it also reads the earlier ones listed.
MODEL_FOLDER_FORMAT = 2
READ_FORMATS = (1, 2)
MANIFEST = "seqlab-model.json"
GRAPH = "model.onnx"
DECODING = "decoding.json"
CARD = "model_card.json"
CARD_TEXT = "README.md"
#: The largest manifest or model card read, in bytes (checked before the file is parsed).
MAX_JSON_BYTES = 16 * 2**20
#: The deepest nesting of arrays and objects a manifest or model card may have.
MAX_JSON_DEPTH = 64


class ModelFolderError(SeqlabError, ValueError):
    """A model folder with a missing, unreadable or inconsistent file (the message names it)."""


@dataclass(frozen=True)
class ModelFolder:
    """A model folder as read: its manifest, model card, input featurizers (in graph order) and the
    constants of the output's decoding step (empty when it has none)."""

    path: Path
    manifest: dict[str, Any]
    card: dict[str, Any]
    featurizers: dict[str, Callable[[Sequence[Sequence[str]]], list[Any]]]
    decoding: dict[str, Any] = field(default_factory=dict)

    @property
    def graph(self) -> Path:
        return self.path / GRAPH

    @property
    def kind(self) -> str:
        return str(self.manifest["kind"])

    @property
    def labels(self) -> list[str]:
        return list(self.manifest["labels"])

    @property
    def graph_outputs(self) -> tuple[str, ...] | None:
        """The graph's outputs the manifest lists (``None`` in a format 1 folder: the output's own)."""
        found = self.manifest.get("graph_outputs")
        return None if found is None else tuple(found)

    @classmethod
    def read(cls, path: str | Path) -> ModelFolder:
        """Read and check the folder; any problem is a :class:`ModelFolderError` naming the file."""
        folder = Path(path)
        if not folder.is_dir():
            raise ModelFolderError(f"{folder}: no such model folder (seqlab-export writes one)")
        manifest = _read_json(folder / MANIFEST)
        found = manifest.get("format")
        if found not in READ_FORMATS:
            raise ModelFolderError(
                f"{folder / MANIFEST}: model folder format {found!r}; this seqlab reads formats "
                f"{', '.join(map(str, READ_FORMATS))} (export the checkpoint again with this seqlab, or upgrade seqlab)"
            )
        for key in ("kind", "labels", "splitter", "inputs"):
            if key not in manifest:
                raise ModelFolderError(f"{folder / MANIFEST}: missing key {key!r}")
        if not isinstance(manifest["kind"], str):
            raise ModelFolderError(f"{folder / MANIFEST}: 'kind' must name the model's output (e.g. \"tags\")")
        if not (folder / GRAPH).is_file():
            raise ModelFolderError(f"{folder / GRAPH}: missing (the exported graph)")
        _inside(folder, GRAPH, "graph")
        try:
            featurizers = {
                name: featurizer_from_dict(settings, folder) for name, settings in dict(manifest["inputs"]).items()
            }
        except (FileNotFoundError, ValueError, TypeError) as err:
            raise ModelFolderError(f"{folder / MANIFEST}: input featurizers: {err}") from None
        outputs = manifest.get("graph_outputs")
        if found >= 2 and not (isinstance(outputs, list) and outputs and all(isinstance(o, str) for o in outputs)):
            raise ModelFolderError(f"{folder / MANIFEST}: 'graph_outputs' must list the graph's output names")
        decoding = manifest.get("decoding")
        if decoding is not None and not isinstance(decoding, str):
            raise ModelFolderError(f"{folder / MANIFEST}: 'decoding' must name the decoding file, got {decoding!r}")
        constants = _read_json(_inside(folder, decoding, "decoding file", MAX_JSON_BYTES)) if decoding else {}
        card = _read_json(folder / CARD) if (folder / CARD).is_file() else {}
        return cls(folder, manifest, card, featurizers, constants)


def _inside(folder: Path, name: str, what: str, max_bytes: int | None = None) -> Path:
    """``folder / name``, checked as :func:`~seqlab.featurizers.folder_file` checks (inside the
    folder, present, at most ``max_bytes``); a problem is a :class:`ModelFolderError`."""
    try:
        return folder_file(folder, name, what, max_bytes)
    except FileNotFoundError:
        raise ModelFolderError(f"{folder / name}: missing") from None
    except ValueError as err:
        raise ModelFolderError(str(err)) from None


def _read_json(path: Path) -> dict[str, Any]:
    """The JSON object in ``path`` (inside its folder, at most :data:`MAX_JSON_BYTES` bytes and
    :data:`MAX_JSON_DEPTH` levels deep)."""
    _inside(path.parent, path.name, "JSON file", MAX_JSON_BYTES)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelFolderError(f"{path}: not valid JSON ({err})") from None
    except RecursionError:  # nested deeper than Python parses, so far deeper than allowed
        raise ModelFolderError(
            f"{path}: JSON nested too deep to parse; at most {MAX_JSON_DEPTH} levels are allowed"
        ) from None
    depth = _depth(data)
    if depth > MAX_JSON_DEPTH:
        raise ModelFolderError(f"{path}: JSON nested {depth} levels deep; at most {MAX_JSON_DEPTH} are allowed")
    if not isinstance(data, dict):
        raise ModelFolderError(f"{path}: expected a JSON object, found {type(data).__name__}")
    return data


def _depth(data: Any) -> int:
    """How deeply arrays and objects nest in parsed JSON (0 for a scalar), without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        node, level = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is not None:
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in children)
    return deepest


def write_model_folder(
    output: str | Path,
    write_graph: Callable[[Path], None],
    manifest: dict[str, Any],
    card: dict[str, Any],
    featurizers: dict[str, Callable[..., Any]],
    decoding: dict[str, Any] | None = None,
) -> Path:
    """Write a model folder at ``output`` (with ``decoding`` as its decoding file, when given):
    everything goes to a temporary folder beside it, renamed into place at the end, so ``output``
    is never left half-written. An existing non-empty ``output`` is an error (nothing is overwritten)."""
    output = Path(output)
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise ConfigError(f"output={output}: already exists and is not an empty folder; choose a new folder")
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        write_graph(partial / GRAPH)
        inputs = {name: featurizer_to_dict(f, partial, name) for name, f in featurizers.items()}
        full = {"format": MODEL_FOLDER_FORMAT, **manifest, "inputs": inputs}
        if decoding is not None:
            (partial / DECODING).write_text(json.dumps(decoding) + "\n", encoding="utf-8")
            full["decoding"] = DECODING
        (partial / MANIFEST).write_text(json.dumps(full, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        (partial / CARD).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        (partial / CARD_TEXT).write_text(card_text(card), encoding="utf-8")
        if output.exists():
            output.rmdir()  # empty, checked above
        os.replace(partial, output)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return output


def card_text(card: dict[str, Any]) -> str:
    """The model card as Markdown, for people."""
    lines = [f"# {card.get('name', 'seqlab model')}", ""]
    lines.append(f"A {card.get('task', 'seqlab')} model trained with seqlab {card.get('seqlab_version', '?')}.")
    lines.append("")
    lines.append("```python\nfrom seqlab import Predictor\n")
    lines.append('predictor = Predictor.open(model="<this folder>")')
    lines.append('predictor.predict(["EU rejects German call to boycott British lamb ."])\n```')
    lines.append("")
    rows = [
        ("labels", ", ".join(card.get("labels", []))),
        ("tag scheme", card.get("tag_scheme") or "-"),
        ("trained with", f"`{card['command']}`" if card.get("command") else "not recorded"),
        ("exported", card.get("exported", "-")),
        ("quantized", card.get("quantized") or "no"),
    ]
    lines += ["| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows), ""]
    metrics = card.get("metrics") or {}
    if metrics:
        lines += ["## Metrics", "", "| metric | value |", "|---|---|"]
        lines += [f"| {k} | {v:.4f} |" if isinstance(v, float) else f"| {k} | {v} |" for k, v in metrics.items()]
        lines.append("")
    files = card.get("data_files") or []
    if files:
        lines += ["## Data", "", "| split | file | bytes | sha256 |", "|---|---|---|---|"]
        lines += [f"| {f['split']} | {f['file']} | {f['bytes']} | `{f['sha256'][:16]}...` |" for f in files]
        lines.append("")
    return "\n".join(lines)
