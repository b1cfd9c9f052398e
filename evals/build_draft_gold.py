"""Build evals/drafts.jsonl, the gold drafts, from the hand-labelled sentences below, and verify every offset.

Each draft is written from the seed article (seeds/musk-nato.de.txt) as an editor would: a story, a press
summary, an explainer (English) and a rewrite and a summary (German), with a mix of sentences the article
supports, sentences it contradicts, sentences it does not cover, and filler that is not a claim (headings,
questions, opinion, transitions, calls to read on). A claim's evidence is given by the seed sentence ids
(``assistant.sentences.split_sentences``) whose text says so; its offsets are computed here and checked
against the seed text, so ``seed[start:end] == quote`` holds for every span, and ``draft[start:end] == text``
for every sentence. Run: ``python evals/build_draft_gold.py`` (rewrites evals/drafts.jsonl; ``--check``
only verifies that the file is what this script builds).

The split (dev/test) is the seed claims' rule: a hash of the draft id (``evaluation.runner.split_of``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.documents import load_document  # noqa: E402
from assistant.sentences import split_sentences  # noqa: E402

SEED = ROOT / "seeds" / "musk-nato.de.txt"
OUT = ROOT / "evals" / "drafts.jsonl"

S, R, N = "supported", "refuted", "not_enough_info"
F = None  # filler: not check-worthy

# A draft: lines; a line: (Markdown prefix, [(sentence, label, seed sentence ids)]); "" is a blank line.
Line = tuple[str, list[tuple[str, str | None, list[int]]]]
DRAFTS: dict[str, tuple[str, list[Line | str]]] = {
    "draft-en-story": ("en", [
        ("", [("Musk wants America out of NATO", F, [])]),
        "",
        ("", [
            ("Here is what we know.", F, []),
            ("Elon Musk came out over the weekend in favour of the United States leaving NATO and the United "
             "Nations.", S, [0]),
            ("Republican senator Mike Lee of Utah joined him.", S, [1]),
            ("He wrote on X that it was a good time to leave the alliance.", S, [6, 7]),
        ]),
        "",
        ("", [
            ("Lee called NATO a bad deal for America.", S, [4]),
            ("Musk shared his post on Truth Social.", R, [2]),
            ("Musk plays a central role in the Trump administration.", S, [2]),
            ("It is hard to overstate how remarkable this moment is.", F, []),
        ]),
        "",
        ("", [
            ("In 2023, Congress passed a law that bars a president from leaving NATO on his own.", S, [15]),
            ("Leaving the alliance takes only a simple majority in the Senate.", R, [16]),
            ("Several Democratic senators have also backed the idea.", N, []),
            ("What happens next?", F, []),
            ("NATO was founded in 1949 in Washington.", N, []),
            ("Read on for the legal details.", F, []),
        ]),
    ]),
    "draft-en-press": ("en", [
        ("## ", [("Press summary: the NATO debate in Washington", F, [])]),
        "",
        ("- ", [("Defense Secretary Pete Hegseth ordered a pause of all cyber operations against Russia.", S,
                 [36])]),
        ("- ", [("According to the New York Times, the move is part of a broader review of US strategy toward "  # noqa: E501
                 "Moscow.", S, [37])]),
        ("- ", [("Donald Trump now sees himself as a mediator between Vladimir Putin and Volodymyr Zelensky.",
                 S, [40])]),
        ("- ", [("Brookings scholar Scott Anderson said the dispute would have to be fought out in court.", S,
                 [21])]),
        ("- ", [("NATO's new chief is Jens Stoltenberg.", R, [27])]),
        ("- ", [("Without NATO, Washington could probably not keep up its military presence in Europe, Africa "  # noqa: E501
                 "and West Asia.", S, [25])]),
        "",
        ("", [
            ("We think this is the most important story of the week.", F, []),
            ("More on this below.", F, []),
        ]),
        "",
        ("### ", [("What experts say", F, [])]),
        "",
        ("", [
            ("James Goldgeier of American University fears chaos if the US leaves NATO.", S, [31]),
            ("Goldgeier teaches at Georgetown University.", R, [31]),
            ("Ukraine's army already gets most of its ammunition from Poland.", N, []),
            ("Europe would be unprepared for a Russian threat for years, Goldgeier warned.", S, [33]),
        ]),
    ]),
    "draft-en-brief": ("en", [
        ("", [
            ("The debate over leaving NATO is heating up.", F, []),
            ("Trump has repeatedly pushed European nations to spend more on defence.", S, [8]),
            ("He has said he would consider leaving NATO if European states do not take on more financial "
             "responsibility.", S, [9]),
        ]),
        "",
        ("", [
            ("Musk accompanies the president to cabinet meetings and press conferences in the Oval Office.", S,  # noqa: E501
             [11]),
            ("Musk has publicly criticised Mike Lee for questioning NATO.", R, [1, 3]),
            ("Honestly, nobody should be surprised by any of this.", F, []),
        ]),
        "",
        ("", [
            ("Some experts argue that the 2023 law would stop Trump, while others see room to get around it.", S,  # noqa: E501
             [20]),
            ("A US president could also weaken NATO indirectly by cutting its funding.", S, [22]),
            ("In short, the alliance faces its biggest test in decades.", F, []),
            ("Ukraine would be massively weakened in its war against Russia.", S, [29]),
            ("The US Senate voted last week to leave NATO.", N, []),
            ("Why does this matter?", F, []),
        ]),
        "",
        ("", [("Subscribe to our newsletter for more updates.", F, [])]),
    ]),
    "draft-de-story": ("de", [
        ("", [("Musk will raus aus der NATO", F, [])]),
        "",
        ("", [
            ("Elon Musk hat sich am Wochenende für einen Austritt der USA aus der NATO ausgesprochen.", S, [0]),  # noqa: E501
            ("Unterstützung bekam er vom demokratischen Senator Mike Lee aus Utah.", R, [1]),
            ("Lee schrieb auf X: „Lasst uns aus der NATO austreten“.", S, [6]),
            ("Er nannte die NATO einen schlechten Deal für Amerika.", S, [4]),
            ("Das ist eine bemerkenswerte Wende.", F, []),
        ]),
        "",
        ("", [
            ("Musk gilt als einflussreiche Stimme in der US-Regierung.", S, [12]),
            ("Der Kongress hat 2019 ein Gesetz gegen einen eigenmächtigen NATO-Austritt beschlossen.", R, [15]),  # noqa: E501
            ("Musk hat angekündigt, selbst für den Senat zu kandidieren.", N, []),
            ("Was bedeutet das für Europa?", F, []),
            ("Lesen Sie weiter unten mehr dazu.", F, []),
        ]),
    ]),
    "draft-de-summary": ("de", [
        ("## ", [("Zusammenfassung", F, [])]),
        "",
        ("", [
            ("Kurz gesagt: Die USA stellen ihre Rolle in der NATO infrage.", F, []),
            ("US-Verteidigungsminister Pete Hegseth hat alle Cyber-Operationen gegen Russland ausgesetzt.", S,
             [36]),
            ("Laut der „Washington Post“ ist die Maßnahme Teil einer Neubewertung der US-Strategie.", R, [37]),  # noqa: E501
            ("Dauer und Umfang der Änderungen sind laut dem Bericht unklar.", S, [38]),
        ]),
        "",
        ("", [
            ("Trump sieht sich als Vermittler zwischen Putin und Selenskyj.", S, [40]),
            ("Ohne die NATO müssten die USA ihre Truppen aus Japan abziehen.", N, []),
            ("Ein NATO-Austritt müsste durch eine Zweidrittelmehrheit im Senat oder durch ein Gesetz des "
             "Kongresses genehmigt werden.", S, [16]),
            ("Meiner Meinung nach ist das ein gefährliches Spiel.", F, []),
        ]),
        "",
        ("", [
            ("Mark Rutte ist der neue Chef der NATO.", S, [27]),
            ("Russland hat bereits auf den Vorstoß von Musk reagiert.", N, []),
            ("Hier ist, was wir noch nicht wissen.", F, []),
        ]),
    ]),
}  # fmt: skip


def build() -> list[dict[str, object]]:
    """The gold records, every offset computed and verified."""
    seed = load_document(SEED).text
    seed_sentences = split_sentences(seed)
    records = []
    for draft_id, (lang, lines) in DRAFTS.items():
        text, claims, filler = "", [], []
        for i, line in enumerate(lines):
            if i:
                text += "\n"
            if isinstance(line, str):
                continue
            prefix, items = line
            text += prefix
            for j, (sentence, label, evidence) in enumerate(items):
                if j:
                    text += " "
                start = len(text)
                text += sentence
                span = {"start": start, "end": len(text), "text": sentence}
                if label is None:
                    filler.append(span)
                    continue
                assert (label == N) == (not evidence), (
                    f"{draft_id}: {sentence!r}: evidence and label disagree"
                )
                gold = [
                    {
                        "quote": seed_sentences[k].text,
                        "start": seed_sentences[k].start,
                        "end": seed_sentences[k].end,
                    }
                    for k in evidence
                ]
                claims.append({**span, "label": label, "evidence": gold})
        text += "\n"
        for span in [*claims, *filler]:
            assert text[span["start"] : span["end"]] == span["text"], f"{draft_id}: draft offsets"
        for claim in claims:
            for ev in claim["evidence"]:
                assert seed[ev["start"] : ev["end"]] == ev["quote"], f"{draft_id}: source offsets"
        records.append({"id": draft_id, "lang": lang, "text": text, "claims": claims, "filler": filler})
    return records


def main() -> int:
    """Write (or with ``--check``, verify) evals/drafts.jsonl."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only verify that the file is up to date")
    args = parser.parse_args()
    content = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in build())
    if args.check:
        if OUT.read_text("utf-8") != content:
            print(f"{OUT} is not what {Path(__file__).name} builds: run it", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(content, "utf-8")
    records = [json.loads(line) for line in content.splitlines()]
    n_claims = sum(len(r["claims"]) for r in records)
    n_filler = sum(len(r["filler"]) for r in records)
    print(
        f"{OUT}: {len(records)} drafts, {n_claims} claims, {n_filler} filler, {n_claims + n_filler} labelled"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
