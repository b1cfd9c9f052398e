"""Settings, resolved in one fixed order: command-line flag, then config file, then environment, then default.

All state lives under one folder, ``FACTCHECK_HOME`` (default: ``./index``): the Chroma index in
``chroma/`` and an optional ``config.toml``. The assembled model file (1.1 GB) is a cache shared between
checkouts, in ``FACTCHECK_MODEL_DIR`` (default: ``~/.cache/factcheck/models``).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .defaults import DEFAULT_K, MAX_K
from .embeddings import DEFAULT_EMBEDDER
from .errors import ConfigError
from .pipelines import DEFAULT_PIPELINE, get_pipeline

#: Variables read from the environment, by setting name.
ENV = {
    "home": "FACTCHECK_HOME",
    "index": "FACTCHECK_INDEX",
    "chroma_url": "FACTCHECK_CHROMA_URL",
    "embedder": "FACTCHECK_EMBEDDER",
    "backend": "FACTCHECK_BACKEND",
    "model_dir": "FACTCHECK_MODEL_DIR",
    "k": "FACTCHECK_K",
    "pipeline": "FACTCHECK_PIPELINE",
    "cache": "FACTCHECK_CACHE",
    "log": "FACTCHECK_LOG",
    "model": "OPENAI_MODEL",
    "base_url": "OPENAI_BASE_URL",
    "api_key": "OPENAI_API_KEY",
}


@dataclass(frozen=True)
class Settings:
    """Everything a command needs to open the index and talk to a model."""

    home: Path
    index: str
    embedder: str
    backend: str
    model_dir: Path
    k: int
    pipeline: str
    cache: bool = True
    #: Keep a local log of checks (``factcheck log``) in ``home/log.sqlite``.
    log: bool = True
    model: str | None = None
    base_url: str | None = None
    api_key: str | None = None

    def __repr__(self) -> str:
        # Never print the key, not even in a debugging repr.
        shown = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "api_key"}
        return f"Settings({shown}, api_key={'***' if self.api_key else None})"


def apply_offline_defaults() -> None:
    """Make Hugging Face libraries never reach for the network."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def resolve_settings(**flags: Any) -> Settings:
    """Settings from flags (None = not given), ``$FACTCHECK_HOME/config.toml``, environment, defaults."""
    env = os.environ

    home = Path(flags.get("home") or env.get(ENV["home"]) or "index")
    existing = next((p for p in (home, *home.absolute().parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        where = "is a file" if existing == home else f"cannot be created: {existing} is a file"
        raise ConfigError(
            f"state folder {home} {where}, not a folder: pass another --home (or FACTCHECK_HOME)"
        )
    file_conf = _read_config_file(home / "config.toml")

    def pick(name: str, default: Any = None) -> Any:
        for value in (flags.get(name), file_conf.get(name), env.get(ENV[name]) if name in ENV else None):
            if value not in (None, ""):
                return value
        return default

    chroma_url = pick("chroma_url")
    index_path = pick("index")
    if chroma_url and flags.get("index"):
        raise ConfigError("give either --index (a folder) or --chroma-url (a server), not both")
    location = str(chroma_url) if chroma_url else str(index_path or home / "chroma")
    k = parse_k(pick("k", DEFAULT_K))
    return Settings(
        home=home,
        index=location,
        embedder=str(pick("embedder", DEFAULT_EMBEDDER)),
        backend=str(pick("backend", "local")),
        model_dir=Path(pick("model_dir", Path.home() / ".cache" / "factcheck" / "models")),
        k=k,
        pipeline=get_pipeline(str(pick("pipeline", DEFAULT_PIPELINE))).id,
        cache=str(pick("cache", "1")).lower() not in ("0", "false", "no", "off"),
        log=str(pick("log", "1")).lower() not in ("0", "false", "no", "off"),
        model=pick("model"),
        base_url=pick("base_url"),
        # The key is read from flags or the environment only: a config file is too easy to commit.
        api_key=flags.get("api_key") or env.get(ENV["api_key"]) or None,
    )


def parse_k(value: Any) -> int:
    """``k`` from a flag, the config file or the environment: a whole number from 1 to ``MAX_K``.

    ``2.7``, ``true`` or ``[1, 2]`` are refused rather than truncated or crashed on.
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigError(f"k must be a whole number from 1 to {MAX_K}, got {value!r}")
    try:
        k = int(value.strip()) if isinstance(value, str) else value
    except ValueError:
        raise ConfigError(f"k must be a whole number from 1 to {MAX_K}, got {value!r}") from None
    if not 1 <= k <= MAX_K:
        raise ConfigError(f"k must be a whole number from 1 to {MAX_K}, got {k}")
    return k


#: Settings a config file may hold as text (k and cache have their own types).
_TEXT_SETTINGS = ("index", "chroma_url", "embedder", "backend", "model_dir", "pipeline", "model", "base_url")


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        if not path.is_file():
            if path.exists():
                raise ConfigError(f"{path} is not a file")
            return {}
        data = tomllib.loads(path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({' '.join(str(exc).split())})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if "api_key" in data:
        raise ConfigError(f"{path}: do not store api_key in a config file; set OPENAI_API_KEY instead")
    unknown = set(data) - {f.name for f in fields(Settings)} - {"chroma_url"}
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s): {', '.join(sorted(unknown))}")
    for name in _TEXT_SETTINGS:
        if name in data and not isinstance(data[name], str):
            raise ConfigError(f"{path}: {name} must be a string, got {data[name]!r}")
    if "cache" in data and not isinstance(data["cache"], bool | str):
        raise ConfigError(f"{path}: cache must be true or false, got {data['cache']!r}")
    if "k" in data:
        try:
            parse_k(data["k"])
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    return data
