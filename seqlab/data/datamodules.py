"""Lightning DataModules: CoNLL sequence labelling and TSV/CSV/JSONL text classification.

Both share :class:`TokenDataModule`: reading the splits, handing them to a
:class:`~seqlab.data.spec_builder.SpecBuilder` for the :class:`~seqlab.spec.DataSpec` (vocabularies,
pretrained vectors), encoding with the featurizers the model's embedding parts declare, and
length-bucketed batches.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, cast

import datasets
import pytorch_lightning as pl
import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

from seqlab.constraints import POSITIVE
from seqlab.data.collate import Batch, BucketBatchSampler, EncodedExample, collate_examples
from seqlab.data.discovery import AUTO, find_fields, find_split_files, missing_file_message, no_dev_message
from seqlab.data.encoding import encode_examples
from seqlab.data.hub import HubSource
from seqlab.data.long_documents import check_count, check_overlap, check_truncation, truncate
from seqlab.data.reader_log import quiet_readers
from seqlab.data.readers import load_conll, load_examples, read_conll, read_text_classification
from seqlab.data.spec_builder import SPLITS, Reading, SpecBuilder, file_digests
from seqlab.data.splits import SplitPlan
from seqlab.data.tag_schemes import detect_scheme, from_spans, labels_for_types, parse_scheme, split_tag, to_spans
from seqlab.data.text_lines import ControlPolicy, check_control_policy
from seqlab.data.vocabulary import PartSettings
from seqlab.errors import ConfigError
from seqlab.resources import sample_path
from seqlab.spec import DataSpec, Featurizer
from seqlab.tokenization.vocab import split_text, text_splitter
from seqlab.windowing import windows

log = logging.getLogger(__name__)


class TokenDataModule(pl.LightningDataModule):
    """Reading, encoding and batching; subclasses say how to read a split and how labels become targets.

    Args:
        dir: folder holding the split files.
        files: split name (train/dev/test) to file name; ``None`` for an absent split.
        batch_size: training examples per batch (per rank under DDP).
        eval_batch_size: examples per batch for dev and test.
        min_word_frequency: words rarer than this in train map to the unknown id.
        vector_splits: the splits whose words the pretrained vectors add to the vocabulary (train
            always gives its words); ``[train, dev]`` keeps test words out of it.
        num_workers: DataLoader worker processes.
        seed: seed of the batch shuffling.
        cache_dir: ``datasets`` cache folder (default: the ``datasets`` default).
        split: splits carved from the training file (:mod:`seqlab.data.splits`: a held-out dev
            or test fraction, or a cross-validation fold); a split it makes has no file.
        max_tokens: the most words of a text the model reads at once (:mod:`seqlab.data.long_documents`:
            a classifier truncates, a tagger trains on overlapping windows); ``None``: no limit.
        max_batch_tokens: the most padded tokens in a batch (sentences times the longest), so
            memory stays bounded on long texts; ``None``: ``batch_size`` sentences whatever their length.
        part_settings: what the model's embedding parts ask of the data (the word vocabulary's
            lowercasing and pretrained vectors, the characters kept per token); the builder reads
            them from the parts' configs (:meth:`~seqlab.data.vocabulary.PartSettings.from_parts`).
        control_characters: a control character in the files (``\x10``, a backspace) is an
            ``error`` naming its file, line and column, or is ``drop``-ped or ``replace``-d by U+FFFD,
            counted in the log (:class:`~seqlab.data.text_lines.LineChecks`).
    """

    def __init__(
        self,
        dir: str | Path,
        files: dict[str, str | None],
        batch_size: Annotated[int, POSITIVE] = 32,
        eval_batch_size: Annotated[int, POSITIVE] = 256,
        min_word_frequency: Annotated[int, POSITIVE] = 1,
        vector_splits: Sequence[str] = SPLITS,
        num_workers: int = 0,
        seed: int = 0,
        cache_dir: str | None = None,
        split: SplitPlan | None = None,
        max_tokens: int | None = None,
        max_batch_tokens: int | None = None,
        part_settings: PartSettings | None = None,
        control_characters: ControlPolicy = "error",
    ) -> None:
        super().__init__()
        self.control_characters = check_control_policy(control_characters)
        self.max_tokens = check_count(max_tokens, "data.max_tokens", "words")
        self.max_batch_tokens = check_count(max_batch_tokens, "data.max_batch_tokens", "tokens")
        self.dir = Path(dir)
        self.split = split
        carved = split.produces if split is not None else ()
        files = {name: None if name in carved and given == AUTO else given for name, given in files.items()}
        #: The file of each split inside :attr:`dir` (``None``: the split has none); ``auto`` ones found there.
        self.files = find_split_files(self.dir, files, self.file_kind or self.target_column)
        self.asked = files  # as configured (``auto``, a name, or None)
        for name in split.produces if split is not None else ():
            if files.get(name) is not None:
                raise ConfigError(
                    f"data.split carves a {name} set out of train, but data.{name}_file={files[name]} is set too: "
                    f"give data.{name}_file=null"
                )
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size
        #: Builds the spec (vocabularies, pretrained vectors) from the splits :meth:`setup` reads.
        self.spec_builder = SpecBuilder(part_settings, min_word_frequency, vector_splits, seed)
        self.num_workers = num_workers
        self.seed = seed
        self.cache_dir = cache_dir
        #: What the model needs to know about the data; set by :meth:`setup` (or :meth:`use_spec`).
        self.spec: DataSpec | None = None
        #: The initial word vectors ``(word_vocab_size, D)`` when the word part declares pretrained ones.
        self.pretrained_vectors: Tensor | None = None
        self._featurizers: dict[str, Featurizer] | None = None
        self._datasets: dict[str, datasets.Dataset] = {}
        self._encoded: dict[str, list[EncodedExample]] = {}
        self._resume_after = 0

    # -- what subclasses define -------------------------------------------------------------
    tag_scheme: str | None = None
    file_scheme: str | None = None  # the scheme the files are written in
    target_column = "tags"  # the dataset column holding the labels
    #: The kind of split files :func:`~seqlab.data.discovery.find_split_files` looks for (default: by target column).
    file_kind: str | None = None
    #: The labels the files may hold, when the config declares them (``data.labels``).
    declared_labels: list[str] | None = None
    splitter = "words"  # how raw text is cut into words at prediction

    def read(self, split: str, known_labels: Sequence[str] | None) -> datasets.Dataset:
        """The split as a dataset with a ``tokens`` column and, if labelled, a target column; a label
        outside ``known_labels`` (if given; see :attr:`labels_origin`) is an error at its line."""
        raise NotImplementedError

    def labels_from(self, train: datasets.Dataset) -> list[str]:
        """The label vocabulary, from the training split."""
        raise NotImplementedError

    #: CoNLL columns read as token features (a ``features`` column of the datasets).
    feature_columns: tuple[int, ...] = ()

    #: How prediction fits a text longer than ``max_tokens`` (a :data:`~seqlab.data.long_documents.TRUNCATIONS`
    #: entry), recorded in the spec; ``None``: prediction reads whole texts.
    truncation: str | None = None

    def fit_length(self, split: str, dataset: datasets.Dataset) -> datasets.Dataset:
        """``dataset`` with its texts fitted to :attr:`max_tokens` (truncated, or cut into windows);
        called on every split read."""
        return dataset

    def target(self, example_targets: Any, label_index: dict[str, int]) -> Tensor:
        """One example's labels as a tensor."""
        raise NotImplementedError

    # -- shared -------------------------------------------------------------------------------
    @staticmethod
    def _declared(labels: Sequence[Any] | None) -> list[str] | None:
        """``data.labels`` as strings; an empty list is a config error."""
        if labels is None:
            return None
        if not labels:
            raise ConfigError("data.labels is empty; list the labels the files may hold, or leave it null")
        return [str(label) for label in labels]

    @property
    def labels_origin(self) -> str:
        """Where the known labels come from, for error messages."""
        return "data.labels" if self.declared_labels is not None else "the training data"

    def path(self, split: str) -> Path:
        """The file of ``split``."""
        if self.files.get(split) is None:
            raise ConfigError(missing_file_message(self.dir, split, self.file_kind or self.target_column))
        return self.dir / str(self.files[split])

    def has_split(self, split: str) -> bool:
        """Whether ``split`` was read (a file is configured for it and the stage needs it)."""
        return split in self._datasets

    def dataset(self, split: str) -> datasets.Dataset:
        """The rows of ``split`` as read (tokens, and labels as written in the training scheme)."""
        if split not in self._datasets:
            raise KeyError(f"no {split} split was read from {self.dir}")
        return self._datasets[split]

    def file_digests(self) -> list[dict[str, Any]]:
        """Each split read: its file, size in bytes and SHA-256 (the model card's provenance); a split
        carved out of train (``data.split``) has none of its own (the train file's covers it)."""
        return file_digests({split: self.path(split) for split in self._datasets if self.files.get(split) is not None})

    def use_spec(self, spec: DataSpec) -> None:
        """Encode with a trained model's vocabularies and labels: :meth:`setup` then reads only the
        files its stage needs (``test``: the test file; train need not exist), with ``spec.labels``
        as the known labels."""
        self.spec = spec

    def use_featurizers(self, featurizers: dict[str, Featurizer]) -> None:
        """The batch inputs to compute (the model's :meth:`~seqlab.tasks.base.Task.featurizers`)."""
        self._featurizers = dict(featurizers)
        self._encoded = {}
        if self.spec is not None and self._datasets:
            self._encode()

    def setup(self, stage: str | None = None) -> None:
        """Read the splits, build vocabularies and labels from train (unless given), and encode
        once the featurizers are known. Idempotent: Lightning calls it again from ``fit``/``test``."""
        if not self._datasets:
            self._read(stage)
        if self._featurizers is not None and not self._encoded:
            self._encode()

    def _read(self, stage: str | None) -> None:
        building = self.spec is None
        wanted = SPLITS[1:] if building else {"test": ("test",), "validate": ("dev",)}.get(stage or "", SPLITS[1:])
        carved = self.split.produces if self.split is not None else ()
        if self.spec is None:
            declared = self.declared_labels
            train = self.read("train", declared)
            labels = declared if declared is not None else self.labels_from(train)
        else:
            labels = list(self.spec.labels)
            train = self.read("train", labels) if set(carved) & set(wanted) else None
        if train is not None:
            self._datasets.update(self._carve(train) if self.split is not None else {"train": train})
            if not building:
                self._datasets.pop("train", None)  # read to recreate the carved splits only
        for split in wanted:
            if self.files.get(split) is not None and split not in carved:
                self._datasets[split] = self.read(split, labels)
        if self.max_tokens is not None:
            self._datasets = {split: self.fit_length(split, data) for split, data in self._datasets.items()}
        if building:
            built = self.spec_builder.build(self._datasets, labels, self.reading())
            self.spec, self.pretrained_vectors = built.spec, built.vectors

    def reading(self) -> Reading:
        """How the files were read, as the spec records it for prediction."""
        return Reading(
            tag_scheme=self.tag_scheme,
            file_scheme=self.file_scheme,
            splitter=self.splitter,
            max_tokens=self.max_tokens,
            truncation=self.truncation,
            feature_columns=self.feature_columns,
        )

    def _carve(self, train: datasets.Dataset) -> dict[str, datasets.Dataset]:
        """The splits :attr:`split` makes of the training rows (stratified by label for classification)."""
        assert self.split is not None
        labels = train[self.target_column] if self.target_column == "label" else None
        rows = self.split.assign(labels, len(train))
        parts = {name: train.select(rows[name]) for name in ("train", *self.split.produces)}
        for name, part in parts.items():
            if len(part) == 0:
                where = f"{self.path('train')} ({len(train)} rows)"
                raise ConfigError(f"data.split leaves the {name} split of {where} empty")
        counts = ", ".join(f"{name} {len(part)}" for name, part in parts.items())
        log.info("splits of %s: %s; %s", self.path("train"), self.split.describe(), counts)
        return parts

    def _encode(self) -> None:
        for split, dataset in self._datasets.items():
            columns = dataset[:]  # every column as lists at once: iterating a datasets Column converts row by row
            self._check_budget(split, columns)
            given = {"features": columns["features"]} if "features" in columns else None
            self._encoded[split] = self.encode(columns["tokens"], columns.get(self.target_column), given)

    def _check_budget(self, split: str, columns: dict[str, list]) -> None:
        """A training text longer than a batch may hold (``max_batch_tokens``) is refused before
        training, naming its file and line and the keys that fit it, rather than filling the memory."""
        budget = self.max_batch_tokens
        if budget is None or split != "train" or not columns["tokens"]:
            return  # dev and test are only read forward: an over-long text there fills a batch of its own
        lengths = [len(tokens) for tokens in columns["tokens"]]
        longest = max(range(len(lengths)), key=lengths.__getitem__)
        if lengths[longest] <= budget:
            return
        name = self.files.get(split) or self.files.get("train")
        line = columns["line"][longest] if "line" in columns else None
        where = f"{self.dir / str(name)}:{line}" if line is not None else f"{self.dir / str(name)} (text {longest + 1})"
        raise ConfigError(
            f"{where}: a text of {lengths[longest]:,} words is longer than a batch may hold "
            f"(data.max_batch_tokens={budget:,}, the memory budget); set data.max_tokens=N to read long texts in "
            "pieces (a classifier reads the first N words, a tagger trains on windows), or raise data.max_batch_tokens"
        )

    def encode(
        self, sentences: list[list[str]], targets: list | None = None, given: dict[str, list] | None = None
    ) -> list[EncodedExample]:
        """Tokens (and targets, and ``given`` columns such as ``features``) to tensors with the model's featurizers."""
        if self.spec is None or self._featurizers is None:
            raise RuntimeError("call setup() and use_featurizers() before encoding")
        label_index = {label: i for i, label in enumerate(self.spec.labels)}
        tensors = [self.target(t, label_index) for t in targets] if targets is not None else None
        return encode_examples(self._featurizers, sentences, tensors, given=given)

    def encoded(self, split: str) -> list[EncodedExample]:
        """The examples of ``split`` as tensors (after :meth:`use_featurizers`)."""
        if split not in self._encoded:
            if split == "dev" and "dev" not in self._datasets:
                raise ConfigError(no_dev_message(self.dir, self.asked.get("dev")))
            if split not in self._datasets:
                raise ValueError(f"no {split} file configured for {self.dir}")
            raise RuntimeError("call use_featurizers() before loading batches")
        return self._encoded[split]

    def resume_after(self, batches_done: int) -> None:
        """Make the next training loader start after its first ``batches_done`` batches (a run resumed
        from a checkpoint written inside an epoch sees the rest of that epoch's batches)."""
        self._resume_after = batches_done

    def _loader(self, split: str, train: bool) -> DataLoader:
        examples = self.encoded(split)
        trainer = self.trainer  # under DDP each rank loads its own share of every global batch
        sampler = BucketBatchSampler(
            [e.length for e in examples],
            self.batch_size if train else self.eval_batch_size,
            shuffle=train,
            seed=self.seed,
            num_replicas=trainer.world_size if trainer is not None else 1,
            rank=trainer.global_rank if trainer is not None else 0,
            max_tokens=self.max_batch_tokens,
        )
        if train and trainer is not None:
            # Lightning sets each later epoch itself, but makes a resumed run's first iterator
            # before it does: that epoch's order must be its own, not epoch 0's.
            progress = trainer.fit_loop.epoch_progress.current  # the epoch Lightning is about to set
            sampler.set_epoch(getattr(progress, "processed", trainer.current_epoch))
        if train and self._resume_after:
            sampler.skip_next(self._resume_after)
            self._resume_after = 0
        return DataLoader(
            cast("Dataset[EncodedExample]", examples),  # a list is a map-style dataset; the stubs want a Dataset
            batch_sampler=sampler,
            collate_fn=collate_examples,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
            pin_memory=trainer is not None and trainer.strategy.root_device.type == "cuda",
        )

    def transfer_batch_to_device(self, batch: Any, device: torch.device, dataloader_idx: int) -> Any:
        """A :class:`Batch` moves itself (no generic walk over the collection each step)."""
        if isinstance(batch, Batch):
            return batch.to(device, non_blocking=True)
        return super().transfer_batch_to_device(batch, device, dataloader_idx)

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", train=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("dev", train=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", train=False)


def _files_or_source(
    dir: str | None, sample: str, files: dict[str, str | None], source: HubSource | None, kind: str
) -> tuple[str | Path, dict[str, str | None]]:
    """The folder and split files to read: ``dir`` (default: the shipped ``sample``) and ``files``,
    or the files ``source`` writes of a dataset (``kind``: ``tags`` or ``label``); not both."""
    if source is None:
        return (dir if dir is not None else sample_path(sample)), files
    if dir is not None:
        raise ConfigError(f"data.dir={dir} and data.source ({source}) are both set: give one of them")
    return source.write_files(kind)


class ConllDataModule(TokenDataModule):
    """CoNLL column files for sequence labelling (NER, chunking, POS).

    Args:
        dir: folder holding the files; ``None`` means the sample shipped with seqlab.
        train_file, dev_file, test_file: file names inside ``dir`` (dev/test may be ``None``).
        token_column: column of the token.
        label_column: column of the label (negative counts from the end).
        file_scheme: scheme the files are written in (CoNLL-2003: IOB1); ``"auto"``: detected from
            the training file and logged (:func:`~seqlab.data.tag_schemes.detect_scheme`);
            ``None`` for plain labels. Predictions are written back in it.
        tag_scheme: scheme the model is trained in (labels are converted at read time); ``None``:
            the file scheme.
        labels: the entity types the files may hold (``[PER, LOC, ORG, MISC]``), or for plain labels
            (POS tags) the labels themselves; any other label in any file is an error naming its line.
        source: a Hugging Face dataset to read instead of ``dir`` (:class:`~seqlab.data.hub.HubSource`).
        feature_columns: further columns read as token features (``[1]``: a POS column), embedded by
            ``+embedding/features=default``; the checkpoint records them and prediction needs them.
        window_overlap: with ``max_tokens``, the words two neighbouring training windows of a long
            sentence share (default: a quarter of ``max_tokens``). Dev, test and prediction read whole
            sentences (the BiLSTM has no length limit, and whole sentences give every word its context).
        **kwargs: see :class:`TokenDataModule`.
    """

    def __init__(
        self,
        dir: str | None = None,
        train_file: str | None = AUTO,
        dev_file: str | None = AUTO,
        test_file: str | None = AUTO,
        token_column: int = 0,
        label_column: int = -1,
        file_scheme: str | None = "auto",
        tag_scheme: str | None = "IOB2",
        labels: Sequence[str] | None = None,
        source: HubSource | None = None,
        window_overlap: int | None = None,
        feature_columns: Sequence[int] = (),
        **kwargs: Any,
    ) -> None:
        files = {"train": train_file, "dev": dev_file, "test": test_file}
        folder, files = _files_or_source(dir, "conll", files, source, "tags")
        if source is not None and feature_columns:
            raise ConfigError(
                "data.feature_columns reads CoNLL columns; a hub source is written with token and tag only"
            )
        if source is not None:  # the dataset's splits were written as CoNLL files (token, tag)
            token_column, label_column = 0, -1
        super().__init__(folder, files, **kwargs)
        self.token_column = token_column
        self.label_column = label_column
        for column in feature_columns:
            if isinstance(column, bool) or not isinstance(column, int):
                raise ConfigError(f"data.feature_columns lists column numbers (e.g. [1, 2]), got {column!r}")
        self.feature_columns = tuple(feature_columns)
        self._detect = file_scheme == "auto"
        self.file_scheme = parse_scheme(file_scheme).value if file_scheme and not self._detect else None
        self._tag_scheme_setting = parse_scheme(tag_scheme).value if tag_scheme else None
        self.tag_scheme = self._tag_scheme_setting or self.file_scheme
        self._label_names = self._declared(labels)
        self._settle_labels()
        self.window_overlap: int | None = None
        if self.max_tokens is not None:
            overlap = self.max_tokens // 4 if window_overlap is None else window_overlap
            self.window_overlap = check_overlap(overlap, self.max_tokens)
        elif window_overlap is not None:
            raise ConfigError(
                f"data.window_overlap={window_overlap} overlaps windows of data.max_tokens words: "
                "set data.max_tokens too"
            )

    def _settle_labels(self) -> None:
        names = self._label_names
        if names is not None:
            self.declared_labels = labels_for_types(names, self.tag_scheme) if self.tag_scheme else names

    def use_spec(self, spec: DataSpec) -> None:
        if self._detect:  # read other files in the scheme detected on the training file
            self.file_scheme = spec.file_scheme or spec.tag_scheme
            self._detect = False
        super().use_spec(spec)

    def _detect_file_scheme(self) -> None:
        """Set the file scheme from the training file's tags (``file_scheme: auto``), and log it."""
        self._detect = False
        path = self.path("train")
        examples = read_conll(
            path, self.token_column, self.label_column, None, control_characters=self.control_characters
        )
        with quiet_readers():  # the read that follows tells what the file holds
            scheme, evidence = detect_scheme(example["tags"] for example in examples)
        self.file_scheme = scheme.value if scheme is not None else None
        self.tag_scheme = (self._tag_scheme_setting or self.file_scheme) if scheme is not None else None
        self._settle_labels()
        described = f"{scheme.value} ({evidence})" if scheme is not None else evidence
        logger = log.warning if "ambiguous" in evidence else log.info
        logger("tag scheme of %s: %s; set data.file_scheme to override", path, described)

    def setup(self, stage: str | None = None) -> None:
        if self._detect and self.spec is None:
            self._detect_file_scheme()
        super().setup(stage)

    def read(self, split: str, known_labels: Sequence[str] | None) -> datasets.Dataset:
        return load_conll(
            self.path(split),
            cache_dir=self.cache_dir,
            token_column=self.token_column,
            label_column=self.label_column,
            file_scheme=self.file_scheme,
            tag_scheme=self.tag_scheme,
            known_labels=known_labels,
            known_from=self.labels_origin,
            feature_columns=self.feature_columns,
            control_characters=self.control_characters,
        )

    def fit_length(self, split: str, dataset: datasets.Dataset) -> datasets.Dataset:
        """Training sentences longer than ``max_tokens`` become overlapping windows (every word kept);
        other splits stay whole."""
        assert self.max_tokens is not None and self.window_overlap is not None
        if split != "train":
            return dataset
        size, overlap = self.max_tokens, self.window_overlap
        long = sum(len(tokens) > size for tokens in dataset["tokens"][:])
        if not long:
            return dataset

        scheme = self.tag_scheme

        def cut(batch: dict[str, list]) -> dict[str, list]:
            out: dict[str, list] = {name: [] for name in batch}
            for row, tokens in enumerate(batch["tokens"]):
                spans = to_spans(batch["tags"][row], scheme) if scheme else []
                for start, end in windows(len(tokens), size, overlap):
                    for name, column in batch.items():
                        value = column[row]
                        per_word = isinstance(value, list) and len(value) == len(tokens)
                        out[name].append(value[start:end] if per_word else value)
                    if scheme:  # a span cut by the window's edge is re-tagged as a whole span inside it
                        inside = [
                            (t, max(a, start) - start, min(b, end) - start)
                            for t, a, b in spans
                            if a < end and b > start
                        ]
                        out["tags"][-1] = from_spans(inside, end - start, scheme)
            return out

        windowed = dataset.map(cut, batched=True, desc="cutting long training sentences into windows")
        log.info(
            "train: %d sentences longer than data.max_tokens=%d words became windows overlapping by %d words "
            "(%d training rows from %d); dev, test and prediction read whole sentences",
            long,
            size,
            overlap,
            len(windowed),
            len(dataset),
        )
        return windowed

    def labels_from(self, train: datasets.Dataset) -> list[str]:
        seen = sorted({tag for tags in train["tags"][:] for tag in tags})
        if self.tag_scheme is None:
            return seen
        # Every label of the scheme for each entity type, so constraints cover all of them.
        return labels_for_types({split_tag(t)[1] for t in seen if t != "O"}, self.tag_scheme)

    def target(self, example_targets: list[str], label_index: dict[str, int]) -> Tensor:
        return torch.tensor([label_index[t] for t in example_targets], dtype=torch.long)


class TextClassificationDataModule(TokenDataModule):
    """TSV/CSV (with a header) or JSONL files of text and label, for classification.

    Args:
        dir: folder holding the files; ``None`` means the sentiment sample shipped with seqlab.
        train_file, dev_file, test_file: file names inside ``dir`` (dev/test may be ``None``).
        text_field: column or JSON key of the text.
        label_field: column or JSON key of the label.
        format: ``tsv``, ``csv`` or ``jsonl`` (default: from each file's suffix).
        multiline: whether a quoted field may hold line breaks: ``None`` (default) lets CSV fields
            do so (RFC 4180, as spreadsheets write them), and reads TSV fields unquoted; ``True``
            lets quoted TSV fields hold them too; ``False`` reads one record per line (a quote left
            open on its line is an error naming that line).
        labels: the labels the data may hold, in id order (e.g. ``["0", "1"]``); any other label in
            any file is an error naming its line. Without it the labels are the training file's,
            and a label with a single training example gets a warning naming its line.
        splitter: how raw text is cut into words: ``whitespace`` (pre-tokenized text), ``words``
            or ``bert`` (see :data:`seqlab.tokenization.vocab.SPLITTERS`).
        source: a Hugging Face dataset to read instead of ``dir`` (:class:`~seqlab.data.hub.HubSource`).
        truncation: with ``max_tokens``, the part of a longer text kept in every split and at
            prediction: ``head``, ``tail`` or ``head+tail``.
        **kwargs: see :class:`TokenDataModule`.
    """

    target_column = "label"

    def __init__(
        self,
        dir: str | None = None,
        train_file: str | None = AUTO,
        dev_file: str | None = AUTO,
        test_file: str | None = AUTO,
        text_field: str = AUTO,
        label_field: str = AUTO,
        format: str | None = None,
        multiline: bool | None = None,
        labels: Sequence[str] | None = None,
        splitter: str = "whitespace",
        source: HubSource | None = None,
        truncation: str = "head",
        **kwargs: Any,
    ) -> None:
        files = {"train": train_file, "dev": dev_file, "test": test_file}
        folder, files = _files_or_source(dir, "sentiment", files, source, "label")
        if source is not None:  # the dataset's splits were written as JSONL (text, label)
            text_field, label_field, format = "text", "label", "jsonl"
        super().__init__(folder, files, **kwargs)
        present = (self.dir / str(name) for name in self.files.values() if name is not None)
        first = next((path for path in present if path.is_file()), None)
        if first is not None:
            text_field, label_field = find_fields(first, text_field, label_field, format)
        self.text_field = text_field
        self.label_field = label_field
        self.format = format
        self.multiline = multiline
        self.declared_labels = self._declared(labels)
        self.splitter = splitter
        text_splitter(splitter)  # fail early on a bad name
        self.truncation = check_truncation(truncation)

    def use_spec(self, spec: DataSpec) -> None:
        self.max_tokens = spec.max_tokens  # texts are cut as the model was trained
        self.truncation = spec.truncation or self.truncation
        super().use_spec(spec)

    def fit_length(self, split: str, dataset: datasets.Dataset) -> datasets.Dataset:
        """Texts longer than ``max_tokens`` cut to their :attr:`truncation` part (logged with the words left out)."""
        assert self.max_tokens is not None and self.truncation is not None
        size, how = self.max_tokens, self.truncation
        lengths = [len(tokens) for tokens in dataset["tokens"][:]]
        long = [n for n in lengths if n > size]
        if not long:
            return dataset
        cut = dataset.map(
            lambda batch: {"tokens": [truncate(tokens, size, how) for tokens in batch["tokens"]]},
            batched=True,
            desc=f"cutting long {split} texts",
        )
        log.info(
            "%s: %d of %d texts longer than data.max_tokens=%d words keep their %s (%d of %d words left out; "
            "data.truncation=head|tail|head+tail)",
            split,
            len(long),
            len(lengths),
            size,
            how,
            sum(long) - size * len(long),
            sum(lengths),
        )
        return cut

    def read(self, split: str, known_labels: Sequence[str] | None) -> datasets.Dataset:
        dataset = load_examples(
            read_text_classification,
            self.path(split),
            cache_dir=self.cache_dir,
            text_field=self.text_field,
            label_field=self.label_field,
            format=self.format,
            multiline=self.multiline,
            known_labels=known_labels,
            known_from=self.labels_origin,
            control_characters=self.control_characters,
        )
        return with_tokens(dataset, self.splitter, split)

    def labels_from(self, train: datasets.Dataset) -> list[str]:
        first_line: dict[str, int] = {}
        counts: dict[str, int] = {}
        for label, line in zip(train["label"][:], train["line"][:]):
            first_line.setdefault(label, line)
            counts[label] = counts.get(label, 0) + 1
        for label, count in counts.items():
            if count == 1:
                log.warning(
                    "%s:%d: label %r has a single training example; if it is a typo, fix the line, or "
                    "declare the labels with data.labels=[...] to make any other label an error",
                    self.path("train"),
                    first_line[label],
                    label,
                )
        return sorted(counts)

    def target(self, example_targets: str, label_index: dict[str, int]) -> Tensor:
        return torch.tensor(label_index[example_targets], dtype=torch.long)


def with_tokens(dataset: datasets.Dataset, splitter_name: str, split: str) -> datasets.Dataset:
    """``dataset`` with a ``tokens`` column: each ``text`` cut into words by the splitter called
    ``splitter_name`` (as prediction cuts raw text), cached by ``datasets``."""

    def add_tokens(batch: dict) -> dict:
        splitter = text_splitter(splitter_name)
        return {"tokens": [split_text(splitter, text) for text in batch["text"]]}

    return dataset.map(add_tokens, batched=True, desc=f"splitting {split} text")
