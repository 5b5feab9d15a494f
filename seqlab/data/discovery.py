"""Find a data folder's split files and a classification file's text and label columns by their
common names, so ``seqlab-train data.dir=DIR`` needs no other key for the usual layouts.

A setting left at ``auto`` (the default of ``data.train_file``, ``data.dev_file``,
``data.test_file``, ``data.text_field`` and ``data.label_field``) is looked up here; every choice
is logged, and an ambiguous or failed one is a :class:`~seqlab.errors.ConfigError` naming the key
to set. Plain Python only (no torch, Lightning or ``datasets``): the config check runs it before
those load.
"""

from __future__ import annotations

import csv
import json
import logging
import lzma
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from seqlab.data.text_lines import COMPRESSED_SUFFIXES, LineChecks, decoded_lines
from seqlab.data.text_rows import PARQUET_MAGIC, starts_with
from seqlab.errors import ConfigError, ReaderError

log = logging.getLogger(__name__)

#: The value of a file or field setting that asks for it to be found.
AUTO = "auto"

#: File stems of each split, in order of preference.
SPLIT_STEMS: dict[str, tuple[str, ...]] = {
    "train": ("train", "training"),
    "dev": ("dev", "valid", "validation", "val"),
    "test": ("test", "testing"),
}
#: Data suffixes a split file may have, by the kind of data they usually hold.
TAGGED_SUFFIXES = (".txt", ".conll", ".conllu", ".iob", ".bio", ".tsv")
LABELLED_SUFFIXES = (".tsv", ".csv", ".jsonl", ".json", ".parquet", ".txt")
ANNOTATION_SUFFIXES = (".json", ".jsonl")  # annotation-tool exports (Label Studio, doccano, span JSONL)
#: Compression suffixes read transparently.
COMPRESSIONS = ("", *COMPRESSED_SUFFIXES)

#: Column names of a classification file's text and label, in order of preference.
TEXT_NAMES = ("text", "sentence", "review", "content", "document", "body", "comment", "tweet")
LABEL_NAMES = ("label", "labels", "sentiment", "class", "target", "category", "polarity", "rating")


def find_split_files(folder: Path, files: dict[str, str | None], kind: str) -> dict[str, str | None]:
    """``files`` with each ``auto`` entry replaced by the file of that split found in ``folder``
    (``None`` for a split the folder lacks: :func:`missing_file_message` says so when it is read);
    each choice is logged."""
    found = resolve_split_files(folder, files, kind)
    for split, given in files.items():
        if given != AUTO:
            continue
        if found[split] is None:
            log.info("%s: no %s file (%s) found", folder, split, _pattern(split))
        else:
            log.info("%s: %s split read from %s (data.%s_file=auto)", folder, split, found[split], split)
    return found


def resolve_split_files(folder: Path, files: dict[str, str | None], kind: str) -> dict[str, str | None]:
    """:func:`find_split_files` without its log lines."""
    suffixes = _suffixes(kind)
    names = sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
    found: dict[str, str | None] = {}
    for split, given in files.items():
        if given != AUTO:
            found[split] = given
            continue
        candidates = _split_candidates(names, SPLIT_STEMS[split], suffixes)
        if len(candidates) > 1:
            raise ConfigError(
                f"{folder}: {len(candidates)} files could be the {split} split ({', '.join(candidates)}): "
                f"choose one with data.{split}_file=..."
            )
        if not candidates and split == "train" and kind == "tags":
            _refuse_labelled_texts_among(folder, _split_candidates(names, SPLIT_STEMS[split], LABELLED_SUFFIXES))
        found[split] = candidates[0] if candidates else None
    if kind == "tags" and found.get("train") and (folder / str(found["train"])).is_file():
        _refuse_labelled_texts(folder / str(found["train"]))
    return found


def check_data_files(data: Mapping[str, Any]) -> None:
    """What a data config's files can be checked for before anything heavy is imported: the folder
    exists, each file named or found is there, and training has a dev set (a file, or one that
    ``data.split`` carves). The data module checks again when it reads them."""
    if data.get("dir") is None or data.get("source") is not None or "train_file" not in data:
        return  # the shipped sample, a hub dataset, or a data module of another shape: checked when built
    folder = Path(str(data["dir"]))
    if not folder.is_dir():
        raise ConfigError(f"{folder}: no such folder (data.dir)")
    carving = data.get("split") is not None
    given = {s: data.get(f"{s}_file") for s in SPLIT_STEMS if f"{s}_file" in data}
    files = {s: None if carving and s != "train" and v == AUTO else v for s, v in given.items()}
    annotations = ".annotation_datamodules." in str(data.get("_target_", ""))  # their own suffixes (.json[l])
    kind = "annotations" if annotations else "label" if "text_field" in data else "tags"
    found = resolve_split_files(folder, files, kind)
    for split, name in found.items():
        if name is not None and not (folder / name).is_file():
            raise ConfigError(f"{folder / name}: no such file (data.{split}_file)")
    if found.get("train") is None:
        raise ConfigError(missing_file_message(folder, "train", kind))
    if found.get("dev") is None and not carving:
        raise ConfigError(no_dev_message(folder, given.get("dev")))


def no_dev_message(folder: Path, given: str | None) -> str:
    """Why training cannot start without a dev set, and the two keys that give it one."""
    why = "data.dev_file=null" if given is None else f"no dev|valid|validation|val.* file in {folder}"
    return (
        f"no dev set to pick the checkpoint on ({why}, and no data.split): name a dev file with "
        "data.dev_file=... or carve one out of train with +data/split=holdout"
    )


def _suffixes(kind: str) -> tuple[str, ...]:
    """The data suffixes of split files of ``kind``: ``tags``, ``label`` or ``annotations``."""
    return {"tags": TAGGED_SUFFIXES, "annotations": ANNOTATION_SUFFIXES}.get(kind, LABELLED_SUFFIXES)


def _split_candidates(names: Iterable[str], stems: Sequence[str], suffixes: Sequence[str]) -> list[str]:
    """The names among ``names`` that are ``<stem><suffix><compression>`` (case-insensitive), for
    the first stem that has any."""
    for stem in stems:
        wanted = {f"{stem}{suffix}{comp}" for suffix in suffixes for comp in COMPRESSIONS}
        matches = [name for name in names if name.lower() in wanted]
        if matches:
            return matches
    return []


def _pattern(split: str) -> str:
    return "|".join(SPLIT_STEMS[split]) + ".*"


def missing_file_message(folder: Path, split: str, kind: str) -> str:
    """Why ``split`` has no file in ``folder``, naming the key that gives it one."""
    if not folder.is_dir():
        return f"{folder}: no such folder (data.dir)"
    names = sorted(p.name for p in folder.iterdir() if p.is_file())
    listing = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "") if names else "no files"
    suffixes = "/".join(s.lstrip(".") for s in _suffixes(kind))
    return (
        f"{folder}: no {split} file (looked for {_pattern(split)} as {suffixes}, compressed or not; "
        f"found {listing}): name it with data.{split}_file=..."
    )


def _refuse_labelled_texts_among(folder: Path, names: Sequence[str]) -> None:
    for name in names:
        _refuse_labelled_texts(folder / name)


def _refuse_labelled_texts(path: Path) -> None:
    """A tagging run pointed at a classification file: one line saying which task reads it."""
    header = read_header(path)
    if header is not None and pick_field(header, TEXT_NAMES) and pick_field(header, LABEL_NAMES):
        raise ConfigError(
            f"{path}: this folder holds labelled texts (columns {', '.join(header)}), not tagged tokens: "
            "add task=sentiment"
        )


def find_fields(path: Path, text_field: str, label_field: str, format: str | None = None) -> tuple[str, str]:
    """``(text_field, label_field)`` with each ``auto`` replaced by the column of ``path``'s header
    (or first JSON object) that has a common name for it."""
    if text_field != AUTO and label_field != AUTO:
        return text_field, label_field
    header = read_header(path, format)
    if header is None:
        if _looks_tagged(path):
            raise ConfigError(f"{path}: this folder holds tagged tokens, not labelled texts: add task=ner")
        raise ConfigError(
            f"{path}: no header line to find the text and label columns in: "
            "set data.text_field=... and data.label_field=..."
        )
    chosen = []
    for key, given, names in (("text_field", text_field, TEXT_NAMES), ("label_field", label_field, LABEL_NAMES)):
        if given != AUTO:
            chosen.append(given)
            continue
        picked = pick_field(header, names)
        if picked is None:
            raise ConfigError(
                f"{path}: no column looks like the {key.split('_')[0]} (found {', '.join(header)}; "
                f"looked for {'|'.join(names)}): set data.{key}=..."
            )
        log.info("%s: %s is column %r (data.%s=auto)", path, key.split("_")[0], picked, key)
        chosen.append(picked)
    if chosen[0] == chosen[1]:
        raise ConfigError(f"{path}: the text and the label are both column {chosen[0]!r}: set data.text_field=...")
    return chosen[0], chosen[1]


def pick_field(header: Sequence[str], names: Sequence[str]) -> str | None:
    """The column of ``header`` named like one of ``names`` (case-insensitive), by their order."""
    lowered = {column.strip().lower(): column for column in header}
    for name in names:
        if name in lowered:
            return lowered[name]
    return None


def read_header(path: Path, format: str | None = None) -> list[str] | None:
    """Column names of a TSV/CSV header, a JSONL file's first object or a parquet schema;
    ``None`` when the file has none of these (a CoNLL file)."""
    kind = format or _suffix(path)
    if kind == "parquet" or starts_with(path, PARQUET_MAGIC):
        import pyarrow.parquet as pq

        return list(pq.ParquetFile(path).schema_arrow.names)
    line = _first_line(path)
    if line is None:
        return None
    stripped = line.strip()
    if stripped.startswith("{"):
        try:
            row = json.loads(stripped)
        except json.JSONDecodeError:
            return None
        return [str(key) for key in row] if isinstance(row, dict) else None
    if _looks_tagged(path):
        return None
    delimiter = "\t" if "\t" in stripped and kind != "csv" else ","
    named = [column.strip() for column in next(csv.reader([stripped], delimiter=delimiter), [])]
    if len(named) < 2:
        return None
    # A file of a header format starts with its header; another (.txt) only when it names a known column.
    known = pick_field(named, TEXT_NAMES) or pick_field(named, LABEL_NAMES)
    return named if kind in ("csv", "tsv", "json", "jsonl") or known else None


#: The last column of a CoNLL line: a tag of one of the schemes, or O.
_TAG = re.compile(r"^(O|[BIESLU]-\S+)$")


def _looks_tagged(path: Path) -> bool:
    """Whether ``path`` starts as a CoNLL file does (``-DOCSTART-`` or a token and its tag)."""
    line = _first_line(path)
    if line is None:
        return False
    columns = line.split()
    return line.startswith("-DOCSTART-") or (len(columns) >= 2 and bool(_TAG.match(columns[-1])))


def _suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes if s.lower() not in COMPRESSIONS]
    return suffixes[-1].lstrip(".") if suffixes else ""


def _first_line(path: Path, limit: int = 1 << 16) -> str | None:
    """The first non-blank line of ``path`` as the readers read it (decompressed, decoded by its
    byte-order mark, at most ``limit`` characters); ``None`` for an empty or unreadable file,
    whose reading says what is wrong at its line."""
    checks = LineChecks(path, "replace", max_line_chars=limit)
    try:
        for number, line in decoded_lines(path, checks, clean=False):
            if line.strip():
                return line
            if number >= 100:
                break
    except (ReaderError, OSError, EOFError, lzma.LZMAError):
        return None
    return None
