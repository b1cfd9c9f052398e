"""Which code produced a report: the package's git commit (``-dirty`` with local changes) or its version."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git_commit(cwd: Path | None = None) -> str:
    """The commit of the code that ran (with ``-dirty`` when its tree has changes).

    Asked of the package's own checkout, not of the folder the command runs in; outside a checkout (an
    installed package) it is the installed version, ``v0.1.0``.
    """
    cwd = cwd or Path(__file__).resolve().parent
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=cwd,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            cwd=cwd,
            timeout=5,
            check=True,
        ).stdout.strip()
        return f"{sha}-dirty" if dirty else sha
    except (OSError, subprocess.SubprocessError):
        return f"v{_installed_version()}"


def _installed_version() -> str:
    import importlib.metadata

    from .. import __version__

    try:
        return importlib.metadata.version("factcheck-assistant")
    except importlib.metadata.PackageNotFoundError:
        return __version__
