"""A Hugging Face dataset as a data source: by hub name (``datasets.load_dataset``) or a folder
written by ``save_to_disk``, with seqlab's splits and columns mapped onto the dataset's.

The splits are written out once as the local files seqlab reads (CoNLL columns for tagging,
JSONL for classification), so every check of the file readers (labels, schemes, empty rows)
applies to hub data too, and errors name a file the user can open.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import datasets

from seqlab.errors import ConfigError

#: seqlab split -> the dataset's split name, by default.
DEFAULT_SPLITS = {"train": "train", "dev": "validation", "test": "test"}
#: seqlab column -> the dataset's column, by default, per kind of data.
DEFAULT_COLUMNS = {"tags": {"tokens": "tokens", "tags": "ner_tags"}, "label": {"text": "text", "label": "label"}}


class HubSource:
    """Rows of a Hugging Face dataset for the data module (``+data/source=hub data.source.name=...``).

    Args:
        name: a hub dataset name (``conll2003``, ``org/name``) or a folder written by
            ``DatasetDict.save_to_disk``.
        config: the dataset's configuration name, if it has several.
        splits: seqlab split (``train``, ``dev``, ``test``) to the dataset's split name; ``null``
            leaves a split out.
        columns: seqlab column to the dataset's: ``tokens`` and ``tags`` for tagging, ``text`` and
            ``label`` for classification. Class-label columns are read as their label names.
        revision: the hub revision (branch, tag or commit) to read.
        cache_dir: where the written files go (default: under the ``datasets`` cache).
        data_files: local files for one of ``datasets``' file builders named by ``name`` (``parquet``,
            ``json``, ``csv``, ``arrow``), by the dataset's split name: parquet or JSON Lines with
            token and tag list columns, for tagging.
    """

    def __init__(
        self,
        name: str,
        config: str | None = None,
        splits: Mapping[str, str | None] | None = None,
        columns: Mapping[str, str] | None = None,
        revision: str | None = None,
        cache_dir: str | None = None,
        data_files: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.data_files = {split: str(Path(path).resolve()) for split, path in dict(data_files or {}).items()}
        for split, path in self.data_files.items():
            if not Path(path).is_file():
                raise ConfigError(f"data.source.data_files.{split}: {path}: no such file")
        self.config = config
        self.splits = {**DEFAULT_SPLITS, **dict(splits or {})}
        unknown = sorted(set(self.splits) - set(DEFAULT_SPLITS))
        if unknown:
            raise ConfigError(f"data.source.splits: unknown split {unknown[0]!r}; expected train, dev or test")
        self.columns = dict(columns or {})
        self.revision = revision
        self.cache_dir = cache_dir

    def write_files(self, kind: str) -> tuple[Path, dict[str, str | None]]:
        """Write each mapped split as a local file (``kind``: ``tags`` or ``label``); the folder and
        the file name of each seqlab split (``None`` for a split left out)."""
        dataset = self._load()
        columns = {k: v for k, v in {**DEFAULT_COLUMNS[kind], **self.columns}.items() if k in DEFAULT_COLUMNS[kind]}
        folder = self._folder()
        folder.mkdir(parents=True, exist_ok=True)
        files: dict[str, str | None] = {}
        for ours, theirs in self.splits.items():
            if theirs is None:
                files[ours] = None
                continue
            if theirs not in dataset:
                if ours == "train":
                    raise ConfigError(f"{self}: no split {theirs!r}; it has {', '.join(dataset)} (data.source.splits)")
                files[ours] = None
                continue
            rows = dataset[theirs]
            missing = [c for c in columns.values() if c not in rows.column_names]
            if missing:
                raise ConfigError(
                    f"{self}: no column {missing[0]!r} in split {theirs!r}; it has "
                    f"{', '.join(rows.column_names)} (set data.source.columns)"
                )
            name = f"{ours}.txt" if kind == "tags" else f"{ours}.jsonl"
            _write(rows, columns, kind, folder / name, f"{self} split {theirs!r}")
            files[ours] = name
        return folder, files

    def _load(self) -> datasets.DatasetDict:
        if Path(self.name).is_dir():
            try:
                loaded = datasets.load_from_disk(self.name)
            except FileNotFoundError as err:
                raise ConfigError(f"{self.name}: not a folder written by save_to_disk ({err})") from None
            if isinstance(loaded, datasets.Dataset):
                return datasets.DatasetDict({"train": loaded})
            return loaded
        if self.data_files:
            return datasets.load_dataset(self.name, self.config, data_files=self.data_files)
        try:
            return datasets.load_dataset(self.name, self.config, revision=self.revision)
        except (ConnectionError, OSError) as err:
            raise ConfigError(
                f"{self}: cannot be read from the Hugging Face hub ({type(err).__name__}: {str(err)[:160]}). "
                "Offline? Save it with DatasetDict.save_to_disk where the hub is reachable and give that folder "
                "as data.source.name, or convert it to local files (data.dir)"
            ) from None

    def _folder(self) -> Path:
        root = Path(self.cache_dir) if self.cache_dir else Path(datasets.config.HF_DATASETS_CACHE) / "seqlab-sources"
        key = json.dumps(
            [
                str(Path(self.name).resolve()) if Path(self.name).is_dir() else self.name,
                self.config,
                self.revision,
                self.splits,
                self.columns,
                {
                    split: [path, os.stat(path).st_mtime_ns, os.stat(path).st_size]
                    for split, path in self.data_files.items()
                },
            ]
        )
        safe = "".join(c if c.isalnum() else "_" for c in Path(self.name).name)[:40]
        return root / f"{safe}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"

    def __str__(self) -> str:
        return f"dataset {self.name!r}" + (f" ({self.config})" if self.config else "")


def _names(feature: Any) -> list[str] | None:
    """Label names of a class-label column (or of a sequence of class labels)."""
    inner = getattr(feature, "feature", None)
    if isinstance(inner, datasets.ClassLabel):
        return list(inner.names)
    if isinstance(feature, datasets.ClassLabel):
        return list(feature.names)
    return None


def _write(rows: datasets.Dataset, columns: dict[str, str], kind: str, path: Path, where: str) -> None:
    """Write ``rows`` as CoNLL (``token tag`` lines) or JSONL (``text``, ``label``), atomically."""
    partial = path.with_name(f".{path.name}.partial")
    if kind == "tags":
        names = _names(rows.features[columns["tags"]])
        with open(partial, "w", encoding="utf-8") as out:
            for index, row in enumerate(rows):
                tokens, tags = row[columns["tokens"]], row[columns["tags"]]
                if len(tokens) != len(tags):
                    raise ConfigError(f"{where} row {index}: {len(tokens)} tokens but {len(tags)} tags")
                for token, tag in zip(tokens, tags):
                    if not token or any(c.isspace() for c in token):
                        raise ConfigError(f"{where} row {index}: token {token!r} is empty or holds whitespace")
                    out.write(f"{token} {names[tag] if names else tag}\n")
                out.write("\n")
    else:
        names = _names(rows.features[columns["label"]])
        with open(partial, "w", encoding="utf-8") as out:
            for row in rows:
                label = row[columns["label"]]
                record = {"text": row[columns["text"]], "label": names[label] if names else str(label)}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    os.replace(partial, path)
