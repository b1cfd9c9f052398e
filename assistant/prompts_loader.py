"""Versioned prompt templates (``prompts/NAME.vN.md``), rendered strictly with Jinja.

A template file has a ``=== system ===`` section and a ``=== user ===`` section. The system part is
fixed text, so it comes first and llama.cpp reuses its cached prefix between calls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from jinja2 import Environment, StrictUndefined, TemplateError

from .errors import ConfigError

_SECTION = re.compile(r"^=== (system|user) ===[ \t]*$", re.MULTILINE)
_ENV = Environment(undefined=StrictUndefined, keep_trailing_newline=False, autoescape=False)


@dataclass(frozen=True)
class Prompt:
    """A loaded prompt: ``name`` and ``version`` (e.g. ``check``, ``v1``) and its two sections."""

    name: str
    version: str
    system: str
    user: str

    @property
    def id(self) -> str:
        """``name.version``, recorded with every result and cache entry."""
        return f"{self.name}.{self.version}"

    def render(self, **variables: Any) -> tuple[str, str]:
        """System and user text; a variable the template uses but was not given is an error."""
        try:
            return (
                _ENV.from_string(self.system).render(**variables).strip(),
                _ENV.from_string(self.user).render(**variables).strip(),
            )
        except TemplateError as exc:
            raise ConfigError(f"prompt {self.id}: {exc}") from None


@lru_cache(maxsize=32)
def load_prompt(prompt_id: str) -> Prompt:
    """Load ``prompts/<name>.<version>.md`` from package data, e.g. ``load_prompt("check.v1")``."""
    name, _, version = prompt_id.partition(".")
    if not version:
        raise ConfigError(f"prompt id {prompt_id!r} must look like NAME.vN")
    try:
        text = resources.files("assistant.prompts").joinpath(f"{prompt_id}.md").read_text("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"no prompt template {prompt_id}.md in prompts/") from None
    parts = _SECTION.split(text)
    sections = {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}
    if set(sections) != {"system", "user"}:
        raise ConfigError(
            f"prompt {prompt_id}: needs exactly one '=== system ===' and one '=== user ===' section"
        )
    return Prompt(name=name, version=version, system=sections["system"], user=sections["user"])
