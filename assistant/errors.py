"""One exception tree; the CLI turns any :class:`FactCheckError` into a one-line message and exit code."""

from __future__ import annotations


class FactCheckError(Exception):
    """Root of every error a user can cause or fix. The message is shown as is, on one line."""

    exit_code = 1


class InputError(FactCheckError):
    """A file or argument the user gave cannot be used (missing, empty, binary, not UTF-8, too large)."""

    exit_code = 2


class ConfigError(FactCheckError):
    """A setting is missing or inconsistent (no API key, unknown backend, conflicting options)."""

    exit_code = 2


class StoreError(FactCheckError):
    """The index cannot be used: locked by another process, corrupt, or built with another embedder."""

    exit_code = 3


class ModelError(FactCheckError):
    """The model could not be loaded, or kept replying with output that does not fit the schema."""

    exit_code = 4


class EndpointError(FactCheckError):
    """A server (OpenAI-compatible endpoint or Chroma server) is unreachable or refused the request."""

    exit_code = 5
