"""Model folders: every file the manifest names stays inside the folder, and files are bounded in
size (before they are parsed) and in JSON nesting; each refusal names the file."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tokenizers import Tokenizer
from tokenizers.models import WordLevel

from seqlab import featurizers
from seqlab.predict import model_folder
from seqlab.predict.model_folder import CARD, GRAPH, MANIFEST, MAX_JSON_DEPTH, ModelFolder, ModelFolderError


def write_tokenizer(path: Path) -> None:
    Tokenizer(WordLevel({"<pad>": 0, "<unk>": 1, "a": 2}, unk_token="<unk>")).save(str(path))


def make_folder(root: Path, tokenizer: str = "word_ids.tokenizer.json", **manifest) -> Path:
    """A model folder the reader accepts (the graph is not opened), with ``manifest`` changes."""
    folder = root / "model"
    folder.mkdir()
    (folder / GRAPH).write_bytes(b"graph")
    write_tokenizer(folder / "word_ids.tokenizer.json")
    full = {"format": 1, "kind": "label", "labels": ["neg", "pos"], "splitter": "words",
            "inputs": {"word_ids": {"kind": "WordIds", "tokenizer": tokenizer}}, **manifest}
    (folder / MANIFEST).write_text(json.dumps(full))
    (folder / CARD).write_text(json.dumps({"name": "m"}))
    return folder


def test_a_well_formed_folder_reads(tmp_path: Path) -> None:
    folder = ModelFolder.read(make_folder(tmp_path))
    assert list(folder.featurizers) == ["word_ids"] and folder.card == {"name": "m"}


@pytest.mark.parametrize("name, problem", [
    ("../outside.json", "is not a path inside the folder"),
    ("sub/../../outside.json", "is not a path inside the folder"),
    ("/etc/passwd", "is not a path inside the folder"),
    ("", "not a file name"),
])
def test_a_tokenizer_named_outside_the_folder_is_refused(tmp_path: Path, name: str, problem: str) -> None:
    write_tokenizer(tmp_path / "outside.json")
    folder = make_folder(tmp_path, tokenizer=name)
    with pytest.raises(ModelFolderError, match=rf"{MANIFEST}: input featurizers: .*{problem}"):
        ModelFolder.read(folder)


def test_a_tokenizer_named_by_a_number_is_refused(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, inputs={"word_ids": {"kind": "WordIds", "tokenizer": 3}})
    with pytest.raises(ModelFolderError, match="is named by 3, not a file name"):
        ModelFolder.read(folder)


def test_a_link_leading_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    write_tokenizer(tmp_path / "outside.json")
    folder = make_folder(tmp_path, tokenizer="linked.json")
    os.symlink(tmp_path / "outside.json", folder / "linked.json")
    with pytest.raises(ModelFolderError, match=r"linked.json: the tokenizer file leads out of the folder \(to "):
        ModelFolder.read(folder)
    os.symlink("word_ids.tokenizer.json", folder / "inside.json")  # a link that stays inside is fine
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["inputs"]["word_ids"]["tokenizer"] = "inside.json"
    (folder / MANIFEST).write_text(json.dumps(manifest))
    ModelFolder.read(folder)


@pytest.mark.parametrize("name", [MANIFEST, CARD, GRAPH])
def test_the_folders_own_files_may_not_lead_out_either(tmp_path: Path, name: str) -> None:
    folder = make_folder(tmp_path)
    outside = tmp_path / f"outside-{name}"
    (folder / name).rename(outside)
    os.symlink(outside, folder / name)
    with pytest.raises(ModelFolderError, match=rf"{name}: the .* leads out of the folder"):
        ModelFolder.read(folder)


def test_a_tokenizer_over_the_size_limit_is_refused_before_parsing(tmp_path: Path, monkeypatch) -> None:
    folder = make_folder(tmp_path)
    size = (folder / "word_ids.tokenizer.json").stat().st_size
    monkeypatch.setattr(featurizers, "MAX_TOKENIZER_BYTES", size - 1)
    monkeypatch.setattr(Tokenizer, "from_file", lambda *a: pytest.fail("parsed"), raising=False)
    with pytest.raises(ModelFolderError, match=rf"word_ids.tokenizer.json: {size} bytes, more than the {size - 1} "
                                               "bytes a tokenizer file may have"):
        ModelFolder.read(folder)


def test_a_malformed_tokenizer_is_a_model_folder_error(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    (folder / "word_ids.tokenizer.json").write_text("{" * 200 + "}" * 200)
    with pytest.raises(ModelFolderError, match=r"word_ids.tokenizer.json: not a tokenizer file \("):
        ModelFolder.read(folder)


def test_a_tokenizer_that_panics_while_loading_is_one_line(tmp_path: Path, capfd) -> None:
    """tokenizers panics in Rust on an invalid precompiled character map: a ``PanicException``,
    no ``Exception``, and its hook writes to stderr; the reader's error is the one line."""
    folder = make_folder(tmp_path)
    path = folder / "word_ids.tokenizer.json"
    path.write_text(json.dumps({**json.loads(path.read_text()),
                                "normalizer": {"type": "Precompiled", "precompiled_charsmap": "!!invalid"}}))
    capfd.readouterr()
    with pytest.raises(ModelFolderError, match=r"word_ids.tokenizer.json: not a tokenizer file \(PanicException: "
                                               r"Precompiled: Error\(") as raised:
        ModelFolder.read(folder)
    assert "\n" not in str(raised.value)
    assert capfd.readouterr().err == ""


def test_a_tokenizer_nested_too_deep_is_one_line(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    (folder / "word_ids.tokenizer.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ModelFolderError, match=r"word_ids.tokenizer.json: not a tokenizer file \(Exception: "):
        ModelFolder.read(folder)


def test_what_else_is_written_to_stderr_while_a_tokenizer_loads_is_passed_on(tmp_path: Path, capfd,
                                                                             monkeypatch) -> None:
    import os

    from seqlab.tokenization.tokenizer_file import read_tokenizer

    write_tokenizer(tmp_path / "t.json")
    loads = Tokenizer.from_file

    def noisy(path: str) -> Tokenizer:
        os.write(2, b"a warning\n")
        return loads(path)

    monkeypatch.setattr(Tokenizer, "from_file", noisy)
    assert read_tokenizer(tmp_path / "t.json").get_vocab()["a"] == 2
    assert capfd.readouterr().err == "a warning\n"


@pytest.mark.parametrize("name", [MANIFEST, CARD])
def test_json_over_the_size_limit_is_refused_before_parsing(tmp_path: Path, monkeypatch, name: str) -> None:
    folder = make_folder(tmp_path)
    (folder / CARD).write_text(json.dumps({"name": "m" * 1000}))  # the larger of the two
    if name == MANIFEST:
        (folder / CARD).unlink()
    size = (folder / name).stat().st_size
    monkeypatch.setattr(model_folder, "MAX_JSON_BYTES", size - 1)
    with pytest.raises(ModelFolderError, match=rf"{name}: {size} bytes, more than the {size - 1} bytes a JSON file"):
        ModelFolder.read(folder)


def nested(depth: int) -> dict:
    """A JSON object ``depth`` levels deep (the object itself is level 1)."""
    node: dict = {}
    for _ in range(depth - 1):
        node = {"x": node}
    return node


@pytest.mark.parametrize("name", [MANIFEST, CARD])
def test_json_nesting_is_bounded(tmp_path: Path, name: str) -> None:
    folder = make_folder(tmp_path)
    content = json.loads((folder / name).read_text())
    (folder / name).write_text(json.dumps({**content, "deep": nested(MAX_JSON_DEPTH - 1)}))
    ModelFolder.read(folder)  # the limit itself is fine
    (folder / name).write_text(json.dumps({**content, "deep": nested(MAX_JSON_DEPTH)}))
    with pytest.raises(ModelFolderError, match=rf"{name}: JSON nested {MAX_JSON_DEPTH + 1} levels deep; at most "
                                               f"{MAX_JSON_DEPTH} are allowed"):
        ModelFolder.read(folder)
    (folder / name).write_text("[" * 100_000 + "]" * 100_000)  # deeper than Python's parser goes
    with pytest.raises(ModelFolderError, match=rf"{name}: JSON nested too deep to parse"):
        ModelFolder.read(folder)


def test_a_stored_config_naming_a_module_of_0_2_reads_as_the_module_it_moved_to() -> None:
    from seqlab.predict.checkpoint_file import MOVED_MODULES, unsafe_targets, with_moved_targets

    config = {"callbacks": {"finite": {"_target_": "seqlab.callbacks.FiniteLossGuard"}},
              "trainer": {"_target_": "pytorch_lightning.Trainer",
                          "plugins": [{"_target_": "seqlab.checkpoint.AtomicCheckpointIO"}]}}
    assert list(unsafe_targets(config, ("callbacks", "trainer")))  # 0.2's paths exist no more
    moved = with_moved_targets(config)
    assert moved["callbacks"]["finite"]["_target_"] == "seqlab.training.callbacks.FiniteLossGuard"
    assert moved["trainer"]["plugins"][0]["_target_"] == "seqlab.training.checkpoint.AtomicCheckpointIO"
    assert list(unsafe_targets(moved, ("callbacks", "trainer"))) == []
    assert all(old.count(".") in (1, 2) and new.startswith("seqlab.training.") for old, new in MOVED_MODULES.items())
    # seqlab.train became seqlab.training when seqlab.train became the Python training API
    old = {"callbacks": {"finite": {"_target_": "seqlab.train.callbacks.FiniteLossGuard"}}}
    assert with_moved_targets(old)["callbacks"]["finite"]["_target_"] == "seqlab.training.callbacks.FiniteLossGuard"


def test_a_format_2_folder_reads_its_decoding_file(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, format=2, graph_outputs=["emissions"], decoding="decoding.json")
    (folder / "decoding.json").write_text(json.dumps({"crf": {"start": [0.5]}}))
    read = ModelFolder.read(folder)
    assert read.graph_outputs == ("emissions",) and read.decoding == {"crf": {"start": [0.5]}}


@pytest.mark.parametrize("manifest, problem", [
    ({"decoding": "../outside.json"}, "is not a path inside the folder"),
    ({"decoding": 3}, "'decoding' must name the decoding file"),
    ({"decoding": "absent.json"}, r"absent.json: missing"),
    ({"graph_outputs": "emissions"}, "'graph_outputs' must list the graph's output names"),
])
def test_a_bad_decoding_file_or_output_list_is_refused(tmp_path: Path, manifest: dict, problem: str) -> None:
    (tmp_path / "outside.json").write_text("{}")
    folder = make_folder(tmp_path, **{"format": 2, "graph_outputs": ["emissions"], **manifest})
    with pytest.raises(ModelFolderError, match=problem):
        ModelFolder.read(folder)


def test_a_decoding_file_is_size_checked_before_it_is_parsed(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(model_folder, "MAX_JSON_BYTES", 400)
    folder = make_folder(tmp_path, format=2, graph_outputs=["emissions"], decoding="decoding.json")
    (folder / "decoding.json").write_text(json.dumps({"crf": [0.0] * 200}))
    with pytest.raises(ModelFolderError, match=r"decoding.json: \d+ bytes, more than the 400 bytes"):
        ModelFolder.read(folder)
