"""Score a pipeline, or a weights file, on another pipeline's stored report, without the decomposing prompt.

Where two pipelines read the model alike (same prompt, retrieval, screen, odds and states) and differ only
in their scope stage or after it (``research/rejudge.py``), a report of one holds all the other
needs: each result's kept statements with every signal its verdict stage read. This script rebuilds them,
runs the new pipeline's scope stage, verdict stage and the stages after, and writes a full report of the
new pipeline on the same items:

    python -m research.rejudge_eval evals/reports/seed-check.v17-test.json --pipeline check.v18 \\
        --report-json evals/reports/seed-check.v18-test.json --report-md evals/reports/seed-check.v18-test.md

``--weights FILE`` (of ``research/train_verdict.py``) replaces the pipeline's verdict model and claim
calibration, to score weights before they ship; a file with a state projection must carry the report's own
(the stored components are projected with it). First the report is rejudged with its own pipeline: unless
that reproduces every stored claim verdict and confidence, the script exits 1, as the replay would not be
the code that produced the report. The items' other pipelines keep their verdicts and the report's own
joins them, so the Markdown's side-by-side table shows old and new on the same items. Latency is not
re-measured (``evals/benchmark.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from assistant.app import App
from assistant.config import apply_offline_defaults, resolve_settings
from assistant.embeddings import get_embedder
from assistant.errors import FactCheckError
from assistant.evaluation.provenance import git_commit
from assistant.evaluation.report import build_report, write_reports
from assistant.evaluation.runner import ItemRecord
from assistant.judge import Stage, StageEnv
from assistant.judge.aggregate import CalibrateClaim
from assistant.judge.classify import Classify
from assistant.judge.pairs import PairOdds
from assistant.judge.states import ProjectState, StateProjection
from assistant.judge.verdict_model import MemoEmbeddings, VerdictClassifier
from assistant.pipelines import Pipeline, get_pipeline
from research.rejudge import documents_of, rejudged, rejudging_stages


def with_weights(stages: list[Stage], path: Path, old: Pipeline) -> list[Stage]:
    """The stages with the weights file's verdict model and calibration in place of the pipeline's."""
    try:
        data = json.loads(path.read_text("utf-8"))
        model = VerdictClassifier.from_json(data)
        theirs = StateProjection.from_json(data["state_projection"]) if "state_projection" in data else None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        sys.exit(f"error: --weights {path}: not a readable weights file ({exc})")
    ours = next((s.projection for s in old.stages if isinstance(s, ProjectState)), None)
    if theirs is not None and ours is not None:
        if not theirs.same_as(ours):
            sys.exit(
                f"error: {path}: its state projection is not {old.id}'s; the stored components do not fit it"
            )
    return [replace(s, model=model) if isinstance(s, (Classify, CalibrateClaim)) else s for s in stages]


def main() -> None:
    """Rejudge the report and write the new pipeline's."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("report", type=Path, help="eval JSON report of a pipeline with a verdict stage")
    ap.add_argument("--pipeline", help="the pipeline to score (default: the report's own)")
    ap.add_argument("--weights", type=Path, help="a weights file to score in the pipeline's verdict stage")
    ap.add_argument(
        "--home",
        type=Path,
        help="state folder holding the reply cache, for a pipeline that adds the pair question (its stage "
        "asks the model, or the cache)",
    )
    ap.add_argument("--report-json", type=Path)
    ap.add_argument("--report-md", type=Path)
    args = ap.parse_args()
    apply_offline_defaults()
    source = json.loads(args.report.read_text("utf-8"))
    config = source["config"]
    documents = documents_of(source["items"])
    env = StageEnv(MemoEmbeddings(get_embedder(config["embedder"])), documents, lambda doc_id: "")
    try:
        old = get_pipeline(config["pipeline"])
        new = get_pipeline(args.pipeline or old.id)
        own, stages = rejudging_stages(old, old), rejudging_stages(old, new)
        if any(isinstance(s, PairOdds) for s in stages):
            env.score_prompt = App(resolve_settings(home=args.home)).chat.score_reply
    except FactCheckError as exc:
        sys.exit(f"error: {exc}")
    claims = [i for i in source["items"] if i["kind"] == "claim" and i.get("result")]
    again = [rejudged(item, own, env) for item in claims]
    off = [
        a["id"]
        for a, b in zip(claims, again, strict=True)
        if (a["pred"], a["confidence"]) != (b["pred"], b["confidence"])
    ]
    if off:
        sys.exit(f"error: rejudged with {old.id}, {len(off)} of {len(claims)} claims differ from the report "
                 f"(first: {off[0]}): the replay is not the code that produced it")  # fmt: skip
    if args.weights is not None:
        stages = with_weights(stages, args.weights, old)
    records = []
    for item in source["items"]:
        record = ItemRecord.from_json(rejudged(item, stages, env))
        if item["kind"] == "claim" and item.get("pred") is not None:
            record.others[old.id] = (item["pred"], float(item["confidence"]))
        records.append(record)
    scored = f"{new.id} with {args.weights}" if args.weights else new.id
    new_config = {
        **config,
        "pipeline": new.id,
        "commit": git_commit(),
        "rejudged_from": {"report": str(args.report), "pipeline": old.id, "commit": config.get("commit")},
        **({"weights": str(args.weights)} if args.weights else {}),
    }
    report = build_report(records, new_config)
    title = f"{Path(str(config.get('dataset', args.report.stem))).stem} ({scored}, rejudged from {old.id})"
    write_reports(report, args.report_json, args.report_md, title)
    changed = sum(r.pred != r.others[old.id][0] for r in records if old.id in r.others)
    print(
        f"{scored} on {old.id}'s report ({len(claims)} claims; rejudged with {old.id} it reproduces every "
        f"stored verdict and confidence): accuracy {report['verdict_accuracy']:.3f}, {changed} verdicts "
        "changed"
    )


if __name__ == "__main__":
    main()
