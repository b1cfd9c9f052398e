"""Gather the embedded model's hidden states at each statement's verdict: the verifier head's training data.

Runs ``check.v16`` (check.v14's prompt, retrieval and odds, plus the
:class:`~assistant.judge.states.ReplyStates` stage) over a dataset's claims with the reply cache of
``--home``: replies already cached are not generated again, and states are cached too, so an interrupted
run resumes where it stopped. Writes one ``.npz`` with, per kept statement, the item id, the statement
text, the gold label, the dataset's own label and the state (float32).

    python evals/collect_states.py ../shared/data/check-covid/train.json --limit 300 \\
        --out /tmp/states-cc-train300.npz --home /work/base-home
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


def main() -> None:
    """Collect and write the states."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--corpus", type=Path)
    ap.add_argument("--format", dest="fmt")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--split", help="dev, test or all (the seed file); default all")
    ap.add_argument("--home", type=Path, help="state folder holding the reply cache (FACTCHECK_HOME)")
    ap.add_argument("--out", type=Path, required=True, help="the .npz to write")
    args = ap.parse_args()
    try:
        app = App(resolve_settings(home=args.home, pipeline=PIPELINE))
        job = EvalJob(app, EvalOptions(args.dataset, args.corpus, args.fmt, args.limit, args.split))
        chat = job.load_model()
        runner = EvalRunner(app.settings, job.dataset, chat, embedders=[app.settings.embedder])
        runner.prepare()
        checker = runner.checker(PIPELINE)
        ids, texts, golds, sources, states = [], [], [], [], []
        claims = [i for i in job.dataset.items if i.kind == "claim" and i.label]
        with StageProgress(Console(stderr=True)) as progress:
            progress.stage(f"states of {len(claims)} claims", len(claims))
            for item in claims:
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
                        states.append(np.asarray(st.state, dtype=np.float32))
                progress.advance()
    except FactCheckError as exc:
        sys.exit(f"error: {exc}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out,
        ids=np.array(ids),
        texts=np.array(texts),
        golds=np.array(golds),
        sources=np.array(sources),
        states=np.stack(states),
    )
    print(f"{len(ids)} statements of {len(set(ids))} claims → {args.out}")


if __name__ == "__main__":
    main()
