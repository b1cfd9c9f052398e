"""The claim against the sentence closest to it, for every gold claim, without the model.

How ``MIN_SOURCE_ALIGNMENT`` and ``MIN_NAME_KINSHIP`` (``assistant/judge/fidelity.py``) were chosen: on the
dev half, which gold claims :func:`~assistant.judge.fidelity.source_correction` would refute and with what
reason. It needs only retrieval and the embedder, so it runs in seconds:

    factcheck --home /tmp/probe ingest seeds/
    python -m research.fidelity_probe --home /tmp/probe evals/seed_claims.jsonl [--split dev]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from assistant.app import App
from assistant.config import resolve_settings
from assistant.evaluation.runner import split_of
from assistant.judge.fidelity import similarity_of, source_correction
from assistant.judge.verdict_model import MemoEmbeddings


def main() -> None:
    """Print each gold claim of the split that its closest sentence would refute, then the counts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--home", required=True)
    parser.add_argument("--split", choices=("dev", "test"), default="dev")
    args = parser.parse_args()
    app = App(resolve_settings(home=args.home))
    similarity = similarity_of(MemoEmbeddings(app.embeddings))

    fired = right = 0
    try:
        for line in args.dataset.read_text("utf-8").splitlines():
            item = json.loads(line)
            if item.get("label") is None or split_of(item["id"]) != args.split:
                continue
            checker = app.checker
            shown = checker.retrieve(checker.request(item["claim"], "claim")).sentences
            found = source_correction(item["claim"], shown, similarity)
            if found is None:
                continue
            sentence, change = found
            fired += 1
            right += item["label"] == "refuted"
            values = f"{change.slot}: {change.claim_value} → {change.statement_value}"
            print(f"{item['id']}\t{item['label']}\t{values}\t{sentence.text[:80]}")
    finally:
        app.close()
    print(f"{args.split}: {fired} claims refuted by their closest sentence, {right} of them gold refuted")


if __name__ == "__main__":
    main()
