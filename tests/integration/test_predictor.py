"""Train tiny -> checkpoint -> load in a fresh process -> identical predictions; raw-text edge cases."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from seqlab.training.pipeline import train
from seqlab.training.checkpoint import CheckpointError, read_checkpoint
from seqlab.predict.predictor import Predictor

TEXTS = [
    "Peter Blackburn visited Paris on Monday with the European Commission .",
    "",
    "   ",
    "Zzqxv unseen ¤¤ characters in 1,234 places",
    " ".join(["Berlin"] * 600),  # longer than 512 tokens
]


@pytest.fixture(scope="module")
def ner_checkpoint(tmp_path_factory) -> Path:
    from hydra import compose, initialize_config_dir

    from seqlab.config import config_dir

    out = tmp_path_factory.mktemp("ner")
    # Ten epochs (a few seconds): enough for the model to tag the sample's entities, so that the
    # span tests below see spans (after two epochs it tags everything O).
    overrides = ["trainer.max_epochs=10", "data.batch_size=16", "~callbacks.early_stopping",
                 "trainer.enable_progress_bar=false", f"paths.output_dir={out}", f"data.cache_dir={out / 'cache'}"]
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        cfg = compose("train", overrides=overrides)
    train(cfg)
    return out / "checkpoints" / "last.ckpt"


def test_fresh_process_gives_identical_predictions(ner_checkpoint: Path, tmp_path: Path) -> None:
    here = Predictor.from_checkpoint(ner_checkpoint).predict(TEXTS)
    script = (
        "import json, sys\nfrom seqlab.predict.predictor import Predictor\n"
        f"texts = json.loads(sys.stdin.read())\n"
        f"print(json.dumps(Predictor.from_checkpoint({str(ner_checkpoint)!r}).predict(texts)))\n"
    )
    # The fresh process runs outside the repository and its data: the checkpoint is all it has.
    result = subprocess.run([sys.executable, "-c", script], input=json.dumps(TEXTS), capture_output=True,
                            text=True, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout) == json.loads(json.dumps(here))


def test_raw_text_edge_cases(ner_checkpoint: Path) -> None:
    predictions = Predictor.from_checkpoint(ner_checkpoint, batch_size=2).predict(TEXTS)
    assert len(predictions) == len(TEXTS)
    assert predictions[1] == {"text": "", "tokens": [], "tags": [], "confidence": [], "spans": []}
    assert predictions[2] == {"text": "   ", "tokens": [], "tags": [], "confidence": [], "spans": []}
    assert predictions[3]["tokens"] == ["Zzqxv", "unseen", "¤¤", "characters", "in", "1", ",", "234", "places"]
    assert len(predictions[3]["tags"]) == 9
    assert len(predictions[4]["tokens"]) == 600 == len(predictions[4]["tags"])


@pytest.mark.parametrize("text, words, offsets", [
    ("", [], []),
    (" \t\n ", [], []),
    ("  Peter   Weber\tflew ", ["Peter", "Weber", "flew"], [(2, 7), (10, 15), (16, 20)]),
    ("Zürich ¤¤  naïve\t1,234", ["Zürich", "¤¤", "naïve", "1", ",", "234"],
     [(0, 6), (7, 9), (11, 16), (17, 18), (18, 19), (19, 22)]),
    ("a\u00a0b\u3000c", ["a", "b", "c"], [(0, 1), (2, 3), (4, 5)]),  # no-break and ideographic spaces
    ("🙂 日本語 e\u0301te", ["🙂", "日本語", "e\u0301te"], [(0, 1), (2, 5), (6, 10)]),  # offsets count characters
])
def test_raw_text_is_split_into_words_with_character_offsets(ner_checkpoint: Path, text: str, words: list[str],
                                                              offsets: list[tuple[int, int]]) -> None:
    got_words, got_offsets = Predictor.from_checkpoint(ner_checkpoint).split(text)
    assert (got_words, [tuple(o) for o in got_offsets]) == (words, offsets)
    assert [text[a:b] for a, b in offsets] == words


# The sample's second training sentence, and the same words with odd spacing and Unicode spaces.
SENTENCE = "Prime Minister Peter Weber of France flew to Sydney on Wednesday ."
SPACED = "\u00a0 Prime   Minister Peter\tWeber of  France flew to\u3000Sydney on Wednesday .\n"


def test_spans_are_found_and_point_into_the_raw_text_whatever_its_spacing(ner_checkpoint: Path) -> None:
    plain, spaced = Predictor.from_checkpoint(ner_checkpoint).predict([SENTENCE, SPACED])
    assert spaced["tokens"] == plain["tokens"] == SENTENCE.split()
    found = [(span["type"], span["start"], span["end"]) for span in plain["spans"]]
    assert ("PER", 2, 4) in found, plain  # Peter Weber: the model must find the person
    assert [(span["type"], span["start"], span["end"]) for span in spaced["spans"]] == found
    for prediction in (plain, spaced):
        for span in prediction["spans"]:
            assert prediction["text"][span["char_start"]:span["char_end"]] == span["text"]
            assert span["text"].split() == prediction["tokens"][span["start"]:span["end"]]
    person = next(span for span in spaced["spans"] if span["type"] == "PER")
    assert (person["text"], person["char_start"], person["char_end"]) == ("Peter\tWeber", 19, 30)


def test_batched_stream_equals_one_at_a_time(ner_checkpoint: Path) -> None:
    predictor = Predictor.from_checkpoint(ner_checkpoint, batch_size=3)
    assert list(predictor.predict_stream(iter(TEXTS))) == [predictor.predict([t])[0] for t in TEXTS]


def test_corrupt_and_foreign_checkpoints_are_clear_errors(ner_checkpoint: Path, tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.ckpt"
    truncated.write_bytes(ner_checkpoint.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="cannot be read as a checkpoint"):
        read_checkpoint(truncated)
    foreign = tmp_path / "foreign.ckpt"
    torch.save({"state_dict": {}}, foreign)
    with pytest.raises(CheckpointError, match="not a seqlab checkpoint"):
        read_checkpoint(foreign)
    future = tmp_path / "future.ckpt"
    checkpoint = torch.load(ner_checkpoint, weights_only=False)
    checkpoint["seqlab"]["format"] = 999
    torch.save(checkpoint, future)
    with pytest.raises(CheckpointError, match=r"written by seqlab .* in checkpoint format 999; .* reads format 3: "
                                              r"upgrade seqlab"):
        read_checkpoint(future)
    old = tmp_path / "old.ckpt"  # as seqlab 0.1 wrote them: format 1, no version
    checkpoint["seqlab"]["format"] = 1
    del checkpoint["seqlab"]["version"]
    torch.save(checkpoint, old)
    with pytest.raises(CheckpointError, match=r"written by seqlab 0.1 in checkpoint format 1; this is seqlab \S+, which "
                                              r"reads format 3: retrain, or evaluate and predict with seqlab 0.1"):
        read_checkpoint(old)
    with pytest.raises(FileNotFoundError, match="no such checkpoint"):
        read_checkpoint(tmp_path / "missing.ckpt")


def test_predict_cli_streams_stdin_to_stdout(ner_checkpoint: Path, tmp_path: Path) -> None:
    data = b"Peter Blackburn visited Paris .\n\nBad \xff bytes here\n"
    command = [sys.executable, "-m", "seqlab.cli.predict", f"ckpt_path={ner_checkpoint}", "input=-", "output=-",
               "format=conll", f"hydra.run.dir={tmp_path / 'run'}"]
    result = subprocess.run(command, input=data, capture_output=True, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    out = result.stdout.decode("utf-8")
    assert out.startswith("Peter\t")
    assert ".\tO\n\n\nBad\t" in out  # the empty input line stays an empty block
    assert "not valid UTF-8" in result.stderr.decode() and ":3:" in result.stderr.decode()


def test_nbest_and_span_scores(ner_checkpoint: Path) -> None:
    prediction = Predictor.from_checkpoint(ner_checkpoint, nbest=4).predict([TEXTS[0]])[0]
    best = prediction["nbest"]
    assert 1 <= len(best) <= 4 and best[0]["tags"] == prediction["tags"]
    probabilities = [b["probability"] for b in best]
    assert probabilities == sorted(probabilities, reverse=True) and sum(probabilities) <= 1.0 + 1e-6
    assert all(0.0 <= span["score"] <= 1.0 for span in prediction["spans"])


class _OpensAFile:
    """A pickle payload: unpickling it calls ``open(path, "w")``, creating the marker file."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_a_checkpoint_carrying_a_pickle_payload_is_refused_without_running_it(ner_checkpoint: Path,
                                                                               tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    checkpoint = torch.load(ner_checkpoint, weights_only=True)
    checkpoint["seqlab"]["best_val_score"] = _OpensAFile(marker)
    payload = tmp_path / "payload.ckpt"
    torch.save(checkpoint, payload)
    with pytest.raises(CheckpointError, match=r"refused: it names \S*open, but a checkpoint may hold only tensors and plain data"):
        Predictor.from_checkpoint(payload)
    result = subprocess.run([sys.executable, "-m", "seqlab.cli.evaluate", f"ckpt_path={payload}",
                             f"hydra.run.dir={tmp_path / 'eval'}"], capture_output=True, text=True)
    assert result.returncode == 2 and result.stderr.strip().splitlines()[-1].startswith(
        f"seqlab-eval: error: {payload}: refused: it names")
    assert not marker.exists()


@pytest.mark.parametrize("section, node", [
    ("scheduler", {"_target_": "shutil.copy"}),  # called at once: no _partial_
    ("encoder", {"_target_": "seqlab.training.pipeline.train"}),  # seqlab's, but not a module class
    ("task", {"_target_": "seqlab.modules.encoder.BiLSTMEncoder"}),  # a component, but not a task
    ("embedding", {"_target_": "seqlab.modules.embedder.TokenEmbedder", "word": {"_target_": "os.remove"}}),
])
def test_a_stored_config_may_name_only_seqlab_and_plugin_components(ner_checkpoint: Path, tmp_path: Path,
                                                                     section: str, node: dict) -> None:
    source, marker = tmp_path / "source.txt", tmp_path / "copied.txt"
    source.write_text("x")
    checkpoint = torch.load(ner_checkpoint, weights_only=True)
    checkpoint["seqlab"]["config"][section] = {**node, "src": str(source), "dst": str(marker), "path": str(source)}
    tampered = tmp_path / "tampered.ckpt"
    torch.save(checkpoint, tampered)
    key = f"{section}.word._target_" if "word" in node else f"{section}._target_"
    with pytest.raises(CheckpointError, match=rf"config {key} names '[\w.]+', which .*only seqlab's own components"):
        Predictor.from_checkpoint(tampered)
    assert not marker.exists() and source.exists()


@pytest.mark.parametrize("change", [
    {"x": {"_target_": "builtins.print", "_args_": ["ran"]}, "encoder": {"_target_": "seqlab.modules.encoder.BiLSTMEncoder",
                                                                        "dropout": "${x}"}},
    {"encoder": {"_target_": "seqlab.modules.encoder.BiLSTMEncoder",
                 "dropout": '${oc.create:"{_target_: builtins.print, _args_: [ran]}"}'}},
    {"encoder": "${x}"},
    {"data": {"_target_": "seqlab.data.datamodules.ConllDataModule", "dir": "${oc.env:HOME}"}},
])
def test_a_stored_config_may_hold_no_interpolation(ner_checkpoint: Path, tmp_path: Path, change: dict, capsys) -> None:
    checkpoint = torch.load(ner_checkpoint, weights_only=True)
    checkpoint["seqlab"]["config"].update(change)
    tampered = tmp_path / "tampered.ckpt"
    torch.save(checkpoint, tampered)
    with pytest.raises(CheckpointError, match=r"holds an interpolation '\$\{"):
        Predictor.from_checkpoint(tampered)
    assert "ran" not in capsys.readouterr().out
