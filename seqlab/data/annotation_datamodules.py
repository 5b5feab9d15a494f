"""Data modules for annotation-tool exports (:mod:`seqlab.data.annotations`): entity spans for
sequence labelling (``data=labelstudio|doccano|spans``) and Label Studio choices for text
classification (``data=labelstudio_choices``).

The spans are aligned to the words of ``data.splitter`` (:mod:`seqlab.data.alignment`) and tagged
in ``data.tag_scheme``; the checkpoint records the splitter, so prediction cuts raw text the same way.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from typing import Any

import datasets

from seqlab.data.alignment import align_spans, check_misaligned
from seqlab.data.annotations import annotation_reader
from seqlab.data.datamodules import ConllDataModule, TextClassificationDataModule, with_tokens
from seqlab.data.discovery import AUTO
from seqlab.data.readers import load_examples, unknown_label_message
from seqlab.data.tag_schemes import from_spans, parse_scheme, split_tag
from seqlab.errors import ConfigError, ReaderError
from seqlab.resources import sample_path
from seqlab.tokenization.vocab import text_splitter

log = logging.getLogger(__name__)


def read_annotated_spans(
    path: str | os.PathLike,
    format: str,
    text_field: str = "text",
    splitter: str = "words",
    misaligned: str = "error",
    tag_scheme: str = "IOB2",
    known_labels: Sequence[str] | None = None,
    known_from: str = "the training data",
) -> Iterator[dict]:
    """Yield ``{"tokens", "tags", "line", "snapped"}`` per text of an annotation file (a text
    without spans is all ``O``: a negative, kept); ``snapped`` counts its spans widened to words."""
    words = text_splitter(splitter)
    types = sorted({split_tag(label)[1] for label in known_labels if label != "O"}) if known_labels else None
    for item in annotation_reader(format)(path, text_field=text_field):
        for span in item.spans:
            if types is not None and span.label not in types:
                raise ReaderError(path, span.line, unknown_label_message(span.label, types, known_from))
        aligned = align_spans(str(path), item.text, item.spans, words, misaligned)
        tags = from_spans(aligned.spans, len(aligned.tokens), tag_scheme)
        yield {"tokens": aligned.tokens, "tags": tags, "line": item.line, "snapped": aligned.snapped}


def read_annotated_classes(
    path: str | os.PathLike,
    format: str,
    text_field: str = "text",
    known_labels: Sequence[str] | None = None,
    known_from: str = "the training data",
) -> Iterator[dict]:
    """Yield ``{"text", "label", "line"}`` per text of an annotation file with one class per text."""
    for item in annotation_reader(format)(path, text_field=text_field):
        if len(item.choices) != 1:
            found = f"{len(item.choices)}: {', '.join(item.choices)}" if item.choices else "none"
            raise ReaderError(path, item.line, f"expected one class (a choices result) for the text, found {found}")
        label = item.choices[0]
        if known_labels is not None and label not in known_labels:
            raise ReaderError(path, item.line, unknown_label_message(label, known_labels, known_from))
        yield {"text": item.text, "label": label, "line": item.line}


def _folder(dir: str | None, format: str, sample: str) -> str:
    """``dir``, or the shipped ``sample`` of ``format`` (an unknown format is a config error first)."""
    annotation_reader(format)
    return dir if dir is not None else str(sample_path(sample))


class AnnotatedSpansDataModule(ConllDataModule):
    """Annotation-tool exports of entity spans, for sequence labelling.

    Args:
        format: ``labelstudio`` (a JSON list of tasks, or JSONL), ``doccano`` (JSONL, ``label`` or
            ``entities`` as ``[start, end, label]``) or ``spans`` (JSONL, ``spans: [{start, end, label}]``).
        dir: folder holding the files; ``None`` means the sample of ``format`` shipped with seqlab.
        train_file, dev_file, test_file: file names inside ``dir`` (``auto``: ``train.json[l]`` and so on).
        text_field: the key of the text (Label Studio: inside ``data``).
        splitter: how texts are cut into words (``words``, ``bert`` or ``whitespace``); spans must
            fall on its word boundaries, and prediction cuts raw text the same way.
        misaligned: ``error`` (a span off the word boundaries is an error naming its line and
            offsets) or ``snap`` (it is widened to the words it touches; a warning counts them).
        tag_scheme: the scheme the model learns (IOB1, IOB2, IOBES, BILOU).
        labels: the entity types the files may hold; any other is an error at its line.
        **kwargs: see :class:`~seqlab.data.datamodules.TokenDataModule`.
    """

    file_kind = "annotations"

    def __init__(
        self,
        format: str = "labelstudio",
        dir: str | None = None,
        train_file: str | None = AUTO,
        dev_file: str | None = AUTO,
        test_file: str | None = AUTO,
        text_field: str = "text",
        splitter: str = "words",
        misaligned: str = "error",
        tag_scheme: str = "IOB2",
        labels: Sequence[str] | None = None,
        window_overlap: int | None = None,
        **kwargs: Any,
    ) -> None:
        if not tag_scheme:
            raise ConfigError("data.tag_scheme: annotation spans are tagged in a scheme; give IOB1|IOB2|IOBES|BILOU")
        folder = _folder(dir, format, format)
        super().__init__(
            folder,
            train_file,
            dev_file,
            test_file,
            file_scheme=parse_scheme(tag_scheme).value,
            tag_scheme=tag_scheme,
            labels=labels,
            window_overlap=window_overlap,
            **kwargs,
        )
        self.format = format
        self.text_field = text_field
        text_splitter(splitter)  # fail early on a bad name
        self.splitter = splitter
        self.misaligned = check_misaligned(misaligned)

    def read(self, split: str, known_labels: Sequence[str] | None) -> datasets.Dataset:
        path = self.path(split)
        dataset = load_examples(
            read_annotated_spans,
            path,
            cache_dir=self.cache_dir,
            format=self.format,
            text_field=self.text_field,
            splitter=self.splitter,
            misaligned=self.misaligned,
            tag_scheme=self.tag_scheme,
            known_labels=known_labels,
            known_from=self.labels_origin,
        )
        snapped = [(count, line) for count, line in zip(dataset["snapped"][:], dataset["line"][:]) if count]
        if snapped:
            log.warning(
                "%s: %d spans in %d texts did not fall on word boundaries and were widened to the words they "
                "touch (data.misaligned=snap; first on line %d)",
                path,
                sum(count for count, _ in snapped),
                len(snapped),
                snapped[0][1],
            )
        negatives = sum(all(tag == "O" for tag in tags) for tags in dataset["tags"])
        log.info(
            "%s: %d texts (%s format), %d of them without spans (kept as negatives)",
            path,
            len(dataset),
            self.format,
            negatives,
        )
        return dataset


class AnnotatedClassesDataModule(TextClassificationDataModule):
    """Annotation-tool exports with one class per text (Label Studio ``choices``), for classification.

    Args:
        format: ``labelstudio`` (a JSON list of tasks, or JSONL) or ``doccano`` (``label: [name]``).
        dir: folder holding the files; ``None`` means the Label Studio sentiment sample shipped with seqlab.
        train_file, dev_file, test_file: file names inside ``dir``.
        text_field: the key of the text (Label Studio: inside ``data``).
        labels: the classes the files may hold, in id order; any other is an error at its line.
        splitter: how texts are cut into words (``words``, ``bert`` or ``whitespace``).
        truncation: see :class:`~seqlab.data.datamodules.TextClassificationDataModule`.
        **kwargs: see :class:`~seqlab.data.datamodules.TokenDataModule`.
    """

    file_kind = "annotations"

    def __init__(
        self,
        format: str = "labelstudio",
        dir: str | None = None,
        train_file: str | None = AUTO,
        dev_file: str | None = AUTO,
        test_file: str | None = AUTO,
        text_field: str = "text",
        labels: Sequence[str] | None = None,
        splitter: str = "words",
        truncation: str = "head",
        **kwargs: Any,
    ) -> None:
        folder = _folder(dir, format, f"{format}_choices")
        super().__init__(
            folder,
            train_file,
            dev_file,
            test_file,
            text_field=text_field,
            label_field="choices",
            labels=labels,
            splitter=splitter,
            truncation=truncation,
            **kwargs,
        )
        self.annotation_format = format

    def read(self, split: str, known_labels: Sequence[str] | None) -> datasets.Dataset:
        dataset = load_examples(
            read_annotated_classes,
            self.path(split),
            cache_dir=self.cache_dir,
            format=self.annotation_format,
            text_field=self.text_field,
            known_labels=known_labels,
            known_from=self.labels_origin,
        )
        return with_tokens(dataset, self.splitter, split)
