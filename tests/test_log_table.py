"""`factcheck log` at 80 columns: the claim takes the room; --wide shows every column (#29)."""

from __future__ import annotations

import io

from rich.console import Console

from assistant.checklog import LogEntry
from assistant.render import log_table

CLAIMS = [
    "Mike Lee ist ein Demokrat aus Utah.",
    "Scott Anderson works at the Heritage Foundation and said the dispute would be fought out in court.",
]


def _entries() -> list[LogEntry]:
    return [
        LogEntry(n, "2026-12-06T12:44:20", claim, verdict, 0.91, 1, "check.v19", "qwen", "chat")
        for n, (claim, verdict) in enumerate(zip(CLAIMS, ["refuted", "not_enough_info"], strict=True), 1)
    ]


def _shown(wide: bool, width: int) -> list[str]:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(log_table(_entries(), wide=wide))
    return console.file.getvalue().splitlines()


def test_the_log_fits_80_columns_with_the_claim_taking_the_room():
    lines = _shown(False, 80)
    assert all(len(line) <= 80 for line in lines)
    assert any(CLAIMS[0] in line for line in lines)  # a short claim stays on one line
    # A long claim wraps over three lines, not one word a line: the header, its rule and four rows.
    assert len(lines) == 2 + 1 + 3
    assert "? not in sources" in "\n".join(lines) and "check.v19" not in "\n".join(lines)


def test_wide_shows_every_column():
    text = "\n".join(_shown(True, 200))
    assert "check.v19" in text and "chat" in text and "2026-12-06 12:44" in text and "not_enough_info" in text
