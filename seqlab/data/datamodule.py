"""Lightning DataModule for CoNLL-style sequence labelling data."""
from __future__ import annotations

from pathlib import Path

import pytorch_lightning as pl
import torch
from tokenizers import Tokenizer
from torch.utils.data import DataLoader

from seqlab.data.collate import BucketBatchSampler, EncodedSentence, collate_sentences
from seqlab.data.readers import load_conll
from seqlab.data.spec import DataSpec
from seqlab.data.tag_schemes import labels_for_types, parse_scheme, split_tag
from seqlab.resources import sample_path
from seqlab.tokenization.vocab import encode_chars, encode_words, train_char_tokenizer, train_word_tokenizer

SPLITS = ("train", "dev", "test")


class ConllDataModule(pl.LightningDataModule):
    """Reads train/dev/test CoNLL files, builds vocabularies from train, serves bucketed batches.

    Args:
        dir: folder holding the three files; ``None`` means the sample shipped with seqlab.
        train_file, dev_file, test_file: file names inside ``dir`` (``dev_file``/``test_file``
            may be ``None`` when a split is absent).
        token_column: column of the token.
        label_column: column of the label (negative counts from the end).
        file_scheme: scheme the files are written in (CoNLL-2003: IOB1); ``None`` for plain labels.
        tag_scheme: scheme the model is trained in (labels are converted at read time).
        batch_size: training sentences per batch.
        eval_batch_size: sentences per batch for dev and test.
        max_chars: characters kept per token for the character encoder.
        min_word_frequency: words rarer than this in train map to the unknown id.
        lowercase: lowercase words before the word vocabulary lookup (characters keep case).
        num_workers: DataLoader worker processes.
        seed: seed of the batch shuffling.
        cache_dir: ``datasets`` cache folder (default: the ``datasets`` default).
    """

    def __init__(
        self,
        dir: str | None = None,
        train_file: str = "train.txt",
        dev_file: str | None = "dev.txt",
        test_file: str | None = "test.txt",
        token_column: int = 0,
        label_column: int = -1,
        file_scheme: str | None = "IOB1",
        tag_scheme: str | None = "IOB2",
        batch_size: int = 32,
        eval_batch_size: int = 256,
        max_chars: int = 20,
        min_word_frequency: int = 1,
        lowercase: bool = False,
        num_workers: int = 0,
        seed: int = 0,
        cache_dir: str | None = None,
    ) -> None:
        super().__init__()
        self.dir = Path(dir) if dir is not None else sample_path("conll")
        self.files = {"train": train_file, "dev": dev_file, "test": test_file}
        self.token_column = token_column
        self.label_column = label_column
        self.file_scheme = parse_scheme(file_scheme).value if file_scheme else None
        self.tag_scheme = parse_scheme(tag_scheme).value if tag_scheme else self.file_scheme
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size
        self.max_chars = max_chars
        self.min_word_frequency = min_word_frequency
        self.lowercase = lowercase
        self.num_workers = num_workers
        self.seed = seed
        self.cache_dir = cache_dir
        self.word_tokenizer: Tokenizer | None = None
        self.char_tokenizer: Tokenizer | None = None
        self.spec: DataSpec | None = None
        self.datasets: dict = {}
        self.encoded: dict[str, list[EncodedSentence]] = {}

    def path(self, split: str) -> Path:
        return self.dir / self.files[split]

    def setup(self, stage: str | None = None) -> None:
        """Read every split, build vocabularies and labels from train, encode (idempotent)."""
        if self.spec is not None:
            return
        for split in SPLITS:
            if self.files[split] is not None:
                self.datasets[split] = load_conll(
                    self.path(split),
                    token_column=self.token_column,
                    label_column=self.label_column,
                    file_scheme=self.file_scheme,
                    tag_scheme=self.tag_scheme,
                    cache_dir=self.cache_dir,
                )
        train = self.datasets["train"]
        self.word_tokenizer = train_word_tokenizer(
            train["tokens"], min_frequency=self.min_word_frequency, lowercase=self.lowercase
        )
        self.char_tokenizer = train_char_tokenizer(train["tokens"])
        labels = self._labels(train["tags"])
        self.spec = DataSpec(
            labels=tuple(labels),
            tag_scheme=self.tag_scheme,
            word_vocab_size=self.word_tokenizer.get_vocab_size(),
            char_vocab_size=self.char_tokenizer.get_vocab_size(),
        )
        for split, dataset in self.datasets.items():
            self.encoded[split] = self.encode(dataset["tokens"], dataset["tags"], source=self.path(split))

    def _labels(self, train_tags: list[list[str]]) -> list[str]:
        seen = sorted({tag for tags in train_tags for tag in tags})
        if self.tag_scheme is None:
            return seen
        # Every label of the scheme for each entity type, so constraints cover all of them.
        return labels_for_types({split_tag(t)[1] for t in seen if t != "O"}, self.tag_scheme)

    def encode(
        self, sentences: list[list[str]], tags: list[list[str]] | None = None, source: Path | str = "<input>"
    ) -> list[EncodedSentence]:
        """Tokens (and tags) to id tensors with this module's vocabularies."""
        assert self.spec is not None and self.word_tokenizer is not None and self.char_tokenizer is not None
        word_ids = encode_words(self.word_tokenizer, sentences)
        char_ids = encode_chars(self.char_tokenizer, sentences, self.max_chars)
        label_index = {label: i for i, label in enumerate(self.spec.labels)}
        out = []
        for i, (words, chars) in enumerate(zip(word_ids, char_ids)):
            width = max(len(c) for c in chars)
            char_tensor = torch.tensor([c + [0] * (width - len(c)) for c in chars], dtype=torch.long)
            tag_tensor = None
            if tags is not None:
                unknown = [t for t in tags[i] if t not in label_index]
                if unknown:
                    raise ValueError(
                        f"{source}: sentence {i + 1} ({' '.join(sentences[i][:8])} ...) has label "
                        f"{unknown[0]!r}, which never occurs in the training data; known labels: "
                        f"{', '.join(self.spec.labels)}"
                    )
                tag_tensor = torch.tensor([label_index[t] for t in tags[i]], dtype=torch.long)
            out.append(EncodedSentence(i, torch.tensor(words, dtype=torch.long), char_tensor, tag_tensor))
        return out

    def _loader(self, split: str, train: bool) -> DataLoader:
        if split not in self.encoded:
            raise ValueError(f"no {split} file configured for {self.dir}")
        sentences = self.encoded[split]
        sampler = BucketBatchSampler(
            [s.word_ids.numel() for s in sentences],
            self.batch_size if train else self.eval_batch_size,
            shuffle=train,
            seed=self.seed,
        )
        return DataLoader(
            sentences,
            batch_sampler=sampler,
            collate_fn=collate_sentences,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", train=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("dev", train=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", train=False)
