"""Word and character vocabularies as ``tokenizers.Tokenizer`` objects (saved as tokenizer JSON).

Both take pre-split tokens: the word tokenizer maps one token to one id (after normalising
digits to ``0`` and, optionally, to lowercase); the character tokenizer maps one token to its
character ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, trainers

from seqlab.errors import ConfigError

PAD = "<pad>"
UNK = "<unk>"
SPECIAL_TOKENS = [PAD, UNK]  # PAD is id 0, UNK id 1 in both vocabularies
PAD_ID = 0
UNK_ID = 1


def _word_normalizer(lowercase: bool) -> normalizers.Normalizer:
    steps: list[normalizers.Normalizer] = [normalizers.Replace(Regex(r"\d"), "0")]
    if lowercase:
        steps.append(normalizers.Lowercase())
    return normalizers.Sequence(steps)


def train_word_tokenizer(
    sentences: Iterable[Sequence[str]],
    min_frequency: int = 1,
    lowercase: bool = False,
) -> Tokenizer:
    """A word-level tokenizer whose vocabulary is every normalised token seen ``min_frequency`` times."""
    tokenizer = Tokenizer(models.WordLevel(unk_token=UNK))
    tokenizer.normalizer = _word_normalizer(lowercase)
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    trainer = trainers.WordLevelTrainer(min_frequency=min_frequency, special_tokens=SPECIAL_TOKENS, show_progress=False)
    tokenizer.train_from_iterator((" ".join(tokens) for tokens in sentences), trainer=trainer)
    return tokenizer


def add_words(tokenizer: Tokenizer, words: Iterable[str]) -> Tokenizer:
    """``tokenizer`` with ``words`` (for example dev/test words that pretrained vectors cover)
    added, normalised, after its own: the ids it had stay as they were."""
    vocab = tokenizer.get_vocab()
    added = [w for w in dict.fromkeys(normalize_word(tokenizer, w) for w in words) if w not in vocab]
    if added:
        first = len(vocab)
        vocab.update({word: first + i for i, word in enumerate(added)})
        tokenizer.model = models.WordLevel(vocab=vocab, unk_token=UNK)
    return tokenizer


def train_char_tokenizer(sentences: Iterable[Sequence[str]], min_frequency: int = 1) -> Tokenizer:
    """A character-level tokenizer: every character seen ``min_frequency`` times gets an id."""
    tokenizer = Tokenizer(models.WordLevel(unk_token=UNK))
    tokenizer.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    trainer = trainers.WordLevelTrainer(min_frequency=min_frequency, special_tokens=SPECIAL_TOKENS, show_progress=False)
    tokenizer.train_from_iterator((token for tokens in sentences for token in tokens), trainer=trainer)
    return tokenizer


def encode_words(
    tokenizer: Tokenizer, sentences: Sequence[Sequence[str]], lowercase_fallback: bool = False
) -> list[list[int]]:
    """One id per token for each pre-split sentence; with ``lowercase_fallback``, a token the
    vocabulary lacks takes the id of its lowercase form when that is known."""
    encodings = tokenizer.encode_batch([list(s) for s in sentences], is_pretokenized=True, add_special_tokens=False)
    ids = [e.ids for e in encodings]
    if not lowercase_fallback:
        return ids
    unknown = [(i, j) for i, row in enumerate(ids) for j, word_id in enumerate(row) if word_id == UNK_ID]
    if unknown:
        lowered = tokenizer.encode_batch(
            [[sentences[i][j].lower()] for i, j in unknown], is_pretokenized=True, add_special_tokens=False
        )
        for (i, j), encoding in zip(unknown, lowered):
            ids[i][j] = encoding.ids[0]
    return ids


def encode_chars(tokenizer: Tokenizer, sentences: Sequence[Sequence[str]], max_chars: int) -> list[list[list[int]]]:
    """Character ids (at most ``max_chars`` per token) for each token of each sentence."""
    unique = sorted({token for tokens in sentences for token in tokens})
    encodings = tokenizer.encode_batch(unique, add_special_tokens=False)
    table = {token: e.ids[:max_chars] for token, e in zip(unique, encodings)}
    return [[table[token] for token in tokens] for tokens in sentences]


#: Ways to split raw text into words (``tokenizers`` pre-tokenizers), by config name.
SPLITTERS = {
    "whitespace": pre_tokenizers.WhitespaceSplit,  # already tokenized text (SST, CoNLL)
    "words": pre_tokenizers.Whitespace,  # runs of word characters and of punctuation
    "bert": pre_tokenizers.BertPreTokenizer,  # whitespace and every punctuation character
}


def text_splitter(name: str) -> pre_tokenizers.PreTokenizer:
    """The pre-tokenizer called ``name`` (see :data:`SPLITTERS`)."""
    try:
        return SPLITTERS[name]()
    except KeyError:
        raise ConfigError(f"unknown text splitter {name!r}; expected one of {', '.join(SPLITTERS)}") from None


def split_text(splitter: pre_tokenizers.PreTokenizer, text: str) -> list[str]:
    """Words of ``text`` as the splitter cuts them."""
    return [word for word, _ in splitter.pre_tokenize_str(text)]


def normalize_word(tokenizer: Tokenizer, word: str) -> str:
    """``word`` as the tokenizer's normaliser writes it (digits to 0, maybe lowercased)."""
    return tokenizer.normalizer.normalize_str(word) if tokenizer.normalizer is not None else word
