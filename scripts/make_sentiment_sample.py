"""Generate the small synthetic English sentiment sample corpus shipped with seqlab.

SST-2 text (Rotten Tomatoes snippets) is not ours to redistribute, so this script builds a
look-alike binary sentiment corpus from templates and word lists written for this project;
the output is released as CC0-1.0.  Layout is the GLUE SST-2 TSV (``sentence<TAB>label``
header, label ``0`` negative / ``1`` positive), text lower-cased and PTB-tokenized like
SST-2 (``it 's``, ``does n't``).  About a quarter of the rows hinge on negation (``is not
boring`` -> 1) or a ``but`` contrast (the label follows the clause after ``but``); about a
quarter of the sentiment words occur only in dev/test.  No sentence occurs twice.  Output is
deterministic for a given ``--seed``; the script re-reads and validates what it writes and
prints the statistics as a Markdown table.

Usage: python scripts/make_sentiment_sample.py [--out DIR] [--seed N]
"""
from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

SEED = 1729
SIZES = {"train": 400, "dev": 100, "test": 100}
SHARE = {"negation": 0.12, "contrast": 0.13}  # of each split; the other rows are plain
MIN_LEN, MAX_LEN = 4, 35
HEADER = "sentence\tlabel"
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "seqlab/resources/sample/sentiment"

# Word lists: (seen in train, dev/test only).  Suffix 1 = positive, 0 = negative.
# VERB entries are "base/past".  ASPECT entries ending in "s" are plural.
# FILM entries: "@" is replaced by a NAME.
WORDS: dict[str, tuple[list[str], list[str]]] = {k: (s.split("|"), u.split("|")) for k, s, u in [
    ("ADJ1", "good|great|wonderful|funny|charming|moving|gripping|clever|beautiful|brilliant|"
     "delightful|stunning|touching|witty|smart|fresh|engaging|powerful|entertaining|hilarious|"
     "memorable|thoughtful|tender|inventive",
     "riveting|exhilarating|heartfelt|masterful|luminous|sublime|enchanting|poignant"),
    ("ADJ0", "bad|boring|dull|tedious|awful|terrible|lifeless|pointless|predictable|clumsy|bland|"
     "stale|flat|silly|shallow|unfunny|messy|forgettable|tiresome|painful|sloppy|lazy|"
     "pretentious|annoying",
     "mindless|joyless|insufferable|uninspired|turgid|plodding|witless|unwatchable"),
    ("ADV1", "beautifully|brilliantly|wonderfully|cleverly|gracefully|superbly",
     "exquisitely|deftly"),
    ("ADV0", "clumsily|poorly|badly|lazily|sloppily|awkwardly", "ineptly|woodenly"),
    ("NOUN1", "triumph|gem|delight|treat|joy|pleasure|masterpiece|winner|must-see",
     "revelation|knockout|marvel"),
    ("NOUN0", "mess|disaster|bore|chore|failure|letdown|waste of time|slog|dud",
     "misfire|fiasco|snooze"),
    ("VERB1", "love/loved|enjoy/enjoyed|admire/admired|adore/adored", "relish/relished"),
    ("VERB0", "hate/hated|dislike/disliked|resent/resented", "loathe/loathed"),
    ("FILM", "the film|this movie|the director 's latest|the sequel|this comedy|the picture|"
     "the documentary|this thriller|@ 's new film|the remake|it|this romance|the story of @",
     "this drama|the adaptation|the animated feature|@ 's debut"),
    ("NAME", "mara vellin|jonah kestrel|ines marlow|teodor brask|callie renwick|oren hadley|"
     "petra solvang|lio farrant|sunniva rask|kofi adjeman|ambrose tull|delphine okoro",
     "wren hollis|bastian quell|yara thorne|milo fenwick"),
    ("ASPECT", "plot|acting|score|pacing|dialogue|script|ending|cinematography|direction|editing|"
     "story|humor|soundtrack|performances|characters|jokes|visuals|action scenes",
     "screenplay|production design|costumes|twists"),
]}
INT = "very truly really quite remarkably genuinely so".split()  # intensifiers (neutral)
ATTR_INT = "very truly genuinely remarkably".split()  # those that fit inside "a ... gem"
PART = "shot acted written edited directed paced crafted staged made".split()  # neutral
ROLE = ["retired detective", "grieving mother", "small-town sheriff", "young widow", "villain",
        "con artist", "reluctant hero", "chef", "jazz pianist", "boxer"]
NEUTRAL = ["@ plays a {role}", "the story follows a {role} in a small coastal town",
           "it runs nearly two hours", "it 's based on a novel", "the film is set in the 1970s",
           "@ stars as a {role}", "it opens with a long wedding scene"]
PREFIX = ["frankly ,", "honestly ,", "in the end ,", "all in all ,", "for the most part ,",
          "at nearly two hours ,", "as a sequel ,", "on the whole ,", "i have to say",
          "from the first scene ,", "well ,"]
SUFFIX = ["overall", "for the most part", "from start to finish", "in places",
          "at times", "this time around"]
NEGATORS = {"not", "n't", "never", "no", "nothing"}


def article(phrase: str) -> str:
    return "an" if phrase[0] in "aeiou" else "a"


class Generator:
    """Builds sentences for one split; train draws only from the 'seen' word lists."""

    def __init__(self, split: str, rng: random.Random) -> None:
        self.rng = rng
        self.pools = {k: seen + (unseen if split != "train" else [])
                      for k, (seen, unseen) in WORDS.items()}

    def w(self, kind: str) -> str:
        word = self.rng.choice(self.pools[kind])
        return word.replace("@", self.rng.choice(self.pools["NAME"])) if kind == "FILM" else word

    def maybe(self, prob: float, text: str) -> str:
        return text if self.rng.random() < prob else ""

    def intens(self, words: list[str] = INT) -> str:
        return self.maybe(0.35, self.rng.choice(words) + " ")

    def film(self) -> tuple[str, str]:
        """A film-level subject and its form of 'be' (``it`` may contract to ``it 's``)."""
        subj = self.w("FILM")
        return subj, self.rng.choice(["is", "'s"]) if subj == "it" else "is"

    def thing(self) -> tuple[str, str]:
        """A film, an aspect (``the pacing``) or a possessed aspect (``the film 's score``)."""
        r = self.rng.random()
        if r < 0.35:
            return self.film()
        aspect = self.w("ASPECT")
        owner = "the" if r < 0.8 else self.rng.choice(["the film 's", "this movie 's", "its"])
        return f"{owner} {aspect}", "are" if aspect.endswith("s") else "is"

    def clause(self, p: int) -> str:
        """A plain clause whose polarity is ``p``."""
        form = self.rng.randrange(7)
        if form <= 1:
            subj, be = self.thing()
            return f"{subj} {be} {self.intens()}{self.w(f'ADJ{p}')}"
        if form == 2:
            subj, be = self.film()
            noun = self.maybe(0.5, f"{self.intens(ATTR_INT)}{self.w(f'ADJ{p}')} ")
            noun += self.w(f"NOUN{p}")
            return f"{subj} {be} {article(noun)} {noun}"
        if form == 3:
            subj, be = self.film()
            return f"{subj} {be} {self.w(f'ADV{p}')} {self.rng.choice(PART)}"
        if form == 4:
            name, adj = self.w("NAME"), self.w(f"ADJ{p}")
            if self.rng.random() < 0.5:
                return f"{name} gives {article(adj)} {adj} performance"
            return f"{name} is {self.intens()}{adj} as the {self.rng.choice(ROLE)}"
        if form == 5:
            obj = self.rng.choice(["it", "every minute of it", self.w("FILM"), "this one"])
            return f"i {self.w(f'VERB{p}').split('/')[1]} {obj}"
        subj, be = self.thing()
        verb = self.rng.choice(["feel", "seem"]) + ("" if be == "are" else "s")
        return f"{subj} {verb} {self.intens()}{self.w(f'ADJ{p}')}"

    def negated(self, p: int) -> str:
        """A negated clause whose polarity is ``p`` (its sentiment word has polarity 1 - p)."""
        q, form = 1 - p, self.rng.randrange(6)
        if form <= 1:
            subj, be = self.thing()
            neg = "not" if be == "'s" else self.rng.choice(["not", "n't"])
            return f"{subj} {be} {neg} {self.intens()}{self.w(f'ADJ{q}')}"
        if form == 2:
            subj, be = self.film()
            noun = self.w(f"NOUN{q}")
            return f"{subj} {be} " + self.rng.choice([f"no {noun}", f"not {article(noun)} {noun}"])
        if form == 3:
            subj, be = self.thing()
            verb, plural = self.rng.choice(["feel", "seem"]), be == "are"
            if self.rng.random() < 0.6:
                verb = ("do n't " if plural else "does n't ") + verb
            else:
                verb = "never " + verb + ("" if plural else "s")
            return f"{subj} {verb} {self.w(f'ADJ{q}')}"
        if form == 4:
            verb = self.w(f"VERB{q}").split("/")[0]
            return f"i {self.rng.choice(['did', 'do'])} n't {verb} " + \
                self.rng.choice(["it", "a minute of it", self.w("FILM")])
        subj, be = self.film()
        if self.rng.random() < 0.5:
            return f"there is nothing {self.w(f'ADJ{q}')} about {subj}"
        neg = "not" if be == "'s" else self.rng.choice(["not", "never"])
        return f"{subj} {be} {neg} {self.w(f'ADV{q}')} {self.rng.choice(PART)}"

    def sentence(self, kind: str, p: int) -> str:
        """One row's text: a plain, negation or contrast core, plus neutral padding."""
        rng = self.rng
        if kind == "contrast":
            first = self.negated(1 - p) if rng.random() < 0.25 else self.clause(1 - p)
            core = f"{first} , but {self.negated(p) if rng.random() < 0.25 else self.clause(p)}"
        elif kind == "negation":
            core = self.negated(p)
        else:
            core = self.clause(p)
            if rng.random() < 0.2:
                core += f" and {self.clause(p)}"
            elif rng.random() < 0.1:  # an exclamation stands alone
                return f"what {article(n := self.w(f'NOUN{p}'))} {n} " + rng.choice(["!", "."])
        if kind != "contrast" and rng.random() < 0.2:
            neutral = rng.choice(NEUTRAL).replace("@", self.w("NAME"))
            core = f"{neutral.format(role=rng.choice(ROLE))} , and {core}"
        core = self.maybe(0.2, rng.choice(PREFIX) + " ") + core
        core += self.maybe(0.12, " " + rng.choice(SUFFIX))
        return core + rng.choice([" ."] * 6 + [" !", ""])  # SST-2 rows often lack a final stop


def make_split(name: str, rng: random.Random, taken: set[str]) -> list[tuple[str, int]]:
    """Balanced labels, a fixed share of negation/contrast rows, no repeated sentence."""
    n = SIZES[name]
    labels = [i % 2 for i in range(n)]
    kinds = [k for k, share in SHARE.items() for _ in range(round(n * share))]
    kinds += ["plain"] * (n - len(kinds))
    rng.shuffle(labels)
    rng.shuffle(kinds)
    gen, rows = Generator(name, rng), []
    for kind, label in zip(kinds, labels):
        for _ in range(1000):
            text = gen.sentence(kind, label)
            if text not in taken and MIN_LEN <= len(text.split()) <= MAX_LEN:
                break
        else:
            raise RuntimeError(f"could not make a new {kind} sentence for {name}")
        taken.add(text)
        rows.append((text, label))
    return rows


BAD_TOKENIZATION = re.compile(r"[a-z]n't|[a-z0-9]'s\b|[a-z0-9][.,!?;:]|\s\s|[A-Z]")


def validate(path: Path) -> list[tuple[str, int]]:
    """Re-read a written file, check the format invariants, return its rows."""
    raw = path.read_bytes()
    assert raw.endswith(b"\n") and b"\r" not in raw and not raw.endswith(b"\n\n"), path
    lines = raw.decode("utf-8").split("\n")[:-1]
    assert lines[0] == HEADER, (path, lines[0])
    rows: list[tuple[str, int]] = []
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        assert len(fields) == 2 and fields[1] in ("0", "1"), (path, number, line)
        text = fields[0]
        assert text and text == text.strip() and not BAD_TOKENIZATION.search(text), (path, number)
        assert MIN_LEN <= len(text.split()) <= MAX_LEN, (path, number, text)
        rows.append((text, int(fields[1])))
    return rows


def held_out_tokens(kinds: tuple[str, ...] = tuple(WORDS)) -> set[str]:
    """Tokens of the dev/test-only lists of ``kinds`` that never occur in a seen entry."""
    seen = {t for s, _ in WORDS.values() for e in s for t in re.split(r"[ /]", e)}
    return {t for k in kinds for e in WORDS[k][1] for t in re.split(r"[ /]", e)} - seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rng, held, taken = random.Random(args.seed), held_out_tokens(), set[str]()
    held_sentiment = held_out_tokens(tuple(k for k in WORDS if k[-1] in "01"))
    print(f"seed {args.seed}\n")
    print("| split | rows | negative (0) | positive (1) | negation | but-contrast "
          "| unseen words | unseen sentiment words | length |\n" + "|---" * 9 + "|")
    for name in SIZES:
        path = args.out / f"{name}.tsv"
        lines = [HEADER] + [f"{text}\t{label}" for text, label in make_split(name, rng, taken)]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
        rows = validate(path)
        assert len(rows) == SIZES[name], (name, len(rows))
        toks = [text.split() for text, _ in rows]
        n_pos = sum(label for _, label in rows)
        n_neg = sum(bool(NEGATORS.intersection(t)) for t in toks)
        n_but = sum("but" in t for t in toks)
        n_held = sum(bool(held.intersection(t)) for t in toks)
        n_held_sentiment = sum(bool(held_sentiment.intersection(t)) for t in toks)
        assert name != "train" or n_held == 0, "held-out word leaked into train"
        lens = [len(t) for t in toks]
        print(f"| {name} | {len(rows)} | {len(rows) - n_pos} | {n_pos} | {n_neg} | {n_but} "
              f"| {n_held} | {n_held_sentiment} | {min(lens)}-{max(lens)} |")


if __name__ == "__main__":
    main()
