"""Train the verdict classifier of a pipeline's verdict stage from evaluation reports, on the dev split only.

Reads JSON reports written by ``factcheck eval --report-json`` for a pipeline without a verdict stage
(so each statement's verdict is the model's own), recomputes the signals of every statement of the dev-split
claims, fits a multinomial logistic regression and writes its weights as JSON for
``assistant/judge/verdict_model.py``.

Labels (``--labels``): ``inherit`` (default) gives every statement its claim's label, weighted 1/n for a claim
of n statements, so the fit optimises the claim verdict that the aggregation rule produces; ``strict`` keeps
only statements whose label is certain (one-statement claims, and every statement of a supported claim).
Model choice uses grouped cross-validation on the dev claims, scored on the aggregated claim verdict.

    python -m research.train_verdict --report evals/reports/seed-check.v2.json \\
        --dataset evals/seed_claims.jsonl --out assistant/verdict_models/verdict.v1.json

The test split is never read. Grouped five-fold cross-validation on the dev claims guides model choice.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.preprocessing import StandardScaler

from assistant.app import App
from assistant.config import apply_offline_defaults, resolve_settings
from assistant.embeddings import DEFAULT_EMBEDDER, get_embedder
from assistant.errors import FactCheckError
from assistant.evaluation.metrics import confidence_auroc, expected_calibration_error
from assistant.evaluation.runner import split_of
from assistant.judge import Stage, StageEnv
from assistant.judge.aggregate import aggregate_confidence, aggregate_verdict
from assistant.judge.classify import signals_of
from assistant.judge.odds import NAMES as ODDS_NAMES
from assistant.judge.pairs import NAMES as PAIR_NAMES
from assistant.judge.pairs import PROMPT as PAIR_PROMPT
from assistant.judge.pairs import PairOdds
from assistant.judge.scope import Scope
from assistant.judge.signals import NAMES
from assistant.judge.states import StateProjection
from assistant.judge.verdict_model import MemoEmbeddings, logit, platt, weights_file
from assistant.schemas import VERDICTS, Verdict
from research.replay import draft_from_result

CLASSES: tuple[Verdict, ...] = VERDICTS  # the order a weights file lists its classes in


def rows_of(
    report: dict[str, Any],
    embeddings: MemoEmbeddings,
    labels: str = "inherit",
    scope: Scope | None = None,
    every_item: bool = False,
    score_prompt: Callable[[str, str, str, list[str]], list[float] | None] | None = None,
    pairs_per_statement: int = 2,
) -> tuple[list[list[float]], list[str], list[str], list[float], tuple[str, ...], list[str]]:
    """(signals, label, item id, weight) of every trainable statement of the report's dev-split claims,
    the signal names, and the statements' texts. ``every_item``: the report's dataset is a training split
    (Check-COVID's train.json), so every item is training data, not only the dev half.

    Each result is replayed through the pipeline's own judge stages (``assistant/judge/``): with ``scope``,
    the scope stage sets statements aside as the pipeline will; with ``score_prompt`` (the model's,
    :meth:`StructuredChat.score_reply`) the pair question (:class:`~assistant.judge.pairs.PairOdds`) is put
    for every kept statement; then the
    signals are those the Classify stage computes.
    """
    # Read from the results themselves, not the pipeline registry: the training reports are of pipelines
    # retired from the package (check.v1, check.v14; commit RETIRED_AT of assistant/pipelines.py).
    statements = [st for item in report["items"] if item.get("result") for st in item["result"]["statements"]]
    if any(st.get("signals") for st in statements):
        sys.exit(f"report of {report['config']['pipeline']}: train on a pipeline without a verdict stage")
    odds = any(st.get("model_probabilities") is not None for st in statements)
    pairs = score_prompt is not None
    names = NAMES + (ODDS_NAMES if odds else ())
    names += PAIR_NAMES if pairs else ()
    stages: list[Stage] = [scope] if scope is not None else []
    if pairs:
        stages.append(PairOdds(per_statement=pairs_per_statement))
    env = StageEnv(embeddings, lambda doc_id: None, lambda doc_id: "", score_prompt=score_prompt)
    todo = [
        item
        for item in report["items"]
        if (every_item or split_of(item["id"]) == "dev")
        and item["kind"] == "claim"
        and item["gold"]
        and item.get("result")
        and item.get("source_label") != "partially_supported"
    ]
    X, y, ids, weights, texts = [], [], [], [], []
    for done, item in enumerate(todo, 1):
        result = item["result"]
        draft = draft_from_result(result)
        for stage in stages:
            stage.run(draft, env)
        if pairs and done % 25 == 0:
            print(f"  pair questions: {done} of {len(todo)} claims", file=sys.stderr, flush=True)
        if labels == "strict" and len(draft.statements) > 1 and item["gold"] != "supported":
            continue
        for st in draft.statements:
            signals = signals_of(st, draft, embeddings)
            X.append([signals[n] for n in names])
            y.append(item["gold"])
            ids.append(item["id"])
            weights.append(1.0 / len(draft.statements) if labels == "inherit" else 1.0)
            texts.append(st.text)
    return X, y, ids, weights, names, texts


@dataclass(frozen=True)
class Judged:
    """One statement's predicted verdict and confidence, as assistant.check aggregates them."""

    verdict: Verdict
    confidence: float


def claim_verdicts(
    proba: np.ndarray, y: np.ndarray, ids: list[str], groups: list[str], n_evidence: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(claim confidence, whether the claim verdict is right, the claim's CV group) per claim run,
    aggregated as the pipeline does.

    Of the policy rules only "no verified evidence → not_enough_info" is applied (the signals carry the
    evidence count; the hedge and year rules need the texts), so this approximates the pipeline.
    """
    by_claim: dict[str, list[Judged]] = {}
    gold: dict[str, str] = {}
    group_of: dict[str, str] = {}
    for p, g, i, grp, n in zip(proba, y, ids, groups, n_evidence, strict=True):
        verdict: Verdict = CLASSES[int(np.argmax(p))]
        if verdict != "not_enough_info" and n == 0:
            verdict = "not_enough_info"
        by_claim.setdefault(i, []).append(Judged(verdict, float(p[CLASSES.index(verdict)])))
        gold[i], group_of[i] = str(g), grp
    conf, correct = [], []
    for i, judged in by_claim.items():
        verdict = aggregate_verdict([j.verdict for j in judged])
        conf.append(aggregate_confidence(judged, verdict))
        correct.append(verdict == gold[i])
    return np.array(conf), np.array(correct), [group_of[i] for i in by_claim]


def fit_platt(conf: np.ndarray, correct: np.ndarray) -> tuple[float, float]:
    """Platt scaling (a, b) of claim confidences: P(right) = sigmoid(a * logit(conf) + b)."""
    x = np.array([logit(c) for c in conf]).reshape(-1, 1)
    lr = LogisticRegression(C=1.0).fit(x, correct)
    return float(lr.coef_[0][0]), float(lr.intercept_[0])


def with_states(
    X: list[list[float]],
    names: tuple[str, ...],
    keys: list[tuple[str, str]],
    paths: list[str],
    k: int,
    reuse: dict[str, Any] | None = None,
) -> tuple[list[list[float]], tuple[str, ...], dict[str, Any]]:
    """The rows with the principal components of each statement's state appended, the names with theirs,
    and the projection (as :class:`~assistant.judge.states.StateProjection` reads it).

    States are matched to statements by item id and statement text. A statement with no state (the
    backend gave none) gets components 0, as the pipeline's stage gives it. The projection is fitted on the
    training statements' states only (unsupervised: labels play no part), or ``reuse``d as given (a shipped
    one: the stored components of reports projected with it then stay valid, ``research/rejudge_eval.py``).
    """
    states: dict[tuple[str, str], np.ndarray] = {}
    for path in paths:
        data = np.load(path)
        for i, text, state in zip(data["ids"], data["texts"], data["states"], strict=True):
            states[(str(i), str(text))] = state.astype(np.float64)
    found = [states.get(key) for key in keys]
    have = np.array([s for s in found if s is not None])
    if len(have) <= k:
        sys.exit(f"--states: {len(have)} of {len(keys)} statements have a state; need more than {k}")
    if reuse is not None:
        projection = reuse
        print(f"states: {len(have)} of {len(keys)} statements have one; the given projection kept")
    else:
        print(f"states: {len(have)} of {len(keys)} statements have one; {k} principal components kept")
        mean, scale = have.mean(axis=0), have.std(axis=0)
        scale[scale == 0] = 1.0
        components = PCA(n_components=k, svd_solver="full").fit((have - mean) / scale).components_
        projection = {
            "mean": mean.round(5).tolist(),
            "scale": scale.round(5).tolist(),
            "components": components.round(6).tolist(),
        }
    project = StateProjection.from_json(projection)
    rows = [
        [*row, *project.signals(None if s is None else s.tolist()).values()]
        for row, s in zip(X, found, strict=True)
    ]
    return rows, names + project.names, projection


def claim_accuracy(pred: np.ndarray, y: np.ndarray, ids: list[str]) -> float:
    """Accuracy of the aggregated claim verdicts (each claim's gold label is its statements' label)."""
    by_claim: dict[str, list[Verdict]] = {}
    gold: dict[str, str] = {}
    for p, g, i in zip(pred, y, ids, strict=True):
        by_claim.setdefault(i, []).append(p)
        gold[i] = str(g)
    return float(np.mean([aggregate_verdict(v) == gold[i] for i, v in by_claim.items()]))


def main() -> None:
    """Train and write the weights."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--report",
        action="append",
        default=[],
        help="eval JSON report; its dev-split items train (repeatable)",
    )
    ap.add_argument(
        "--train-report",
        action="append",
        default=[],
        help="eval JSON report of a training split (Check-COVID train.json): every item trains (repeatable)",
    )
    ap.add_argument(
        "--train-limit",
        type=int,
        help="only the first N items of each --train-report (those whose states --states holds)",
    )
    ap.add_argument("--out", required=True, type=Path, help="weights file to write")
    ap.add_argument("--id", default=None, help="classifier id (default: the file stem)")
    ap.add_argument("--embedder", default=DEFAULT_EMBEDDER)
    ap.add_argument("--C", type=float, default=1.0, help="inverse regularisation strength")
    ap.add_argument(
        "--features",
        default="",
        help="comma-separated signal names to train on (default: every signal of the report's pipeline)",
    )
    ap.add_argument("--labels", choices=("inherit", "strict"), default="inherit")
    ap.add_argument(
        "--scope",
        action="store_true",
        help="leave out statements the scope stage sets aside (assistant/judge/scope.py)",
    )
    ap.add_argument(
        "--whole-claim",
        action="store_true",
        help="with --scope: the scope's whole-claim rule too, as check.v18 sets statements aside",
    )
    ap.add_argument(
        "--report-weight",
        type=float,
        default=1.0,
        help="weight of each --report statement relative to a --train-report one (default 1)",
    )
    ap.add_argument(
        "--states",
        action="append",
        default=[],
        help="states of the reports' statements (research/collect_states.py, .npz; repeatable): their "
        "principal "
        "components become signals and the projection ships with the weights (check.v17's head)",
    )
    ap.add_argument(
        "--state-components",
        type=int,
        default=16,
        help="principal components of the states kept (default 16)",
    )
    ap.add_argument(
        "--projection",
        help="with --states: the state projection of this shipped verdict model (verdict.v8), not a new "
        "fit, so reports of its pipeline can score the new weights without the model "
        "(research/rejudge_eval.py)",
    )
    ap.add_argument(
        "--pairs",
        action="store_true",
        help="put the pair question (assistant/judge/pairs.py) for every kept statement, with the model: its "
        "signals join the others (replies cached under --home, so a second run needs no model)",
    )
    ap.add_argument(
        "--pairs-per-statement",
        type=int,
        default=2,
        help="with --pairs: the shown sentences each statement is paired with, closest first (default 2)",
    )
    ap.add_argument("--home", type=Path, help="with --pairs: state folder holding the reply cache")
    ap.add_argument(
        "--calibrate",
        action="store_true",
        help="fit a Platt scaling of the claim confidence on the cross-validated dev claim verdicts",
    )
    args = ap.parse_args()
    if args.whole_claim and not args.scope:
        ap.error("--whole-claim is a rule of the scope stage: give it with --scope")
    scope = Scope(whole_claim=args.whole_claim) if args.scope else None
    apply_offline_defaults()
    embeddings = MemoEmbeddings(get_embedder(args.embedder))
    score_prompt = None
    if args.pairs:
        try:
            score_prompt = App(resolve_settings(home=args.home)).chat.score_reply
        except FactCheckError as exc:
            sys.exit(f"error: {exc}")

    X, y, ids, groups, w, sources, origin = [], [], [], [], [], [], []
    keys: list[tuple[str, str]] = []
    names: tuple[str, ...] = ()
    if not args.report and not args.train_report:
        sys.exit("give at least one --report or --train-report")
    for path, every_item in [(p, False) for p in args.report] + [(p, True) for p in args.train_report]:
        report = json.loads(Path(path).read_text("utf-8"))
        dataset = str(report["config"].get("dataset", ""))
        if every_item and not Path(dataset).name.startswith("train"):
            sys.exit(f"{path}: --train-report is for a training split's report, not {dataset!r}")
        if every_item and args.train_limit is not None:
            report["items"] = report["items"][: args.train_limit]
        xs, ys, idx, ws, names_here, texts = rows_of(
            report, embeddings, args.labels, scope, every_item, score_prompt, args.pairs_per_statement
        )
        if names and names_here != names:
            sys.exit(f"{path}: its pipeline's signals differ from the other reports'")
        names = names_here
        X += xs
        y += ys
        ids += [f"{path}:{i}" for i in idx]  # one claim verdict per report and claim
        groups += idx  # the same claim in two reports stays on one side of every fold
        keys += list(zip(idx, texts, strict=True))
        # --report-weight: the dev-half statements (the sources' own domain) weigh more than training splits'.
        w += [x * (1.0 if every_item else args.report_weight) for x in ws]
        origin += [path] * len(ys)
        source = {"report": path, "dataset": report["config"].get("dataset"), "statements": len(ys)}
        items = "all" if args.train_limit is None else f"first {args.train_limit}"
        sources.append({**source, "items": items} if every_item else source)
    # The model's own verdict and the evidence count of every row, whatever the features trained on.
    own = np.array(
        [[row[names.index(n)] for n in ("model_supported", "model_refuted", "model_nei")] for row in X]
    )
    n_evidence = np.array([row[names.index("n_evidence")] for row in X])
    if args.features:
        wanted = [f for f in args.features.split(",") if f]
        unknown = sorted(set(wanted) - set(names))
        if unknown:
            sys.exit(f"unknown signals {unknown}; known: {', '.join(names)}")
        keep = [names.index(f) for f in wanted]
        X = [[row[i] for i in keep] for row in X]
        names = tuple(wanted)
    projection = None
    if args.states:
        reuse = None
        if args.projection:
            try:
                reuse = weights_file(args.projection).get("state_projection")
            except (OSError, ValueError) as exc:
                sys.exit(f"--projection {args.projection}: {exc}")
            if reuse is None:
                sys.exit(f"--projection: {args.projection} has no state projection")
        X, names, projection = with_states(X, names, keys, args.states, args.state_components, reuse)
    if len(set(y)) < 3:
        sys.exit(f"need all three labels in the dev statements, got {sorted(set(y))}")
    Xa, ya, wa = np.array(X), np.array(y), np.array(w)
    scaler = StandardScaler().fit(Xa)
    scaler.scale_[scaler.scale_ == 0] = 1.0
    Xs = scaler.transform(Xa)
    clf = LogisticRegression(C=args.C, class_weight="balanced", max_iter=2000)
    # Folds by claim, so no claim has statements on both sides.
    cv = np.empty(len(ya), dtype=object)
    cv_proba = np.zeros((len(ya), len(CLASSES)))
    for train, test in GroupKFold(n_splits=5).split(Xs, ya, groups=groups):
        fold = LogisticRegression(C=args.C, class_weight="balanced", max_iter=2000)
        fold.fit(Xs[train], ya[train], sample_weight=wa[train])
        cv[test] = fold.predict(Xs[test])
        cv_proba[test] = fold.predict_proba(Xs[test])[:, [list(fold.classes_).index(c) for c in CLASSES]]
    model_only = np.array([CLASSES[int(np.argmax(row))] for row in own])
    counts = {str(k): int(v) for k, v in zip(*np.unique(ya, return_counts=True), strict=True)}
    print(f"dev statements: {len(ya)} {counts} from {len(set(ids))} claims (labels: {args.labels})")
    print(f"claim accuracy of the model's own verdicts: {claim_accuracy(model_only, ya, ids):.3f}")
    print(f"claim accuracy of the classifier, 5-fold grouped CV: {claim_accuracy(cv, ya, ids):.3f}")
    for path in dict.fromkeys(origin):
        rows = np.array([o == path for o in origin])
        ids_here = [i for i, keep in zip(ids, rows, strict=True) if keep]
        print(
            f"  of which {path}: {claim_accuracy(cv[rows], ya[rows], ids_here):.3f} "
            f"({len(set(ids_here))} claims)"
        )
    # The claim confidences the cross-validated classifier would have shown, and whether it was right.
    conf, correct, claim_groups = claim_verdicts(cv_proba, ya, ids, groups, n_evidence)
    ranking = confidence_auroc(conf.tolist(), correct.tolist())
    print(f"claim confidence AUROC, 5-fold grouped CV: {ranking:.3f}" if ranking is not None else "")
    calibration = None
    if args.calibrate:
        claim_origin = np.array([i.rsplit(":", 1)[0] for i in dict.fromkeys(ids)])
        mapped = np.zeros(len(conf))  # the Platt map itself judged by grouped CV over claims
        for train, test in GroupKFold(n_splits=5).split(conf, correct, groups=claim_groups):
            a, b = fit_platt(conf[train], correct[train])
            mapped[test] = [platt(c, a, b) for c in conf[test]]
        a, b = fit_platt(conf, correct)
        before = expected_calibration_error(conf.tolist(), correct.tolist())
        after = expected_calibration_error(mapped.tolist(), correct.tolist())
        for path in dict.fromkeys(origin):
            here = claim_origin == path
            ece_here = expected_calibration_error(mapped[here].tolist(), correct[here].tolist())
            print(f"  of which {path}: ECE {ece_here:.3f} after Platt ({int(here.sum())} claims)")
        print(
            f"claim confidence ECE, CV: {before:.3f} as aggregated, {after:.3f} after Platt "
            f"(a={a:.3f}, b={b:.3f})"
        )
        calibration = {
            "a": round(a, 6),
            "b": round(b, 6),
            "cv_ece_before": round(before, 4),
            "cv_ece_after": round(after, 4),
        }
    clf.fit(Xs, ya, sample_weight=wa)
    order = [list(clf.classes_).index(c) for c in CLASSES]
    weights = {
        "id": args.id or args.out.stem,
        "classes": list(CLASSES),
        "features": list(names),
        "mean": scaler.mean_.round(6).tolist(),
        "scale": scaler.scale_.round(6).tolist(),
        "coef": clf.coef_[order].round(6).tolist(),
        "intercept": clf.intercept_[order].round(6).tolist(),
        "trained_on": {
            "split": "dev",
            "sources": sources,
            "C": args.C,
            "report_weight": args.report_weight,
            "embedder": args.embedder,
        },
        "cv_claim_accuracy": round(claim_accuracy(cv, ya, ids), 4),
        "cv_claim_auroc": round(ranking, 4) if ranking is not None else None,
        "labels": args.labels,
        "scope": ("whole_claim" if args.whole_claim else True) if args.scope else False,
        "claim_calibration": calibration,
    }
    if args.pairs:
        weights["trained_on"]["pairs"] = {"prompt": PAIR_PROMPT, "per_statement": args.pairs_per_statement}
    if projection is not None:
        weights["trained_on"]["states"] = args.states
        weights["state_projection"] = projection
    text = json.dumps(weights, indent=1)
    if projection is not None:  # some 50,000 numbers: one line, not one line each
        del weights["state_projection"]
        compact = json.dumps(projection, separators=(",", ":"))
        text = json.dumps(weights, indent=1)[:-2] + f',\n "state_projection": {compact}\n}}'
    args.out.write_text(text + "\n", "utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
