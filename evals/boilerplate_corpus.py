"""Write a newsroom-like corpus: the seed plus N short articles that all end in the same boilerplate lines.

Used to measure that repeated sentences do not break retrieval (evals/RESULTS.md, "Robustness"):

    python evals/boilerplate_corpus.py --out /tmp/boilerplate --n 300
    factcheck eval /tmp/boilerplate/seed_claims.nodoc.jsonl --corpus /tmp/boilerplate/corpus \
        --retrieval-only --compare-embedders use-multilingual --home /tmp/boilerplate-home

Writes ``OUT/corpus/`` (the seed and N articles) and ``OUT/seed_claims.nodoc.jsonl`` (the seed gold set with
each item's ``doc`` removed, so retrieval runs across every document and the gold document is found from
the evidence offsets). The articles are generated from templates with a fixed seed: a few sentences on
unrelated topics (sports, weather, local news) in German, then the boilerplate. Nothing is committed.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOILERPLATE = ["Foto: APA/AFP.", "Alle Rechte vorbehalten."]
_TOPICS = [
    ("Der Gemeinderat von {town} hat am {day} den Haushalt für {year} beschlossen.",
     "Die Opposition kritisierte die geplanten Ausgaben für den Straßenbau."),
    ("Der FC {town} gewann am {day} mit {a}:{b} gegen den Tabellenführer.",
     "Der Trainer lobte nach dem Spiel die Defensive seiner Mannschaft."),
    ("In {town} wird für {day} Starkregen mit bis zu {a}0 Litern pro Quadratmeter erwartet.",
     "Die Feuerwehr rät, Keller und Tiefgaragen zu meiden."),
    ("Die Universität {town} eröffnet im Herbst {year} ein neues Forschungszentrum.",
     "Dort sollen rund {a}00 Menschen arbeiten."),
    ("Ein Brand in einer Lagerhalle in {town} hat am {day} einen Schaden von {a} Millionen Euro verursacht.",
     "Verletzt wurde nach Angaben der Polizei niemand."),
]  # fmt: skip
_TOWNS = "Graz Linz Salzburg Innsbruck Klagenfurt Villach Wels Steyr Dornbirn Bregenz Krems Leoben".split()
_DAYS = "Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag".split()


def article(rng: random.Random, i: int, *, boilerplate: bool = True) -> str:
    """One short article: a headline, two or three topical sentences, then the boilerplate lines."""
    first, second = rng.choice(_TOPICS)
    values = {
        "town": rng.choice(_TOWNS),
        "day": rng.choice(_DAYS),
        "year": rng.randint(2019, 2026),
        "a": rng.randint(1, 9),
        "b": rng.randint(0, 5),
    }
    headline = f"Meldung {i} aus {values['town']}"
    body = f"{first.format(**values)} {second.format(**values)}"
    tail = [" ".join(BOILERPLATE)] if boilerplate else []
    return "\n\n".join([headline, body, *tail]) + "\n"


def main() -> None:
    """Write the corpus and the doc-less gold set."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="Folder to write (replaced if it exists).")
    ap.add_argument("--n", type=int, default=300, help="Articles sharing the boilerplate (default 300).")
    ap.add_argument("--seed", type=int, default=17, help="Random seed of the generator.")
    ap.add_argument(
        "--no-boilerplate", action="store_true", help="The same articles without the boilerplate lines."
    )
    args = ap.parse_args()
    corpus = args.out / "corpus"
    if args.out.exists():
        shutil.rmtree(args.out)
    corpus.mkdir(parents=True)
    for f in sorted((ROOT / "seeds").glob("*.txt")):
        shutil.copy(f, corpus / f.name)
    rng = random.Random(args.seed)
    for i in range(args.n):
        (corpus / f"meldung-{i:04d}.de.txt").write_text(
            article(rng, i, boilerplate=not args.no_boilerplate), "utf-8"
        )
    with (
        (ROOT / "evals" / "seed_claims.jsonl").open(encoding="utf-8") as src,
        (args.out / "seed_claims.nodoc.jsonl").open("w", encoding="utf-8") as dst,
    ):
        for line in src:
            if line.strip():
                rec = json.loads(line)
                rec.pop("doc", None)
                dst.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print(f"wrote {args.n} articles and the seed to {corpus}; gold set {args.out}/seed_claims.nodoc.jsonl")


if __name__ == "__main__":
    main()
