"""The package as a user installs it: every subpackage and data file in the wheel, and a check run from it.

CI installs the project editable, which imports from the checkout and so cannot see a package left out of the
wheel (``assistant.judge`` once was). These tests build the wheel and run it from outside the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT, SEED
from .fakes import VALID_REPLY, FakeOpenAI, completion
from .test_openai_server import CLAIM


def _listed_packages() -> set[str]:
    return set(tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]["packages"])


def test_every_package_in_the_source_tree_is_listed_for_the_wheel():
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "assistant").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    found.add("assistant.prompts")  # prompts/ is mapped into the package (package-dir)
    assert found == _listed_packages()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # From a copy of the tree git sees: a build in the checkout would reuse its build/ folder, where a module
    # deleted from the source can linger and reach the wheel.
    listed = ["git", "ls-files", "--cached", "--others", "--exclude-standard"]
    files = subprocess.run(listed, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    source = tmp_path_factory.mktemp("source")
    for name in files.splitlines():
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    # --no-build-isolation: the build uses the environment's setuptools, so no download happens here.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("factcheck_assistant-*.whl")
    return path


def test_the_wheel_holds_every_package_and_its_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in _listed_packages():
        assert f"{package.replace('.', '/')}/__init__.py" in names, package
    assert "assistant/prompts/check.v1.md" in names and "assistant/prompts/pair.v1.md" in names
    assert "assistant/templates/report.html.j2" in names
    assert {"assistant/verdict_models/verdict.v9.json", "assistant/verdict_models/verdict.v4.json"} <= names


@pytest.mark.integration
def test_the_installed_wheel_checks_a_claim_from_outside_the_checkout(wheel, tmp_path):
    """A fresh virtual environment with the wheel installed (its dependencies seen from the project's
    environment), run from a folder that is not the checkout: --version, ingest, and one check against a
    local OpenAI-compatible server (the small MiniLM embedder, so no large model loads)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # The project's environment after the fresh one's own site-packages: dependencies only (a path added by a
    # .pth file does not run that folder's .pth files, so the checkout's editable install stays out).
    project_site = subprocess.run(
        [sys.executable, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "project-deps.pth").write_text(project_site + "\n", "utf-8")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("FACTCHECK_", "OPENAI_", "PYTHONPATH"))
    } | {"FACTCHECK_HOME": str(tmp_path / "home"), "FACTCHECK_EMBEDDER": "minilm", "HF_HUB_OFFLINE": "1"}

    def factcheck(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(venv / "bin" / "factcheck"), *args], cwd=elsewhere, env=env, capture_output=True, text=True
        )

    where = subprocess.run(
        [str(python), "-c", "import assistant; print(assistant.__file__)"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        env=env,
    )
    assert where.stdout.startswith(site), where.stdout + where.stderr
    version = factcheck("--version")
    assert version.returncode == 0 and "0.1.0" in version.stdout, version.stderr
    assert factcheck("ingest", str(SEED)).returncode == 0
    with FakeOpenAI([(200, completion(json.dumps(VALID_REPLY)))]) as server:
        checked = factcheck("check", "--json", "--backend", "openai", "--model", "qwen", "--base-url",
                            server.base_url, CLAIM)  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    result = json.loads(checked.stdout)
    assert result["verdict"] in {"supported", "refuted", "not_enough_info"} and result["statements"]
    seed_text = SEED.read_text("utf-8")
    assert all(
        seed_text[ev["start"] : ev["end"]] == ev["text"]
        for st in result["statements"]
        for ev in st["evidence"]
    )
