"""Word and character vocabularies as ``tokenizers.Tokenizer`` objects (saved as tokenizer JSON).

Both take pre-split tokens: the word tokenizer maps one token to one id (after normalising
digits to ``0`` and, optionally, to lowercase); the character tokenizer maps one token to its
character ids.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers

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
    normalize = tokenizer.normalizer.normalize_str
    counts: Counter[str] = Counter()
    for token, count in Counter(token for tokens in sentences for token in tokens).items():
        counts[normalize(token)] += count
    return _with_vocabulary(tokenizer, counts, min_frequency)


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
    counts: Counter[str] = Counter()
    for token, count in Counter(token for tokens in sentences for token in tokens).items():
        for char in token:
            counts[char] += count
    return _with_vocabulary(tokenizer, counts, min_frequency)


def _with_vocabulary(tokenizer: Tokenizer, counts: Mapping[str, int], min_frequency: int) -> Tokenizer:
    """``tokenizer`` with the vocabulary ``tokenizers``' ``WordLevelTrainer`` builds from ``counts``:
    the special tokens, then every entry counted ``min_frequency`` times, most frequent first, ties
    in code-point order. Counting distinct tokens first (here) rather than in the trainer, which
    splits every token into characters again, cut a 25,000-review corpus' vocabularies from about
    a minute to a second."""
    vocab = {token: i for i, token in enumerate(SPECIAL_TOKENS)}
    for entry, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        if count >= min_frequency:
            vocab.setdefault(entry, len(vocab))
    tokenizer.model = models.WordLevel(vocab=vocab, unk_token=UNK)
    tokenizer.add_special_tokens(SPECIAL_TOKENS)
    return tokenizer


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
