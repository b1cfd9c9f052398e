"""The environment is the lock: every dependency installed at exactly the version CI tested.

`make setup` installs requirements/lock.txt with hashes; these tests fail when a package drifted from it (an
install by hand, a setup that resolved on its own) or when pyproject.toml gained a dependency the lock lacks
(run `make lock UPGRADE=`).
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .conftest import ROOT

LOCK = ROOT / "requirements" / "lock.txt"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def _locked() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text("utf-8").splitlines():
        if m := PIN.match(line):
            pins[canonicalize_name(m.group(1))] = m.group(2)
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    declared = [Requirement(r) for r in project["dependencies"]]
    for extra in project.get("optional-dependencies", {}).values():
        declared += [Requirement(r) for r in extra]
    return declared


def test_the_lock_pins_every_package_with_hashes():
    text = LOCK.read_text("utf-8")
    pins = _locked()
    assert len(pins) > 50
    # Each pin is followed by at least one hash: pip installs the lock in --require-hashes mode.
    assert text.count("==") <= text.count("--hash=sha256:")
    assert pins["torch"].endswith("+cpu"), "the lock must keep torch's CPU build (PyPI's wheel pulls CUDA)"


def test_every_dependency_of_pyproject_is_locked_within_its_range():
    pins = _locked()
    for req in _declared():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is in pyproject.toml but not in the lock: run `make lock UPGRADE=`"
        assert req.specifier.contains(pins[name], prereleases=True), f"{req.name}=={pins[name]} not in {req}"


def test_the_installed_packages_are_the_locked_versions():
    drifted = []
    for name, version in _locked().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            drifted.append(f"{name} (locked {version}) is not installed")
            continue
        if installed != version:
            drifted.append(f"{name} {installed} installed, {version} locked")
    assert not drifted, "run `make setup` to install the lock: " + "; ".join(drifted)
