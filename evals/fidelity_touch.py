"""Which stored results would the fidelity stage touch? A report's kept and set-aside statements, re-read.

    python evals/fidelity_touch.py REPORT.json

For each claim of a ``factcheck eval`` report (``--report-json``) it runs ``slot_changes`` (with the real
embedder: translations and the swap test), the alignment test and ``confirming_sentence`` over every kept and
set-aside statement, and prints the claims with a statement that changes a slot of the claim: the slot,
whether the statement is close enough to the claim to correct it, and whether a shown sentence confirms the
correction. It cannot rerun the model: it says which results the stage would touch, not their new verdicts.
A changed negation is never counted as confirmed (the report does not say which sentence the statement cited).
"""

from __future__ import annotations

import json
import sys

from assistant.embeddings import DEFAULT_EMBEDDER, get_embedder
from assistant.judge.fidelity import MIN_ALIGNMENT, confirming_sentence, slot_changes
from assistant.judge.signals import cosine
from assistant.records import Sentence


def main(path: str) -> None:
    """Print the touched claims of the report at ``path`` and the counts."""
    embedder = get_embedder(DEFAULT_EMBEDDER)

    def similarity(a: str, b: str) -> float:
        va, vb = embedder.embed_documents([a, b])
        return cosine(va, vb)

    report = json.loads(open(path, encoding="utf-8").read())
    touched = refuting = 0
    for item in report["items"]:
        result = item.get("result")
        if item["kind"] != "claim" or not result:
            continue
        claim = result["claim"]
        shown = [
            Sentence(x["doc_id"], x["sentence_id"], x["start"], x["end"], x["text"])
            for x in result["retrieved"]
        ]
        statements = [("kept", s["text"], s["verdict"]) for s in result["statements"]]
        statements += [("aside", a["text"], None) for a in result.get("set_aside", [])]
        lines: list[str] = []
        confirmed_any = False
        for kind, text, verdict in statements:
            changes = slot_changes(claim, text, similarity)
            if not changes:
                continue
            aligned = similarity(claim, text) >= MIN_ALIGNMENT
            confirmed = aligned and any(
                confirming_sentence(claim, c, [], shown, supported=False) for c in changes
            )
            slots = [(c.slot, c.claim_value, c.statement_value) for c in changes]
            lines.append(f"    {kind} {verdict} {text!r} {slots} aligned={aligned} confirmed={confirmed}")
            confirmed_any = confirmed_any or confirmed
        if lines:
            touched += 1
            refuting += confirmed_any
            print(f"{item['id']} gold={item['gold']} pred={item['pred']} | {claim}", *lines, sep="\n")
    print(f"claims touched: {touched}; refuted by a confirmed correction: {refuting}")


if __name__ == "__main__":
    main(sys.argv[1])
