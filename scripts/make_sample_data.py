"""Generate the small synthetic English NER sample corpus shipped with seqlab.

Real CoNLL-2003 text may not be redistributed (Reuters licence), so this script
builds a look-alike corpus from hand-written templates and name lists.  Every
word here was written for this project; the output is released as CC0-1.0.

Layout is exactly CoNLL-2003: ``token POS chunk NER`` per line, a blank line
after each sentence, documents opened by ``-DOCSTART- -X- -X- O``.  Chunk and
NER tags are IOB1 (``B-`` only where a span directly follows one of the same
type).  About 30% of the names occur only in dev/test, so test has unseen
entities.  Output is deterministic for a given ``--seed``; the script re-reads
and validates what it writes and prints the statistics as a Markdown table.

Usage: python scripts/make_sample_data.py [--out DIR] [--seed N]
"""
from __future__ import annotations

import argparse
import random
from collections import Counter
from pathlib import Path

SEED = 2003
SIZES = {"train": 320, "dev": 100, "test": 100}
FORCED_ADJACENT = {"train": 4, "dev": 2, "test": 2}  # sentences with B- tags
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "seqlab/resources/sample/conll"

# Entity lists: (seen in train, dev/test only).  "word/TAG" overrides the POS.
ENTITIES: dict[str, tuple[list[str], list[str]]] = {
    "PER": ([
        "Anna Kowalski", "Peter Weber", "Maria Santos", "David Chen", "Sarah Okafor", "Liam Byrne",
        "Tomas Novak", "Elena Petrova", "James O'Neill", "Chelsea Morgan", "Paul Adams", "Klein",
        "Kenji Tanaka", "Ahmed Hassan", "Lucia Ferrari", "Olga Ivanova", "Mark van Dijk", "Moreau",
        "Jordan", "Washington", "Ingrid Larsen", "Carlos Mendez", "Fatima Diallo", "Robert Hale",
        "Yuki Sato", "Pierre Dubois", "Hans Becker", "Sofia Rossi", "Daniel Kim", "Grace Mwangi",
        "Ivan Horvat"], [
        "Nadia Benali", "Oskar Brandt", "Priya Raman", "Mateo Alvarez", "Leila Haddad",
        "Viktor Sokolov", "Hannah Schulz", "Tariq Mansour", "Bruno Carvalho", "Aiko Mori",
        "Felix Hartmann", "Rosa Delgado", "Samuel Mensah", "Zofia Wojcik"]),
    "LOC": ([
        "Germany", "France", "Britain", "Russia", "China", "Japan", "Brazil", "Italy",
        "Spain", "Jordan", "Washington", "New York", "London", "Paris", "Bonn", "Moscow",
        "Tokyo", "Beijing", "Hong Kong", "South Africa", "United States", "Los Angeles",
        "Rio de Janeiro", "Frankfurt", "Sydney", "Canada", "Mexico", "Egypt", "Kenya",
        "Poland", "Sweden", "Middle East"], [
        "Portugal", "Norway", "Chile", "Vietnam", "Morocco", "Hungary", "New Zealand",
        "Buenos Aires", "Lisbon", "Oslo", "Nairobi", "Sri Lanka", "Kuala Lumpur", "Quebec"]),
    "ORG": ([
        "European Commission", "United Nations/NNPS", "NATO", "Reuters", "Bundesbank",
        "Federal Reserve", "World Bank", "IMF", "Social Democrats/NNPS", "Labour",
        "Interior Ministry", "Supreme Court", "Red Cross", "OPEC", "Greenpeace",
        "Northwind Holdings", "Harbor Steel", "Vesta Insurance", "Orion Airlines",
        "Atlas Motors", "Bank of Canada", "Meridian Foods", "Finance Ministry"], [
        "Asian Development Bank", "Kestrel Energy", "Lumen Pharma", "Zenith Media",
        "Corvus Telecom", "Ministry of Defence", "Arctic Council", "Trinity Bank"]),
    "TEAM": ([  # sports clubs, tagged ORG
        "Bayern Munich", "Chelsea", "Ajax", "Juventus", "Real Madrid", "Arsenal",
        "Manchester United", "Barcelona", "PSV Eindhoven", "Celtic", "Inter Milan",
        "Anderlecht", "Rangers/NNPS", "Hamburg"], [
        "Benfica", "Porto", "Galatasaray", "Feyenoord", "Sporting Lisbon", "Dynamo Kiev"]),
    # MISC events (NNP); nationality adjectives (JJ, slot {NAT}) are also MISC.
    "MISC": ([
        "World Cup", "Olympics/NNPS", "Euro 96", "Grand Prix", "Tour de France",
        "Davis Cup", "Champions League", "US Open", "Italia 90", "Fed Cup"], [
        "Asian Games/NNPS", "Super Bowl", "Ryder Cup", "Gold Cup", "Commonwealth Games/NNPS"]),
    "NAT": ([
        "German", "French", "British", "Russian", "Chinese", "Japanese", "Brazilian", "Italian",
        "Spanish", "American", "European", "Israeli", "Palestinian", "Dutch", "Swiss", "Polish",
        "Egyptian", "Kenyan", "Canadian", "Mexican", "Swedish", "Australian"], [
        "Portuguese", "Norwegian", "Chilean", "Vietnamese", "Moroccan", "Hungarian", "Turkish",
        "Korean"]),
}
NER_TYPE = {"PER": "PER", "LOC": "LOC", "ORG": "ORG", "TEAM": "ORG", "MISC": "MISC", "NAT": "MISC"}

# One POS per template word (lookup tries the word, then its lower-case form).
LEXICON_SRC = {
    "DT": "the a an this no", "IN": "on in with by for after near of at from about that "
          "against behind as than because into between before without", "TO": "to",
    "CC": "and but", "MD": "would will", "PRP": "it he we", "PRP$": "its his",
    "WP": "who", "WDT": "which", "RB": "not twice again immediately very badly",
    "RP": "off out", "RBR": "earlier", "POS": "'s", "JJR": "higher better",
    "VB": "build create discuss comment stand give visit carry host resume meet sell be",
    "VBD": "said arrived told arrested fell rose signed reported won met flew left "
           "lowered was were beat scored finished joined led stopped vetoed resigned "
           "declined had lost closed marched pulled did ended resumed hoped cut",
    "VBN": "killed appointed expected based injured named held marred failed quoted "
           "issued published sent played received", "VBZ": "is leads employs expires plans wins",
    "VBG": "reporting", "VBP": "are", "JJ": "foreign central net new public early clear "
           "responsible record former first chief happy next unchanged",
    "NNP": "President Prime Minister Monday",
    "NN": "minister decision spokesman border government group stake bill election "
          "violence embassy executive company plant cost end agreement crisis result "
          "forecast league half team contract fee coach standings tournament injury "
          "market holiday trading index dollar currency low statement project "
          "attendance match summit pipeline gas play soccer tennis week year party "
          "support rain percent water ban profit chairman bank inflation gold ounce "
          "player striker champion time interest trade growth knee home fighting",
    "NNS": "talks people soldiers officials reporters shares dollars marks yen pounds "
           "prices analysts figures points games seconds metres minutes applications "
           "jobs voters fans flights months rights clashes rates days police details "
           "results men",
    "CD": "million billion", ",": ",", ".": ".", ":": "- :", '"': '"', "(": "(", ")": ")",
}
LEXICON: dict[str, str] = {w: pos for pos, ws in LEXICON_SRC.items() for w in ws.split()}
assert len(LEXICON) == sum(len(ws.split()) for ws in LEXICON_SRC.values()), "duplicate word"
CHUNK_OF_POS = {"IN": "PP", "TO": "PP", "RB": "ADVP", "RBR": "ADVP", "RP": "PRT"}
CHUNK_OF_POS.update({p: "NP" for p in "DT JJ JJR NN NNS NNP NNPS CD PRP PRP$ POS WP WDT".split()})
CHUNK_OF_POS.update({p: "VP" for p in "MD VB VBD VBG VBN VBP VBZ".split()})
CHUNK_OVERRIDE = {"that": "SBAR", "because": "SBAR", "than": "SBAR", "unchanged": "ADJP",
                  "clear": "ADJP", "responsible": "ADJP", "better": "ADJP",
                  "happy": "ADJP", "very": "ADJP", "higher": "ADVP"}

# Templates: {SLOT} is filled, {SLOT:U} upper-cased, "|" starts a new chunk,
# "word/POS" or "word/POS/CHUNK" overrides the lexicon for one occurrence.
TEMPLATES = [
    "{PER} , the {NAT} foreign minister , said on {DAY} that {ORG} would resume talks with {LOC} .",
    "{NAT} President {PER} arrived in {LOC} on {DAY} for a visit of {NUM} days .",
    "{ORG} said it expected a decision by {MONTH} {NUM} .",
    "The {ORG} spokesman told reporters in {LOC} that the talks had failed .",
    "Police in {LOC} arrested {NUM} people on {DAY} after clashes near the border with {LOC} .",
    "{PER} resigned on {DAY} .",
    "Shares in {ORG} rose {AMT} percent to {AMT} marks in {LOC} on {DAY} .",
    "The {NAT} government said {NUM} soldiers were killed in fighting near {LOC} .",
    "{PER} will meet {PER} in {LOC} | next week , officials said .",
    "{LOC} and {LOC} signed a trade agreement worth/JJ/ADJP {AMT} billion dollars on {DAY} .",
    "In {YEAR} , {ORG} reported a net profit of {BIG} million marks .",
    '" We are very happy with the result , " {PER} told reporters .',
    "{ORG} , based in {LOC} , employs about {BIG} people .",
    "Shares in {ORG} fell {AMT} percent after the {NAT} company cut its forecast for {YEAR} .",
    "The {MISC} will be held in {LOC} in {YEAR} .",
    "{PER} won the {MISC} in {YEAR} .",
    "{NAT} and {NAT} officials met in {LOC} on {DAY} to/TO/VP discuss the crisis .",
    "{ORG} chairman {PER} said the group would sell its stake in {ORG} .",
    "Prime Minister {PER} of {LOC} flew to {LOC} on {DAY} .",
    "The {ORG} lowered its growth forecast for {LOC} to {AMT} percent .",
    "{LOC} 's central bank left interest rates unchanged on {DAY} .",
    "Monday 's election in {LOC} was marred by violence , the {ORG} said .",
    "A spokesman for {PER} declined to/TO/VP comment .",
    "The {NAT} embassy in {LOC} was closed/VBN on {DAY} .",
    "Earlier this year , {PER} was appointed chief executive of {ORG} .",
    "{ORG} plans to/TO/VP build a new plant in {LOC} at a cost of {AMT} billion yen , "
    "the company said on {DAY} .",
    "The {MONTH} {YEAR} agreement between {ORG} and {ORG} expires at the end of {YEAR} .",
    "Inflation in {LOC} rose to {AMT} percent in {MONTH} from {AMT} percent in {MONTH} .",
    "{PER} , who led {ORG} from {YEAR} to {YEAR} , said on {DAY} that he would not/RB/VP "
    "stand again because the party had lost voters in {LOC} and {LOC} .",
    "SOCCER - {TEAM:U} BEAT {TEAM:U} | {SCORE} .",
    "TENNIS - {PER:U} WINS IN {LOC:U} .",
    "{TEAM} beat {TEAM} | {SCORE} in the {NAT} league on {DAY} .",
    "{PER} scored twice as/IN/SBAR {TEAM} won {SCORE} at home to {TEAM} .",
    "{TEAM} | {GOALS} | {TEAM} | {GOALS}",
    "{PER} ( {LOC} ) beat {PER} ( {LOC} ) {SET} | {SET}",
    "{PER} of {LOC} won the men 's {DIST} metres in {AMT} seconds .",
    "{PER} finished third/JJ/ADVP in the {MISC} , {NUM} seconds behind {PER} .",
    "{TEAM} coach {PER} said his team had played badly in the first half .",
    "{LOC} will host the {MISC} for the first time in {YEAR} .",
    "{PER} , {NUM} , joined {TEAM} from {TEAM} for a fee of {AMT} million pounds .",
    "Attendance at the match in {LOC} was {BIG} .",
    "{TEAM} leads the standings with {NUM} points from {NUM} games .",
    "{NAT} striker {PER} was sent off after {NUM} minutes .",
    "The market was closed/VBN on {DAY} for a public holiday .",
    "Prices were unchanged in early trading on {DAY} .",
    "Analysts said the figures were better than expected .",
    "It was not/RB/VP immediately clear who was responsible .",
    "{NUM} people were injured .",
    "Rain stopped play in {LOC} .",
    "President {PER} vetoed the bill .",
    "{ORG} did not/RB/VP give details .",
    "The {ORG} index closed {AMT} points higher at {BIG} .",
    "Gold was quoted at {AMT} dollars an ounce in {LOC} on {DAY} .",
    "{PER} , a former {TEAM} player , was named {NAT} coach on {DAY} .",
    "The {NAT} currency fell to a record low against the dollar on {DAY} .",
    "The {ORG} said in a statement issued in {LOC} on {DAY} that it had received {NUM} "
    "applications for the project , which is expected to/TO/VP cost {AMT} million "
    "dollars and create {BIG} jobs by {YEAR} .",
    "{PER} said he hoped to/TO/VP visit {LOC} and {LOC} before the end of {MONTH} .",
    "{MISC} champion {PER} pulled out of the tournament with a knee injury .",
    "The results were published on {DATE} .",
    "Reporting by {PER} in {LOC} .",
]
# Templates that put two distinct same-type entities side by side (-> B- tags).
ADJACENT_TEMPLATES = [
    "{NAT} {NAT} talks on water rights resumed in {LOC} on {DAY} .",
    "The {LOC} {LOC} pipeline will carry gas to {LOC} .",
    "The {NAT} {NAT} summit ended without agreement on {DAY} .",
    "{LOC} {LOC} flights resumed on {DAY} after a ban of {NUM} months .",
]
DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
MONTHS = ("January February March April May June July August September October "
          "November December").split()

Token = tuple[str, str, str, str, bool, bool]  # word, pos, chunk, ner, ent_start, break


def parse_spec(spec: str) -> tuple[str, str | None, str | None]:
    """Split ``word[/POS[/CHUNK]]`` into its parts (missing parts are None)."""
    parts = spec.split("/")
    return parts[0], parts[1] if len(parts) > 1 else None, parts[2] if len(parts) > 2 else None


def fill_number(slot: str, rng: random.Random) -> str:
    year, goals = rng.randint(1980, 2024), rng.randint(1, 5)
    return {
        "NUM": str(rng.randint(2, 60)),
        "BIG": f"{rng.randint(1, 99)},{rng.randint(0, 999):03d}",
        "AMT": rng.choice([f"{rng.randint(1, 99)}.{rng.randint(0, 9)}", str(rng.randint(2, 500))]),
        "GOALS": str(rng.randint(0, 5)),
        "SCORE": f"{goals}-{rng.randint(0, goals - 1)}",  # winner first
        "SET": rng.choice(["6-3", "6-4", "7-5", "7-6", "6-2", "6-1", "6-0"]),
        "YEAR": str(year),
        "DATE": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "DIST": rng.choice(["100", "200", "400", "800", "1,500", "5,000", "10,000"]),
    }[slot]


def realise(template: str, pools: dict[str, list[str]], rng: random.Random) -> list[Token]:
    """Turn one template into tokens with POS, chunk type and NER type."""
    out: list[Token] = []
    used: set[str] = set()
    brk = False
    for spec in template.split():
        if spec == "|":
            brk = True
            continue
        if spec.startswith("{"):
            slot, _, mod = spec.strip("{}").partition(":")
            if slot in ENTITIES:
                name = rng.choice([n for n in pools[slot] if n not in used])
                used.add(name)
                for i, tok in enumerate(name.split()):
                    word, pos, _ = parse_spec(tok)
                    if pos is None:
                        pos = ("CD" if word[0].isdigit() else "JJ" if slot == "NAT"
                               else LEXICON.get(word, "NNP") if word.islower() else "NNP")
                    word = word.upper() if mod == "U" else word
                    out.append((word, pos, CHUNK_OF_POS.get(pos, "O"), NER_TYPE[slot],
                                i == 0, brk and i == 0))
            else:
                names = {"DAY": DAYS, "MONTH": MONTHS}.get(slot)
                word, pos = (rng.choice(names), "NNP") if names else (fill_number(slot, rng), "CD")
                out.append((word, pos, "NP", "O", False, brk))
        else:
            word, pos, chunk = parse_spec(spec)
            pos = pos or LEXICON.get(word) or LEXICON[word.lower()]  # KeyError: add to LEXICON
            chunk = chunk or CHUNK_OVERRIDE.get(word) or CHUNK_OF_POS.get(pos, "O")
            out.append((word, pos, chunk, "O", False, brk or pos == "POS"))
        brk = False
    return out


def to_lines(tokens: list[Token]) -> list[str]:
    """Apply IOB1 to chunk and NER columns."""
    lines: list[str] = []
    prev_chunk, prev_ner = "O", "O"
    for word, pos, chunk, ner, ent_start, brk in tokens:
        ctag = "O" if chunk == "O" else ("B-" if brk and prev_chunk == chunk else "I-") + chunk
        ntag = "O" if ner == "O" else ("B-" if ent_start and prev_ner == ner else "I-") + ner
        lines.append(f"{word} {pos} {ctag} {ntag}")
        prev_chunk, prev_ner = chunk, ner
    return lines


def make_split(name: str, rng: random.Random) -> list[list[str]]:
    """Sample templates (train sees only the 'seen' names) and realise them."""
    pools = {k: seen + (unseen if name != "train" else [])
             for k, (seen, unseen) in ENTITIES.items()}
    n_adj = FORCED_ADJACENT[name]
    templates = [ADJACENT_TEMPLATES[i % len(ADJACENT_TEMPLATES)] for i in range(n_adj)]
    templates += [rng.choice(TEMPLATES) for _ in range(SIZES[name] - n_adj)]
    rng.shuffle(templates)
    return [to_lines(realise(t, pools, rng)) for t in templates]


def write_split(path: Path, sentences: list[list[str]], rng: random.Random) -> None:
    """Write documents of 15-35 sentences; every block ends with a blank line."""
    blocks: list[str] = []
    i = 0
    while i < len(sentences):
        size = rng.randint(15, 35)
        blocks.append("-DOCSTART- -X- -X- O\n\n")
        blocks.extend("\n".join(s) + "\n\n" for s in sentences[i:i + size])
        i += size
    path.write_text("".join(blocks), encoding="ascii", newline="\n")


def validate(path: Path) -> list[list[list[str]]]:
    """Re-read a written file, check the format invariants, return its sentences."""
    raw = path.read_bytes()
    assert raw.endswith(b"\n") and b"\r" not in raw and b"\n\n\n" not in raw, path
    sentences: list[list[list[str]]] = []
    cur: list[list[str]] = []
    for line in raw.decode("ascii").split("\n"):
        if not line:
            if cur:
                sentences.append(cur)
            cur = []
            continue
        cols = line.split(" ")
        assert len(cols) == 4 and all(cols), line
        if cols[0] == "-DOCSTART-":
            assert not cur and line == "-DOCSTART- -X- -X- O", line
            continue
        cur.append(cols)
    assert not cur
    for sent in sentences:
        for col in (2, 3):  # IOB1: B-X only directly after a token tagged ?-X
            tags = ["O"] + [cols[col] for cols in sent]
            for prev, tag in zip(tags, tags[1:]):
                assert tag == "O" or tag[:2] == "I-" or prev[2:] == tag[2:] != "", (path, sent)
    return sentences


def entity_spans(sent: list[list[str]]) -> list[tuple[str, str]]:
    """IOB1 decode -> [(type, surface)]."""
    spans: list[tuple[str, list[str]]] = []
    prev = "O"
    for word, _, _, tag in sent:
        if tag != "O" and (tag.startswith("B-") or prev[2:] != tag[2:]):
            spans.append((tag[2:], [word]))
        elif tag != "O":
            spans[-1][1].append(word)
        prev = tag
    return [(t, " ".join(ws)) for t, ws in spans]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    train_names: set[str] = set()
    print(f"seed {args.seed}\n")
    print("| split | sentences | tokens | length | PER | LOC | ORG | MISC | NER B- "
          "| unseen mentions |\n" + "|---" * 10 + "|")
    for name in SIZES:
        path = args.out / f"{name}.txt"
        write_split(path, make_split(name, rng), rng)
        sents = validate(path)
        assert len(sents) == SIZES[name], (name, len(sents))
        spans = [sp for s in sents for sp in entity_spans(s)]
        if name == "train":
            train_names = {surface for _, surface in spans}
        counts = Counter(t for t, _ in spans)
        unseen = sum(surface not in train_names for _, surface in spans)
        n_b = sum(c[3].startswith("B-") for s in sents for c in s)
        lens = [len(s) for s in sents]
        print(f"| {name} | {len(sents)} | {sum(lens)} | {min(lens)}-{max(lens)} | "
              + " | ".join(str(counts[t]) for t in ("PER", "LOC", "ORG", "MISC"))
              + f" | {n_b} | {unseen}/{len(spans)} |")


if __name__ == "__main__":
    main()
