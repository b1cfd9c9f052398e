"""Stage: the model's hidden state where each statement's verdict begins in its reply.

The verdict odds (:mod:`.odds`) are three numbers the model's output layer reads off a 1,536-number state:
the model's own projection of what it has read. A head trained on real claims may read that state better
than the output layer does (``research/collect_states.py`` gathers the states of training claims,
``research/train_verdict.py --states`` fits the head). :class:`ReplyStates` reads the state at each
statement's verdict slot (one token decoded: the KV cache holds the rest after the odds) and keeps it on the
statement; :class:`ProjectState` turns it into a few signals of the verdict stage, the state's principal
components fitted on training claims, so the verdict stage (a logistic regression) is the head.

Backends that cannot give a state (server backends) leave it None; its components then stand at the
training mean (0), and the verdict stage decides on the other signals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ConfigError
from . import MODES, Draft, Mode, StageEnv
from .odds import verdict_prefixes
from .verdict_model import weights_file


@dataclass(frozen=True)
class ReplyStates:
    """Sets ``state`` on every statement: the model's hidden state just before it wrote the verdict."""

    modes: frozenset[Mode] = field(default=MODES)

    def run(self, draft: Draft, env: StageEnv) -> None:
        """Read the state at each statement's verdict slot in the reply, the last statement's first.

        After the reply (or the odds) the KV cache holds the reply up to the last statement's verdict or
        beyond, so every shorter prefix is held already; in reply order each state after the first would
        make the model read the reply again from the verdict before it (about 40 tokens for a reply of two
        or three statements). Without the odds (check.v20) each state is one decoding step.
        """
        for st, prefix in reversed(list(verdict_prefixes(draft))):
            st.state = env.state(prefix) if env.state is not None and prefix is not None else None


@dataclass(frozen=True)
class StateProjection:
    """The principal components of standardised states, fitted on training claims' states
    (``research/train_verdict.py --states``), as shipped in a verdict model's file (``state_projection``)."""

    mean: np.ndarray
    scale: np.ndarray
    components: np.ndarray

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StateProjection:
        """Build from the ``state_projection`` dictionary of a weights file."""
        mean, scale = np.asarray(data["mean"], dtype=float), np.asarray(data["scale"], dtype=float)
        components = np.asarray(data["components"], dtype=float)
        if components.ndim != 2 or components.shape[1] != len(mean) or len(scale) != len(mean):
            raise ValueError("state projection: shapes of mean, scale and components differ")
        return cls(mean, scale, components)

    @classmethod
    def load(cls, model_id: str) -> StateProjection:
        """The projection shipped with the verdict model ``model_id``; a clear error when it has none."""
        try:
            return cls.from_json(weights_file(model_id)["state_projection"])
        except (FileNotFoundError, KeyError, TypeError, ValueError) as exc:
            raise ConfigError(
                f"verdict model {model_id!r} has no readable state projection ({exc})"
            ) from None

    def same_as(self, other: StateProjection) -> bool:
        """Whether the two project every state alike (the same mean, scale and components)."""
        pairs = ((self.mean, other.mean), (self.scale, other.scale), (self.components, other.components))
        return all(np.array_equal(a, b) for a, b in pairs)

    @property
    def names(self) -> tuple[str, ...]:
        """The signal names, one per component: ``state_1``, ``state_2``, …"""
        return tuple(f"state_{i + 1}" for i in range(len(self.components)))

    def signals(self, state: Sequence[float] | None) -> dict[str, float]:
        """The state's components; an unread state stands at the training mean (every component 0)."""
        if state is None or len(state) != len(self.mean):
            values = np.zeros(len(self.components))
        else:
            values = self.components @ ((np.asarray(state, dtype=float) - self.mean) / self.scale)
        return {n: round(float(v), 4) for n, v in zip(self.names, values, strict=True)}


@dataclass(frozen=True)
class ProjectState:
    """Adds each statement's projected state to its measured signals (``state_1`` … ``state_k``)."""

    projection: StateProjection
    modes: frozenset[Mode] = field(default=MODES)

    @classmethod
    def load(cls, model_id: str) -> ProjectState:
        """The stage with the projection shipped with the verdict model ``model_id``."""
        return cls(StateProjection.load(model_id))

    def run(self, draft: Draft, env: StageEnv) -> None:
        """Project every statement's state."""
        for st in draft.statements:
            st.measured.update(self.projection.signals(st.state))
