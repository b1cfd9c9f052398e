"""Score verdict weights on the seed test half by replaying a pipeline's stored results through the judge.

For a weights file that is not (yet) shipped in a pipeline: each held-out result of a report of an
extraction pipeline without a classifier (check.v8) is rebuilt as a draft (``assistant/judge/replay.py``)
and run through the stages check.v9 runs after the model (the value comparison, the classifier with the
policy rules, the aggregation, the claim calibration), so no model call is made. Only test-split claims are
scored.

    python evals/replay_eval.py --report evals/reports/seed-check.v8-all.json --weights /tmp/verdict.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from assistant.config import apply_offline_defaults
from assistant.embeddings import DEFAULT_EMBEDDER, get_embedder
from assistant.evaluation.metrics import confidence_auroc, selective_accuracy
from assistant.evaluation.runner import split_of
from assistant.judge import Stage, StageEnv
from assistant.judge.aggregate import Aggregate, CalibrateClaim
from assistant.judge.classify import Classify
from assistant.judge.compare import CompareValues
from assistant.judge.replay import draft_from_result
from assistant.verdict import MemoEmbeddings, VerdictClassifier


def main() -> None:
    """Replay and print accuracy, AUROC and selective accuracy at 50% coverage."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--report", required=True, type=Path, help="eval JSON report of check.v8")
    ap.add_argument("--weights", required=True, type=Path, help="weights written by evals/train_verdict.py")
    ap.add_argument("--embedder", default=DEFAULT_EMBEDDER)
    args = ap.parse_args()
    apply_offline_defaults()
    model = VerdictClassifier.from_json(json.loads(args.weights.read_text("utf-8")))
    stages: list[Stage] = [CompareValues(), Classify(model), Aggregate(), CalibrateClaim(model)]
    env = StageEnv(MemoEmbeddings(get_embedder(args.embedder)), lambda doc_id: None, lambda doc_id: "")
    conf: list[float] = []
    correct: list[bool] = []
    for item in json.loads(args.report.read_text("utf-8"))["items"]:
        result = item.get("result")
        if item["kind"] != "claim" or not item["gold"] or not result or split_of(item["id"]) != "test":
            continue
        draft = draft_from_result(result)
        for stage in stages:
            stage.run(draft, env)
        conf.append(draft.confidence)
        correct.append(draft.verdict == item["gold"])
    auroc = confidence_auroc(conf, correct)
    print(
        f"{len(correct)} test claims: accuracy {sum(correct) / len(correct):.3f}, AUROC "
        f"{'n/a' if auroc is None else f'{auroc:.3f}'}, selective accuracy at 50% "
        f"{selective_accuracy(conf, correct, 0.5):.3f}"
    )


if __name__ == "__main__":
    main()
