"""The documents: ``factcheck ingest``, ``docs``, ``show`` and ``remove``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from . import cli as _cli
from .cli_options import INDEX, JsonOpt, shared_options
from .errors import FactCheckError, InputError


@_cli.cli.command()
@shared_options(*INDEX)
def ingest(
    ctx: typer.Context,
    flags: dict[str, Any],
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="PATH...",
            help=".txt, .md, .html, .pdf or .docx files, or folders (searched recursively).",
        ),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Add or update documents in the index. Unchanged files are skipped."""
    from rich.markup import escape

    from . import render
    from .ingest import ingest_paths
    from .progress import StageProgress, ingest_bar

    app = _cli._app(**flags)
    bar = ingest_bar(_cli.err)
    # On a terminal a live bar of sentences; in a log (not a terminal) a line every 10% of the files.
    lines = StageProgress(_cli.err) if not _cli.err.is_terminal else None
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
        with bar:
            task = bar.add_task("ingesting", total=None)

            def on_start(name: str, _chars: int) -> None:
                bar.update(task, description=escape(name))

            report = ingest_paths(
                app.store,
                app.embeddings,
                paths,
                on_start=on_start,
                on_progress=lambda n: bar.advance(task, n),
                on_files=on_files,
                on_file_done=on_file_done,
            )
    except KeyboardInterrupt:
        render.say(
            _cli.err,
            f"interrupted after {counts['done']} of {counts['files']} files: each document is either "
            "committed whole or not at all; run the same command again to finish (unchanged files are "
            "skipped)",
        )
        raise typer.Exit(130) from None
    if as_json:
        render.print_json(
            json.dumps({"documents": [o.__dict__ for o in report.outcomes], "errors": report.errors}),
            _cli.out,
        )
    else:
        for line in render.ingest_outcome_lines(report):
            render.say(_cli.out, line)
        for e in report.errors:
            render.say(_cli.err, render.skipped_line(e))
    if not report.ok:
        raise typer.Exit(2)


@_cli.cli.command()
@shared_options(*INDEX)
def docs(ctx: typer.Context, flags: dict[str, Any], as_json: JsonOpt = False) -> None:
    """List the indexed documents."""
    from . import render

    app = _cli._app(**flags)
    documents = app.store.list_documents() if app.index_exists else []
    if as_json:
        render.print_json(render.documents_json(documents), _cli.out)
    elif not documents:
        render.say(_cli.out, f"no documents in {app.settings.index}; add some with `factcheck ingest PATH`")
    else:
        _cli.out.print(render.documents_table(documents))


@_cli.cli.command()
@shared_options(*INDEX)
def show(
    ctx: typer.Context,
    flags: dict[str, Any],
    name: Annotated[str, typer.Argument(metavar="DOC", help="Document id or file name.")],
    start: Annotated[int, typer.Option("--start", min=0, help="First character to print.")] = 0,
    end: Annotated[
        int | None, typer.Option("--end", min=0, help="Character after the last one (default: the end).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Print a document's stored text, or characters START to END of it: what every offset refers to."""
    from . import render

    app = _cli._app(**flags)
    if not app.index_exists:
        raise FactCheckError(f"no document {name!r}: nothing is indexed in {app.settings.index}")
    doc_id = app.resolve_doc(name)
    assert doc_id is not None
    doc = app.store.get_document(doc_id)
    if doc is None:
        raise InputError(f"no document {name!r} in the index; `factcheck docs` lists them")
    stop = len(doc.text) if end is None else end
    if start > len(doc.text) or stop > len(doc.text) or stop < start:
        raise InputError(
            f"--start {start} --end {stop} is not a range of {doc.doc_id} ({len(doc.text)} characters)"
        )
    text = doc.text[start:stop]
    if as_json:
        render.print_json(
            json.dumps(
                {
                    "doc_id": doc.doc_id,
                    "path": doc.path,
                    "format": doc.format,
                    "start": start,
                    "end": stop,
                    "page": doc.page_at(start),
                    "text": text,
                },
                ensure_ascii=False,
            ),
            _cli.out,
        )
    else:  # the text exactly as stored: no markup, no wrapping
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()


@_cli.cli.command()
@shared_options(*INDEX)
def remove(
    ctx: typer.Context,
    flags: dict[str, Any],
    name: Annotated[str, typer.Argument(metavar="NAME", help="Document id or file name.")],
) -> None:
    """Remove a document and its sentences from the index."""
    from . import render

    app = _cli._app(**flags)
    if not app.index_exists:
        raise FactCheckError(f"no document {name!r}: nothing is indexed in {app.settings.index}")
    doc_id = app.resolve_doc(name)
    assert doc_id is not None
    with app.store.write_lock():
        app.store.delete_document(doc_id)
    render.say(_cli.out, f"removed {doc_id}")
