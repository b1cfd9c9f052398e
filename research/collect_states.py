"""Gather the embedded model's hidden states at each statement's verdict: the verifier head's training data.

Runs ``check.v16`` (check.v14's prompt, retrieval and odds, plus the
:class:`~assistant.judge.states.ReplyStates` stage) over a dataset's claims with the reply cache of
``--home``: replies already cached are not generated again, and states are cached too, so an interrupted
run resumes where it stopped. Writes one ``.npz`` with, per kept statement, the item id, the statement
text, the gold label, the dataset's own label and the state (float16: about 3 KB a statement, so the
training states can be committed, ``research/states/``, and a later session retrains without the model).
The file is rewritten every 10 claims, so an interrupted run keeps what it collected. ``--skip`` leaves out
the claims another file already holds, so a longer split is collected as a new shard beside the old, and
``--report-json`` then scores the same claims with the pipeline (every reply is cached by then, so this takes
minutes) and writes the eval report that ``research/train_verdict.py --train-report`` reads beside the shard:

    python -m research.collect_states ../shared/data/check-covid/train.json --limit 600 \\
        --skip research/states/cc-train300.npz --out research/states/cc-train600-new.npz \\
        --home /work/base-home \\
        --report-json evals/reports/check-covid-train600-new-check.v16.json
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from rich.console import Console

from assistant.app import App
from assistant.config import resolve_settings
from assistant.errors import FactCheckError
from assistant.evaluation.job import EvalJob, EvalOptions
from assistant.evaluation.runner import EvalRunner
from assistant.progress import StageProgress

PIPELINE = "check.v16"
#: Claims between two writes of the file: an interrupted run keeps what it collected.
CHECKPOINT = 10


def write(
    out: Path,
    ids: list[str],
    texts: list[str],
    golds: list[str],
    sources: list[str],
    states: list[np.ndarray],
) -> None:
    """Write the states collected so far (whole or not at all: a temporary file, then a rename)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp.npz")
    np.savez_compressed(
        tmp,
        ids=np.array(ids),
        texts=np.array(texts),
        golds=np.array(golds),
        sources=np.array(sources),
        states=np.stack(states),
    )
    tmp.replace(out)


def main() -> None:
    """Collect and write the states."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--corpus", type=Path)
    ap.add_argument("--format", dest="fmt")
    ap.add_argument("--limit", type=int, help="load the first N items (label-interleaved)")
    ap.add_argument(
        "--skip",
        action="append",
        default=[],
        type=Path,
        help="an .npz of this script: leave out the claims it holds (repeatable)",
    )
    ap.add_argument("--split", help="dev, test or all (the seed file); default all")
    ap.add_argument("--home", type=Path, help="state folder holding the reply cache (FACTCHECK_HOME)")
    ap.add_argument("--out", type=Path, required=True, help="the .npz to write")
    ap.add_argument(
        "--report-json",
        type=Path,
        help="then score the same claims with the pipeline and write its eval report (the training labels "
        "and signals of `train_verdict.py --train-report`)",
    )
    args = ap.parse_args()
    missing = [str(path) for path in args.skip if not path.is_file()]
    if missing:
        sys.exit(f"error: --skip: no such file: {', '.join(missing)}")
    try:
        app = App(resolve_settings(home=args.home, pipeline=PIPELINE))
        job = EvalJob(app, EvalOptions(args.dataset, args.corpus, args.fmt, args.limit, args.split))
        chat = job.load_model()
        runner = EvalRunner(app.settings, job.dataset, chat, embedders=[app.settings.embedder])
        runner.prepare()
        checker = runner.checker(PIPELINE)
        ids, texts, golds, sources, states = [], [], [], [], []
        done = {str(i) for path in args.skip for i in np.load(path)["ids"]}
        claims = [i for i in job.dataset.items if i.kind == "claim" and i.label and i.id not in done]
        with StageProgress(Console(stderr=True)) as progress:
            progress.stage(f"states of {len(claims)} claims", len(claims))
            for n, item in enumerate(claims, 1):
                try:
                    draft = checker.draft(item.claim, doc_id=item.doc)
                except FactCheckError as exc:
                    print(f"{item.id}: skipped ({exc})", file=sys.stderr)
                    progress.advance()
                    continue
                for st in draft.statements:
                    if st.state is not None:
                        ids.append(item.id)
                        texts.append(st.text)
                        golds.append(item.label)
                        sources.append(item.source_label or "")
                        states.append(np.asarray(st.state, dtype=np.float16))
                progress.advance()
                if n % CHECKPOINT == 0 and ids:
                    write(args.out, ids, texts, golds, sources, states)
        if not ids:
            sys.exit("error: no statement had a state (a server backend gives none)")
        write(args.out, ids, texts, golds, sources, states)
        print(f"{len(ids)} statements of {len(set(ids))} claims → {args.out}")
        if args.report_json is not None:
            # The claims whose states were collected, no others: each reply comes from the cache now.
            collected = set(ids)
            job.dataset.items = [item for item in claims if item.id in collected]
            with StageProgress(Console(stderr=True)) as progress:
                outcome = job.run(chat, on_stage=progress.stage, on_progress=progress.advance)
            outcome.write(json_path=args.report_json, md_path=None, html_path=None)
            print(f"report of {len(job.dataset.items)} claims → {args.report_json}")
    except FactCheckError as exc:
        sys.exit(f"error: {exc}")


if __name__ == "__main__":
    main()
