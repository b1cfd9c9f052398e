"""The ``factcheck`` command: a thin shell over the library. Errors become one line and an exit code."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.console import Console
from rich.live import Live
from rich.markdown import Markdown
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from . import __version__
from .app import App
from .batch import ClaimInput, check_many, read_claims
from .checklog import CheckLog
from .config import Settings, resolve_settings
from .errors import FactCheckError, InputError
from .html_report import check_report_html, eval_report_html, write_html
from .ingest import ingest_paths
from .render import render_result
from .retrieve import MAX_K
from .schemas import CheckResult
from .secrets import scrub_line
from .stages import reporting_stages

cli = typer.Typer(
    add_completion=False,
    no_args_is_help=False,
    invoke_without_command=True,
    help="Check claims against your sources and see exactly where the answer stands in the text.",
    pretty_exceptions_enable=False,
    # Plain help: rich's panels cut option names at 80 columns, tag flags <bool> and read "[min]" as markup.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
out = Console()
err = Console(stderr=True)

# ---- options shared by every command ---------------------------------------------------------------
HomeOpt = Annotated[
    Path | None, typer.Option("--home", help="State folder (default ./index, env FACTCHECK_HOME).")
]
IndexOpt = Annotated[str | None, typer.Option("--index", help="Index folder (default HOME/chroma).")]
ChromaOpt = Annotated[
    str | None, typer.Option("--chroma-url", help="Use a Chroma server, e.g. http://127.0.0.1:8000.")
]
EmbedderOpt = Annotated[
    str | None, typer.Option("--embedder", help="use-multilingual (default), minilm, st:NAME.")
]
BackendOpt = Annotated[str | None, typer.Option("--backend", help="local (default) or openai.")]
ModelOpt = Annotated[
    str | None, typer.Option("--model", help="Model name for the openai backend (env OPENAI_MODEL).")
]
BaseUrlOpt = Annotated[
    str | None, typer.Option("--base-url", help="OpenAI-compatible endpoint (env OPENAI_BASE_URL).")
]
ApiKeyOpt = Annotated[
    str | None, typer.Option("--api-key", help="API key (prefer env OPENAI_API_KEY).", show_default=False)
]
KOpt = Annotated[int | None, typer.Option("-k", help="Sentences to retrieve (default 5).", min=1, max=MAX_K)]
PipelineOpt = Annotated[
    str | None,
    typer.Option("--pipeline", help="Pipeline version, e.g. check.v1 or check.v2 (env FACTCHECK_PIPELINE)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object per result, for pipelines.")]
HtmlOpt = Annotated[
    Path | None,
    typer.Option("--html", help="Also write the results as one self-contained HTML page (open it, send it)."),
]


def _flags(ctx: typer.Context, **given: Any) -> dict[str, Any]:
    """The command's flags; one it was not given falls back to the same flag given before the command."""
    before = ctx.find_root().obj or {}
    return {**before, **{name: value for name, value in given.items() if value is not None}}


def _app(**flags: Any) -> App:
    settings = resolve_settings(**flags)
    return App(settings, on_assemble_progress=_assembly_progress())


def _assembly_progress() -> Any:
    state: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in state:
            bar = Progress(
                TextColumn("assembling model"), BarColumn(), DownloadColumn(), console=err, transient=True
            )
            bar.start()
            state["bar"], state["task"] = bar, bar.add_task("model", total=total)
        state["bar"].update(state["task"], completed=done)
        if done >= total:
            state.pop("bar").stop()

    return update


class EtaColumn(ProgressColumn):
    """Time left, from the stage's mean time per finished step.

    rich's own ``TimeRemainingColumn`` estimates speed from the last 30 s only, so with 15-30 s per claim it
    mostly has one sample and shows ``-:--:--`` for the whole run.
    """

    def render(self, task: Task) -> Text:
        """``eta 0:04:10`` once a step is done; ``eta –`` before."""
        if not task.completed or not task.total or task.elapsed is None:
            return Text("eta –", style="progress.remaining")
        left = int(task.elapsed / task.completed * max(0.0, task.total - task.completed))
        return Text(f"eta {left // 3600}:{left // 60 % 60:02d}:{left % 60:02d}", style="progress.remaining")


class StageProgress:
    """A progress bar on a terminal; on a pipe (CI logs), a line every 10% of each stage."""

    def __init__(self) -> None:
        self._bar = (
            Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                EtaColumn(),
                console=err,
            )
            if err.is_terminal
            else None
        )
        self._task: Any = None
        self._name, self._total, self._done, self._next = "", 0, 0, 0

    def __enter__(self) -> StageProgress:
        if self._bar:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar:
            self._bar.stop()

    def stage(self, name: str, total: int) -> None:
        """Start a stage of ``total`` steps."""
        self._name, self._total, self._done = name, total, 0
        self._next = max(1, total // 10)
        if self._bar:
            if self._task is None:
                self._task = self._bar.add_task(name, total=total)
            self._bar.reset(self._task, total=total, description=name)
        else:
            print(f"{name}: 0/{total}", file=sys.stderr, flush=True)

    def advance(self, n: int = 1) -> None:
        """Record ``n`` finished steps."""
        self._done += n
        if self._bar and self._task is not None:
            self._bar.advance(self._task, n)
        elif not self._bar and (self._done >= self._next or self._done == self._total):
            print(f"{self._name}: {self._done}/{self._total}", file=sys.stderr, flush=True)
            self._next = self._done + max(1, self._total // 10)


@contextmanager
def _status(message: str) -> Iterator[None]:
    if err.is_terminal:
        with err.status(message):
            yield
    else:
        yield


class _Elapsed:
    """A status text with the seconds since it was set, re-rendered on every refresh of the status line."""

    def __init__(self, text: str) -> None:
        self.started = time.monotonic()
        self.set(text)

    def set(self, text: str) -> None:
        """Show ``text`` and restart its clock."""
        self.text, self.since = text, time.monotonic()

    def __rich__(self) -> Text:
        now = time.monotonic()
        return Text.assemble(
            self.text,
            (f" {now - self.since:.0f} s", "bold"),
            (f" · {now - self.started:.0f} s in all", "dim"),
        )


@contextmanager
def _check_status(claim: str, n: int, of: int) -> Iterator[None]:
    """On a terminal, a transient status on stderr: the stage (retrieving / asking the model / verifying) and
    its seconds; stdout keeps only the result."""
    if not err.is_terminal:
        yield
        return
    prefix = f"[{n}/{of}] " if of > 1 else ""
    label = _Elapsed(f"{prefix}retrieving…")
    with Live(Spinner("dots", text=label, style="status.spinner"), console=err, transient=True) as live:

        def update(stage: str) -> None:
            label.set(prefix + stage)
            live.refresh()  # show a new stage at once, not at the next tick

        with reporting_stages(update):
            yield


def _version(value: bool) -> None:
    if value:
        try:
            version = importlib.metadata.version("factcheck-assistant")
        except importlib.metadata.PackageNotFoundError:
            version = __version__
        print(f"factcheck {version}")
        raise typer.Exit()


@cli.callback()
def _default(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", help="Print the version and exit.", is_eager=True, callback=_version),
    ] = False,
    home: HomeOpt = None,
    index: IndexOpt = None,
    chroma_url: ChromaOpt = None,
    embedder: EmbedderOpt = None,
    backend: BackendOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    api_key: ApiKeyOpt = None,
    k: KOpt = None,
    pipeline: PipelineOpt = None,
    no_log: Annotated[
        bool, typer.Option("--no-log", help="Do not add checks to the local log (env FACTCHECK_LOG=0).")
    ] = False,
) -> None:
    """Check claims against your sources; with no command, open the chat.

    Options given here, before the command, apply to it (factcheck --home X docs).
    """
    ctx.obj = {
        name: value
        for name, value in dict(
            home=home, index=index, chroma_url=chroma_url, embedder=embedder, backend=backend, model=model,
            base_url=base_url, api_key=api_key, k=k, pipeline=pipeline, log=False if no_log else None,
        ).items()
        if value is not None
    }  # fmt: skip
    if ctx.invoked_subcommand is None:
        chat(ctx)


@cli.command()
def chat(
    ctx: typer.Context,
    doc: Annotated[
        str | None, typer.Option("--doc", help="Only use this document (id or file name).")
    ] = None,
    k: KOpt = None,
    pipeline: PipelineOpt = None,
    home: HomeOpt = None,
    index: IndexOpt = None,
    chroma_url: ChromaOpt = None,
    embedder: EmbedderOpt = None,
    backend: BackendOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """Ask questions and check claims interactively. The default command."""
    from .chat import run_chat

    settings = resolve_settings(
        **_flags(
            ctx,
            home=home,
            index=index,
            chroma_url=chroma_url,
            embedder=embedder,
            backend=backend,
            model=model,
            base_url=base_url,
            api_key=api_key,
            k=k,
            pipeline=pipeline,
        )
    )
    raise typer.Exit(run_chat(settings, doc=doc))


@cli.command()
def check(
    ctx: typer.Context,
    claim: Annotated[
        str | None,
        typer.Argument(
            metavar="CLAIM",
            help="The claim to check, in any language; - reads claims from stdin, one per line (or --file).",
        ),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="Check every claim in a .txt (one per line) or .jsonl file."),
    ] = None,
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Results of --file as JSON lines (default: FILE_STEM.results.jsonl next to FILE); "
            "a rerun skips the claims already done.",
        ),
    ] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=32, help="Claims checked at once with --file.")
    ] = 1,
    doc: Annotated[
        str | None, typer.Option("--doc", help="Only use this document (id or file name).")
    ] = None,
    k: KOpt = None,
    pipeline: PipelineOpt = None,
    as_json: JsonOpt = False,
    html: HtmlOpt = None,
    home: HomeOpt = None,
    index: IndexOpt = None,
    chroma_url: ChromaOpt = None,
    embedder: EmbedderOpt = None,
    backend: BackendOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """Check claims against the indexed documents. One CLAIM, the claims on stdin (-) or a --file."""
    if (claim is None) == (file is None):
        raise typer.BadParameter("give either a CLAIM or --file PATH", param_hint="CLAIM / --file")
    if file is None and (out_path is not None or concurrency != 1):
        raise typer.BadParameter("--out and --concurrency go with --file", param_hint="--file")
    if claim is not None and not claim.strip():
        raise typer.BadParameter("the claim is empty", param_hint="CLAIM")
    if html is not None and html.is_dir():
        raise InputError(f"--html {html}: is a folder; give a file name such as report.html")
    # Bad input fails before any model loads.
    claims = read_claims(file) if file is not None else []
    texts = _stdin_claims() if claim == "-" else [claim] if claim is not None else []
    app = _app(
        **_flags(
            ctx,
            home=home,
            index=index,
            chroma_url=chroma_url,
            embedder=embedder,
            backend=backend,
            model=model,
            base_url=base_url,
            api_key=api_key,
            k=k,
            pipeline=pipeline,
        )
    )
    _ = app.embeddings, app.chat  # configuration errors first, before touching the index
    doc_id = _resolve_doc(app, doc)
    if not app.store.list_documents():
        raise FactCheckError(f"the index at {app.settings.index} is empty: run `factcheck ingest PATH` first")
    with _status("loading model…"):
        app.chat.load()
    if file is not None:
        _check_file(
            app, file, claims, out_path, doc_id=doc_id, concurrency=concurrency, as_json=as_json, html=html
        )
        return
    log = _check_log(app.settings)
    results: list[CheckResult] = []
    for n, text in enumerate(texts, 1):
        with _check_status(text, n, len(texts)):
            result = app.checker.check(text, doc_id=doc_id, k=k)
        results.append(result)
        if log is not None:
            log.add(result, "check")
        if as_json and len(texts) == 1 and out.is_terminal:
            out.print_json(result.model_dump_json())
        elif as_json:  # several claims: JSON lines, one object per claim
            print(result.model_dump_json(), flush=True)
        else:
            render_result(result, out)
    if html is not None:
        _write_check_html(app, html, results)


def _stdin_claims() -> list[str]:
    """Claims read from stdin, one per non-empty line."""
    if sys.stdin.isatty():
        err.print("reading claims from stdin, one per line; end with Ctrl-D", highlight=False)
    claims = [line.strip() for line in sys.stdin.read().splitlines() if line.strip()]
    if not claims:
        raise InputError("no claims on stdin: give one per line")
    return claims


def _check_log(settings: Settings) -> CheckLog | None:
    """The log that checks are added to, or None when logging is off."""
    return CheckLog(settings.home, secrets=[settings.api_key]) if settings.log else None


def _document_texts(app: App) -> Callable[[str], str | None]:
    """Document text by id, read once each from the index."""
    texts: dict[str, str | None] = {}

    def lookup(doc_id: str) -> str | None:
        if doc_id not in texts:
            doc = app.store.get_document(doc_id)
            texts[doc_id] = doc.text if doc is not None else None
        return texts[doc_id]

    return lookup


def _write_check_html(app: App, path: Path, results: list[CheckResult]) -> None:
    title = results[0].claim if len(results) == 1 else f"factcheck: {len(results)} claims"
    write_html(path, check_report_html(results, _document_texts(app), title=title))
    err.print(f"HTML report → {path}", highlight=False, soft_wrap=True)


def _check_file(
    app: App,
    file: Path,
    claims: list[ClaimInput],
    out_path: Path | None,
    *,
    doc_id: str | None,
    concurrency: int,
    as_json: bool,
    html: Path | None = None,
) -> None:
    out_path = out_path or file.with_name(f"{file.stem}.results.jsonl")
    if out_path.resolve() == file.resolve():
        raise typer.BadParameter("--out must not be the claims file", param_hint="--out")
    if doc_id is not None:  # --doc is the default for claims that name no document
        claims = [c if c.doc else dataclasses.replace(c, doc=doc_id) for c in claims]
    with StageProgress() as progress:

        def on_progress(done: int, total: int) -> None:
            if done == 0:
                progress.stage("checking claims", total)
            else:
                progress.advance()

        summary = check_many(app.checker, claims, out_path, concurrency=concurrency, on_progress=on_progress)
    if as_json:
        print(json.dumps({"out": str(out_path), **dataclasses.asdict(summary)}))
    else:
        verdicts = ", ".join(f"{n} {v}" for v, n in sorted(summary.verdicts.items()))
        out.print(
            f"checked {summary.checked}, failed {summary.failed}, skipped {summary.skipped} already done"
            + (f" ({verdicts})" if verdicts else "")
            + f" → {out_path}",
            highlight=False,
            soft_wrap=True,
            markup=False,
        )
    if html is not None:  # every result in the file, this run's and earlier ones
        lines = [json.loads(line) for line in out_path.read_text("utf-8").splitlines() if line.strip()]
        _write_check_html(app, html, [CheckResult.model_validate(r) for r in lines if "verdict" in r])
    if summary.failed:
        err.print(f"{summary.failed} claim(s) failed (see {out_path}); run again to retry them", markup=False)
        raise typer.Exit(1)


@cli.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[
        list[Path],
        typer.Argument(metavar="PATH...", help=".txt/.md files or folders (searched recursively)."),
    ],
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    index: IndexOpt = None,
    chroma_url: ChromaOpt = None,
    embedder: EmbedderOpt = None,
) -> None:
    """Add or update documents in the index. Unchanged files are skipped."""
    app = _app(**_flags(ctx, home=home, index=index, chroma_url=chroma_url, embedder=embedder))
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed} sentences"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
    # On a terminal a live bar of sentences; in a log (not a terminal) a line every 10% of the files.
    lines = StageProgress() if not err.is_terminal else None
    counts = {"files": 0, "done": 0}

    def on_files(n: int) -> None:
        counts["files"] = n
        if lines:
            lines.stage("ingesting files", n)

    def on_file_done() -> None:
        counts["done"] += 1
        if lines:
            lines.advance()

    try:
        with progress:
            task = progress.add_task("ingesting", total=None)

            def on_start(name: str, _chars: int) -> None:
                progress.update(task, description=escape(name))

            report = ingest_paths(
                app.store,
                app.embeddings,
                paths,
                on_start=on_start,
                on_progress=lambda n: progress.advance(task, n),
                on_files=on_files,
                on_file_done=on_file_done,
            )
    except KeyboardInterrupt:
        err.print(
            f"interrupted after {counts['done']} of {counts['files']} files: each document is either "
            "committed whole or not at all; run the same command again to finish (unchanged files are "
            "skipped)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(130) from None
    if as_json:
        print(json.dumps({"documents": [o.__dict__ for o in report.outcomes], "errors": report.errors}))
    else:
        for o in report.outcomes:
            out.print(Text(f"{o.action:>9}  {o.doc_id}  ({o.n_sentences} sentences)"), highlight=False)
        for e in report.errors:
            err.print(Text.assemble(("skipped", "red"), "  ", scrub_line(e)), soft_wrap=True, highlight=False)
    if not report.ok:
        raise typer.Exit(2)


@cli.command()
def docs(
    ctx: typer.Context,
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    index: IndexOpt = None,
    chroma_url: ChromaOpt = None,
    embedder: EmbedderOpt = None,
) -> None:
    """List the indexed documents."""
    app = _app(**_flags(ctx, home=home, index=index, chroma_url=chroma_url, embedder=embedder))
    documents = app.store.list_documents() if _index_exists(app.settings) else []
    if as_json:
        print(
            json.dumps(
                [
                    {
                        "doc_id": d.doc_id,
                        "path": d.path,
                        "title": d.title,
                        "lang": d.lang,
                        "sha256": d.sha256,
                        "sentences": d.n_sentences,
                    }
                    for d in documents
                ]
            )
        )
        return
    if not documents:
        out.print(
            f"no documents in {app.settings.index}; add some with `factcheck ingest PATH`", markup=False
        )
        return
    table = Table("id", "title", "lang", "sentences", "sha256")
    for d in documents:
        # Titles and ids are data: "[video]" or "[/b]" in them is text, not rich markup.
        table.add_row(*map(Text, (d.doc_id, d.title, d.lang, str(d.n_sentences), d.sha256[:12])))
    out.print(table)


@cli.command()
def remove(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Document id or file name.")],
    home: HomeOpt = None,
    index: IndexOpt = None,
    chroma_url: ChromaOpt = None,
    embedder: EmbedderOpt = None,
) -> None:
    """Remove a document and its sentences from the index."""
    app = _app(**_flags(ctx, home=home, index=index, chroma_url=chroma_url, embedder=embedder))
    if not _index_exists(app.settings):
        raise FactCheckError(f"no document {name!r}: nothing is indexed in {app.settings.index}")
    doc_id = _resolve_doc(app, name)
    assert doc_id is not None
    with app.store.write_lock():
        app.store.delete_document(doc_id)
    out.print(f"removed {doc_id}", markup=False)


@cli.command()
def prepare(
    ctx: typer.Context,
    home: HomeOpt = None,
    backend: BackendOpt = None,
    recheck: Annotated[
        bool, typer.Option("--recheck", help="Run the runtime's test decode again even if it passed before.")
    ] = False,
) -> None:
    """Assemble and verify the model file, then test-decode it in a child process (also done on first use)."""
    app = _app(**{**_flags(ctx, home=home), "backend": backend or "local"})
    from .llm.model_file import ensure_model
    from .llm.runtime_check import verify_runtime

    path = ensure_model(app.settings.model_dir, _assembly_progress())
    out.print(f"model ready: {path}", soft_wrap=True, markup=False, highlight=False)
    with err.status("testing the llama.cpp runtime on a multi-token decode…"):
        ran = verify_runtime(path, force=recheck)
    out.print("runtime verified: test decode passed" + ("" if ran else " (cached for this build and model)"))


@cli.command("eval")
def eval_(
    ctx: typer.Context,
    dataset: Annotated[
        Path,
        typer.Argument(
            metavar="DATASET", help="A JSON-lines gold file, WiCE claim_dev.jsonl or a Check-COVID folder."
        ),
    ],
    corpus: Annotated[
        Path | None, typer.Option("--corpus", help="Corpus file or folder for a JSON-lines dataset.")
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help="jsonl, wice or check-covid (default: inferred).")
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Score only the first N items.")] = None,
    split: Annotated[
        str | None, typer.Option("--split", help="dev, test or all (halves by hash of item id).")
    ] = None,
    report_json: Annotated[
        Path | None, typer.Option("--report-json", help="Write the JSON report here.")
    ] = None,
    report_md: Annotated[
        Path | None, typer.Option("--report-md", help="Write the Markdown report here.")
    ] = None,
    html: Annotated[
        Path | None,
        typer.Option(
            "--html",
            help="Write the HTML report here: metrics, confusion, reliability diagram, items it got wrong.",
        ),
    ] = None,
    thresholds: Annotated[
        Path | None,
        typer.Option("--thresholds", help="TOML file of [min]/[max] metrics; fail below them."),
    ] = None,
    compare_embedders: Annotated[
        str, typer.Option("--compare-embedders", help="Comma-separated embedders for the retrieval ablation.")
    ] = "use-multilingual,minilm",
    baseline: Annotated[
        bool, typer.Option("--baseline/--no-baseline", help="Also run the naive single-prompt RAG baseline.")
    ] = False,
    compare: Annotated[
        str,
        typer.Option(
            "--compare", help="Comma-separated pipeline versions to score side by side, e.g. check.v1."
        ),
    ] = "",
    retrieval_only: Annotated[
        bool, typer.Option("--retrieval-only", help="Score retrieval only; load no LLM.")
    ] = False,
    injection_suite: Annotated[
        bool,
        typer.Option(
            "--injection-suite",
            help="Also check hostile variants of the corpus article; the report counts verdict flips.",
        ),
    ] = False,
    k: KOpt = None,
    pipeline: PipelineOpt = None,
    home: HomeOpt = None,
    index: IndexOpt = None,
    chroma_url: ChromaOpt = None,
    embedder: EmbedderOpt = None,
    backend: BackendOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """Score a dataset with the pipeline users get. Writes JSON, Markdown and HTML reports."""
    from .evaluation.datasets import load_dataset
    from .evaluation.report import QualityGateError, build_report, check_thresholds, git_commit, write_reports
    from .evaluation.runner import NAIVE_PIPELINE, EvalRunner, select_split

    app = _app(
        **_flags(
            ctx,
            home=home,
            index=index,
            chroma_url=chroma_url,
            embedder=embedder,
            backend=backend,
            model=model,
            base_url=base_url,
            api_key=api_key,
            k=k,
            pipeline=pipeline,
        )
    )
    data = load_dataset(dataset, fmt, corpus, limit)
    data.items = select_split(data.items, split)
    if not data.items:
        raise FactCheckError(f"{dataset}: no items to score")
    chat = None
    if not retrieval_only:
        with _status("loading model…"):
            chat = app.chat
            chat.load()
    with StageProgress() as progress:
        runner = EvalRunner(
            app.settings,
            data,
            chat,
            embedders=[e for e in compare_embedders.split(",") if e],
            compare=[p for p in compare.split(",") if p] + ([NAIVE_PIPELINE] if baseline else []),
            on_stage=progress.stage,
            on_progress=progress.advance,
        )
        records = runner.run()
        suite = None
        if injection_suite and chat is not None:
            from .evaluation.injection_suite import N_VARIANTS, run_injection_suite

            progress.stage("injection suite", N_VARIANTS)
            suite = run_injection_suite(
                data,
                app.settings.embedder,
                app.embeddings,
                chat,
                app.settings.pipeline,
                app.settings.k,
                on_progress=progress.advance,
            )
    config = {
        "dataset": str(dataset),
        "format": fmt,
        "split": split or "all",
        "limit": limit,
        "model": chat.name if chat else None,
        "pipeline": app.settings.pipeline,
        "embedder": app.settings.embedder,
        "k": app.settings.k,
        "commit": git_commit(),
        "backend": app.settings.backend,
    }
    report = build_report(records, config)
    # None when the suite did not run, so a gate that requires it fails instead of passing unseen.
    report["injection_flips"] = suite.flips if suite is not None else None
    if suite is not None:
        report["injection"] = suite.as_json()
    gate = check_thresholds(report, thresholds) if thresholds else []
    report["gate"] = gate
    write_reports(report, report_json, report_md, title=data.name)
    if html is not None:
        write_html(html, eval_report_html(report, data.name, {d.name: d.text for d in data.corpus}))
        err.print(f"HTML report → {html}", highlight=False, soft_wrap=True)
    from .evaluation.report import to_markdown

    summary = to_markdown(report, data.name)
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as fh:
            fh.write(summary)
    if out.is_terminal:
        out.print(Markdown(summary))
    else:
        print(summary)
    failed = [g for g in gate if not g["ok"]]
    if failed:
        raise QualityGateError(
            "quality gate failed: "
            + "; ".join(f"{g['metric']} = {g['value']} (needs {g['op']} {g['threshold']})" for g in failed)
        )


@cli.command("log")
def log_(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Show the last N checks.")] = 20,
    as_json: JsonOpt = False,
    home: HomeOpt = None,
) -> None:
    """List past checks and their verdicts. They are kept in HOME/log.sqlite."""
    settings = resolve_settings(**_flags(ctx, home=home))
    log = CheckLog(settings.home)
    entries = log.recent(limit)
    if as_json:
        print(json.dumps([dataclasses.asdict(e) for e in entries], ensure_ascii=False))
        return
    if not entries:
        off = "" if settings.log else " (logging is off: FACTCHECK_LOG / log in config.toml / --no-log)"
        out.print(f"no checks logged in {log.path}{off}", highlight=False, soft_wrap=True)
        return
    table = Table("#", "when (UTC)", "verdict", "conf.", "claim", "pipeline", "from")
    for column in table.columns:  # the claim gets the width; the short columns stay on one line
        column.no_wrap = column.header != "claim"
    for e in entries:
        table.add_row(
            str(e.id),
            e.at.replace("T", " ")[:16],
            e.verdict,
            f"{e.confidence:.2f}",
            e.claim,
            e.pipeline,
            e.source,
        )
    out.print(table)


def _index_exists(settings: Settings) -> bool:
    """False for a local index folder that was never created (nothing is indexed; do not create it)."""
    return settings.index.startswith(("http://", "https://")) or Path(settings.index).exists()


def _resolve_doc(app: App, name: str | None) -> str | None:
    if name is None:
        return None
    found = app.store.find_document(name)
    if found is None:
        raise InputError(f"no document {name!r} in the index; `factcheck docs` lists them")
    return found.doc_id


def main() -> None:
    """Console entry point."""
    try:
        rc = cli(standalone_mode=False)
        sys.exit(rc if isinstance(rc, int) else 0)
    except FactCheckError as exc:
        err.print(
            Text.assemble(("error: ", "bold red"), scrub_line(str(exc))), highlight=False, soft_wrap=True
        )
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except (click.ClickException, typer.TyperException) as exc:
        # typer >= 0.29 vendors click: its usage errors (BadParameter, …) are not click.ClickException
        if hasattr(exc, "show"):
            exc.show()
        else:
            err.print(f"error: {exc.format_message()}", highlight=False, soft_wrap=True, markup=False)
        sys.exit(exc.exit_code)
    except (click.exceptions.Abort, typer.Abort, KeyboardInterrupt):
        err.print("interrupted")
        sys.exit(130)
