"""Item 2: ~100 raw lines per task from the sample test files shipped in seqlab, plus edge lines."""
import json
import sys
from pathlib import Path

sample = Path(sys.argv[1])  # seqlab/resources/sample
out = Path(sys.argv[2])
EDGE = ["", "   ", "Peter   Blackburn  went to   Brussels", "Zürich ist schön — naïve café 東京 🙂",
        "\tTabs\tand  trailing spaces   ", "a"]
sentences, current = [], []
for line in (sample / "conll/test.txt").read_text().splitlines():
    if not line.strip() or line.startswith("-DOCSTART-"):
        if current:
            sentences.append(" ".join(current))
        current = []
    else:
        current.append(line.split()[0])
if current:
    sentences.append(" ".join(current))
ner = sentences[:95] + EDGE
rows = (sample / "sentiment/test.tsv").read_text().splitlines()[1:]
sent = [r.split("\t")[0] for r in rows][:95] + EDGE
(out / "lines_ner.json").write_text(json.dumps(ner, ensure_ascii=False, indent=0))
(out / "lines_sent.json").write_text(json.dumps(sent, ensure_ascii=False, indent=0))
print(len(ner), len(sent), "of", len(sentences), "ner sentences")
