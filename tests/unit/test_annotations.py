"""Annotation-tool exports (Label Studio, doccano, span JSONL): read, aligned to words, every mistake
one error at its line (tests/corpus/annotations), snapping counted, and pre-annotations read back."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqlab.data.alignment import align_spans
from seqlab.data.annotation_datamodules import read_annotated_classes, read_annotated_spans
from seqlab.data.annotations import CharSpan, read_doccano, read_labelstudio, read_span_jsonl
from seqlab.errors import ConfigError, ReaderError
from seqlab.predict.pre_annotations import PreAnnotationWriter
from seqlab.resources import sample_path
from seqlab.tokenization.vocab import text_splitter

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "annotations"
BAD = json.loads((CORPUS / "manifest.json").read_text())
SAMPLES = {"labelstudio": "train.json", "doccano": "train.jsonl", "spans": "train.jsonl"}


@pytest.mark.parametrize("case", BAD, ids=[c["file"] for c in BAD])
def test_malformed_annotation_file_is_one_error_at_its_line(case: dict) -> None:
    path = CORPUS / case["file"]
    reader = read_annotated_spans if case["reader"] == "spans" else read_annotated_classes
    with pytest.raises(ReaderError) as info:
        list(reader(path, case["format"], **case["kwargs"]))
    error = info.value
    assert error.path == str(path) and case["message"] in str(error) and "\n" not in str(error), str(error)
    assert error.line == case["line"], str(error)


def test_the_three_samples_hold_the_same_words_and_tags() -> None:
    read = {name: list(read_annotated_spans(sample_path(name) / file, name)) for name, file in SAMPLES.items()}
    first = read["labelstudio"]
    assert len(first) == 40
    for rows in read.values():
        assert [(r["tokens"], r["tags"]) for r in rows] == [(r["tokens"], r["tags"]) for r in first]
    assert first[1]["tokens"][:4] == ["Prime", "Minister", "Peter", "Weber"]
    assert first[1]["tags"][:6] == ["O", "O", "B-PER", "I-PER", "O", "B-LOC"]
    negatives = [r for r in first if set(r["tags"]) == {"O"}]
    assert negatives  # texts without spans are kept, all O


def test_tags_follow_the_scheme_asked_for() -> None:
    rows = list(read_annotated_spans(sample_path("doccano") / "train.jsonl", "doccano", tag_scheme="BILOU"))
    assert rows[1]["tags"][2:4] == ["B-PER", "L-PER"] and rows[1]["tags"][5] == "U-LOC"


def test_label_studio_choices_are_classes() -> None:
    rows = list(read_annotated_classes(sample_path("labelstudio_choices") / "train.json", "labelstudio"))
    assert len(rows) == 40 and {r["label"] for r in rows} == {"positive", "negative"}
    assert rows[0] == {"text": "mara vellin gives a charming performance .", "label": "positive", "line": 2}


def test_an_undeclared_entity_type_is_an_error_at_its_span(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_text(
        '{"text": "Anna went home.", "spans": []}\n{"text": "Anna went to Rome.", "spans": '
        '[{"start": 0, "end": 4, "label": "PERSON"}]}\n'
    )
    with pytest.raises(
        ReaderError,
        match=r"train.jsonl:2: label 'PERSON' does not occur in data.labels; known labels: "
        r"LOC, PER",
    ):
        list(
            read_annotated_spans(
                path, "spans", known_labels=["O", "B-PER", "I-PER", "B-LOC", "I-LOC"], known_from="data.labels"
            )
        )


def test_snap_widens_a_misaligned_span_to_its_words() -> None:
    splitter = text_splitter("words")
    text = "They met Anna Schmidt in Paris."
    aligned = align_spans("f", text, [CharSpan(9, 16, "PER", 1), CharSpan(25, 28, "LOC", 1)], splitter, "snap")
    assert aligned.tokens[2:4] == ["Anna", "Schmidt"] and aligned.snapped == 2
    assert aligned.spans == [("PER", 2, 4), ("LOC", 5, 6)]


def test_snapping_is_counted_in_one_warning_naming_the_first_line(make_config, tmp_path, caplog) -> None:
    from seqlab.training.build import build_datamodule

    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "train.jsonl").write_text(
        '{"text": "Peter Weber flew to Sydney.", "label": [[0, 11, "PER"]]}\n'
        '{"text": "They met Anna Schmidt in Paris.", "label": [[9, 16, "PER"], [25, 28, "LOC"]]}\n'
        '{"text": "Nobody came.", "label": []}\n'
    )
    (folder / "dev.jsonl").write_text('{"text": "Nobody came.", "label": []}\n')
    cfg = make_config("data=doccano", f"data.dir={folder}", "data.misaligned=snap")
    datamodule = build_datamodule(cfg)
    with caplog.at_level(logging.WARNING):
        datamodule.setup("fit")
    assert "2 spans in 1 texts did not fall on word boundaries and were widened to the words they touch " in caplog.text
    assert "first on line 2" in caplog.text
    assert datamodule.dataset("train")["tags"][2] == ["O", "O", "O"]  # the negative is kept


def test_misaligned_must_be_error_or_snap(make_config) -> None:
    from seqlab.training.build import build_datamodule

    with pytest.raises(ConfigError, match="data.misaligned must be one of error, snap, got 'drop'"):
        build_datamodule(make_config("data=spans", "data.misaligned=drop"))


def test_label_studio_offsets_count_utf16_units(tmp_path: Path) -> None:
    text = "Smile 😀 at Berlin"
    task = {
        "data": {"text": text},
        "annotations": [
            {
                "result": [
                    {
                        "type": "labels",
                        "from_name": "label",
                        "to_name": "text",
                        "value": {"start": 12, "end": 18, "text": "Berlin", "labels": ["LOC"]},
                    }
                ]
            }
        ],
    }
    path = tmp_path / "t.json"
    path.write_text(json.dumps([task]))
    (item,) = read_labelstudio(path)
    assert item.spans == [CharSpan(11, 17, "LOC", 1)] and text[11:17] == "Berlin"


def test_label_studio_reads_the_first_annotation_and_counts_what_it_leaves_out(tmp_path, caplog) -> None:
    result = {
        "type": "labels",
        "from_name": "label",
        "to_name": "text",
        "value": {"start": 0, "end": 4, "text": "Anna", "labels": ["PER"]},
    }
    tasks = [
        {"data": {"text": "Anna flew."}, "annotations": [{"result": [result]}, {"result": []}]},
        {"data": {"text": "Nobody flew."}, "annotations": []},
        {
            "data": {"text": "Anna ran."},
            "annotations": [{"was_cancelled": True, "result": []}],
            "predictions": [{"result": [result]}],
        },
    ]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks, indent=1))
    with caplog.at_level(logging.INFO):
        items = list(read_labelstudio(path))
    assert [(i.text, [s.label for s in i.spans]) for i in items] == [("Anna flew.", ["PER"]), ("Anna ran.", ["PER"])]
    assert "1 tasks have several annotations; the first of each is read" in caplog.text
    assert "1 tasks have no annotation and no prediction and are left out (first on line" in caplog.text


def test_label_studio_jsonl_and_doccano_entities_objects(tmp_path: Path) -> None:
    path = tmp_path / "tasks.jsonl"
    path.write_text(json.dumps({"data": {"text": "Anna flew."}, "annotations": [{"result": []}]}) + "\n")
    assert [i.text for i in read_labelstudio(path)] == ["Anna flew."]
    path = tmp_path / "doccano.jsonl"
    path.write_text(
        '{"text": "Anna flew.", "entities": [{"id": 1, "start_offset": 0, "end_offset": 4, "label": "PER"}]}\n'
    )
    assert [s.label for s in next(read_doccano(path)).spans] == ["PER"]


def test_prodigy_answers_other_than_accept_are_counted(tmp_path, caplog) -> None:
    path = tmp_path / "prodigy.jsonl"
    path.write_text(
        '{"text": "Anna flew.", "spans": [], "answer": "accept"}\n'
        '{"text": "Bob flew.", "spans": [], "answer": "reject"}\n'
    )
    with caplog.at_level(logging.WARNING):
        assert [i.text for i in read_span_jsonl(path)] == ["Anna flew."]
    assert "1 examples answered reject or ignore are left out (first on line 2)" in caplog.text


TAGGED = {
    "text": "Smile 😀 Peter Weber flew to Sydney.",
    "tokens": ["Smile", "😀", "Peter", "Weber", "flew", "to", "Sydney", "."],
    "tags": ["O", "O", "B-PER", "I-PER", "O", "O", "B-LOC", "O"],
    "spans": [
        {"type": "PER", "start": 2, "end": 4, "char_start": 8, "char_end": 19, "text": "Peter Weber", "score": 0.9},
        {"type": "LOC", "start": 6, "end": 7, "char_start": 28, "char_end": 34, "text": "Sydney", "score": 0.7},
    ],
}
CLASSIFIED = {
    "text": "a fine film",
    "tokens": ["a", "fine", "film"],
    "label": "positive",
    "probabilities": {"negative": 0.2, "positive": 0.8},
}


@pytest.mark.parametrize("style", ["labelstudio", "doccano", "spans"])
def test_pre_annotations_read_back_with_the_same_reader(tmp_path: Path, style: str) -> None:
    writer = PreAnnotationWriter(style, "v1")
    path = tmp_path / "out.json"
    path.write_text(writer.head + "".join(writer.item(p, i == 0) for i, p in enumerate([TAGGED, TAGGED])) + writer.tail)
    rows = list(read_annotated_spans(path, style))
    assert [(r["tokens"], r["tags"]) for r in rows] == [(TAGGED["tokens"], TAGGED["tags"])] * 2


def test_label_studio_pre_annotations_have_model_version_and_scores() -> None:
    task = PreAnnotationWriter("labelstudio", "run-7").labelstudio(TAGGED)
    (made,) = task["predictions"]
    assert made["model_version"] == "run-7" and made["score"] == 0.7
    first = made["result"][0]
    assert first["value"] == {"start": 9, "end": 20, "text": "Peter Weber", "labels": ["PER"]}  # UTF-16 offsets
    assert (first["from_name"], first["to_name"], first["type"], first["score"]) == ("label", "text", "labels", 0.9)


def test_a_classifier_writes_label_studio_choices_and_doccano_labels(tmp_path: Path) -> None:
    writer = PreAnnotationWriter("labelstudio", "v1")
    task = writer.labelstudio(CLASSIFIED)
    assert task["predictions"][0]["score"] == 0.8
    assert task["predictions"][0]["result"][0]["value"] == {"choices": ["positive"]}
    path = tmp_path / "out.json"
    path.write_text(writer.head + writer.item(CLASSIFIED, True) + writer.tail)
    assert list(read_annotated_classes(path, "labelstudio")) == [
        {"text": "a fine film", "label": "positive", "line": 2}
    ]
    row = PreAnnotationWriter("doccano", "v1").doccano(CLASSIFIED)
    assert row == {"text": "a fine film", "label": ["positive"], "scores": [0.8], "model_version": "v1"}
    with pytest.raises(ConfigError, match="format=spans writes entity spans: it needs a tagging model"):
        PreAnnotationWriter("spans", "v1").span_row(CLASSIFIED)


def test_format_spans_needs_a_tagging_model() -> None:
    from types import SimpleNamespace

    from seqlab.cli.predict import check_output_format

    classifier = SimpleNamespace(output=SimpleNamespace(per_word=False, name="label"))
    with pytest.raises(ConfigError, match="format=spans writes entity spans; m.ckpt predicts 'label' per text: use "):
        check_output_format(classifier, "spans", "m.ckpt")  # type: ignore[arg-type]
    check_output_format(classifier, "labelstudio", "m.ckpt")  # type: ignore[arg-type]


@given(
    words=st.lists(st.text(alphabet="abcXYZé😀", min_size=1, max_size=6), min_size=1, max_size=12),
    gaps=st.lists(st.sampled_from([" ", "  ", "\t", " \n "]), min_size=12, max_size=12),
    cuts=st.lists(st.integers(0, 12), max_size=6),
)
@settings(max_examples=60, deadline=None)
def test_word_aligned_character_spans_come_back_as_the_same_word_spans(words, gaps, cuts) -> None:
    text, offsets = "", []
    for word, gap in zip(words, gaps):
        offsets.append((len(text), len(text) + len(word)))
        text += word + gap
    bounds = sorted({c % (len(words) + 1) for c in cuts} | {0, len(words)})
    chosen = [(a, b) for a, b in zip(bounds, bounds[1:])][::2]  # every other run of words: none touch
    spans = [CharSpan(offsets[a][0], offsets[b - 1][1], f"T{a}", 1) for a, b in chosen]
    aligned = align_spans("f", text, spans, text_splitter("whitespace"), "error")
    assert aligned.tokens == words and aligned.snapped == 0
    assert aligned.spans == [(f"T{a}", a, b) for a, b in chosen]


def test_the_data_folder_is_checked_for_annotation_files_before_training(tmp_path: Path) -> None:
    from seqlab.data.discovery import check_data_files

    target = "seqlab.data.annotation_datamodules.AnnotatedSpansDataModule"
    data = {"_target_": target, "dir": str(tmp_path), "train_file": "auto", "dev_file": "auto", "test_file": "auto"}
    (tmp_path / "train.txt").write_text("Peter B-PER\n")
    with pytest.raises(ConfigError, match=r"json/jsonl"):
        check_data_files(data)
    (tmp_path / "train.jsonl").write_text('{"text": "Anna", "label": []}\n')
    (tmp_path / "dev.json").write_text("[]")
    check_data_files(data)
