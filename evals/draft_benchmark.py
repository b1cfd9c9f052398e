"""Time a whole draft against its claims checked one by one, in the same run, on the embedded model.

Measures (reply cache off, so every check asks the model):

- ``draft_s``: ``check_draft`` on a draft of 15 sentences (the first 15 of the gold drafts' dev/test text);
- ``sum_single_s``: the sum of ``Checker.check`` on each of its claims (same stand-alone texts), one by one;
- ``ratio``: ``draft_s / sum_single_s`` (issue 32's target: ≤ 1.1);
- ``first_verdict_s`` against ``one_check_s`` (the median single check): the target is ≤ 1.5×.

Run under the model lock: ``flock /tmp/factcheck-model.lock python evals/draft_benchmark.py --home DIR``
(DIR holds an index of seeds/; it is built there when empty).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _draft_text(n_sentences: int) -> str:
    """The first ``n_sentences`` sentences of the gold drafts, as paragraphs of the original text."""
    from assistant.draft.split import draft_sentences

    texts = [
        json.loads(line)["text"] for line in (ROOT / "evals" / "drafts.jsonl").read_text("utf-8").splitlines()
    ]
    text = "\n\n".join(texts)
    sentences = draft_sentences(text)
    return text[: sentences[n_sentences - 1].end] + "\n"


def main() -> int:
    """Run the benchmark and print (and with ``--json``, write) the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="state folder (an index of seeds/ is built)")
    parser.add_argument("--sentences", type=int, default=15)
    parser.add_argument("--json", type=Path, help="write the numbers here")
    args = parser.parse_args()
    os.environ["FACTCHECK_HOME"] = str(args.home)
    os.environ["FACTCHECK_CACHE"] = "0"  # every check asks the model

    from assistant.app import App
    from assistant.config import resolve_settings
    from assistant.draft import check_draft, plan_draft
    from assistant.ingest import ingest_paths

    app = App(resolve_settings())
    if not app.store.list_documents():
        ingest_paths(app.store, app.embeddings, [ROOT / "seeds"])
    app.chat.load()
    app.checker.warm()
    text = _draft_text(args.sentences)
    plan = plan_draft(text)
    t0 = time.perf_counter()
    result = check_draft(app, text)
    draft_s = time.perf_counter() - t0
    singles = []
    for planned in plan.claims:
        t = time.perf_counter()
        app.checker.check(planned.standalone)
        singles.append(time.perf_counter() - t)
    numbers = {
        "sentences": len(plan.sentences),
        "claims": len(plan.claims),
        "draft_s": round(draft_s, 2),
        "sum_single_s": round(sum(singles), 2),
        "ratio": round(draft_s / sum(singles), 3) if singles else None,
        "first_verdict_s": round(result.timings_ms.get("first_verdict", 0) / 1000, 2),
        "one_check_s": round(statistics.median(singles), 2) if singles else None,
        "first_verdict_ratio": round(
            result.timings_ms.get("first_verdict", 0) / 1000 / statistics.median(singles), 3
        )
        if singles
        else None,
        "model": app.chat.name,
        "pipeline": app.checker.pipeline.id,
    }
    print(json.dumps(numbers, indent=2))
    if args.json:
        args.json.write_text(json.dumps(numbers, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
