"""Plain words for what a check found: how the terminal, the chat and the HTML page name verdicts, pipelines
and the reasons a verdict is uncertain. The JSON keeps the machine names (``not_enough_info``, ``check.v19``).
"""

from __future__ import annotations

#: A verdict as a reader says it.
VERDICT_WORDS = {
    "supported": "supported by your sources",
    "refuted": "contradicted by your sources",
    "not_enough_info": "not in your sources",
}


def verdict_words(verdict: str) -> str:
    """``not_enough_info`` → "not in your sources"; an unknown name stays as it is."""
    return VERDICT_WORDS.get(verdict, verdict.replace("_", " "))


def pipeline_words(pipeline_id: str) -> str:
    """A pipeline by its role ("the default checks"), or by its id where it has none."""
    from .pipelines import ALIASES

    role = next((name for name, pid in ALIASES.items() if pid == pipeline_id), None)
    return f"{role} checks" if role else f"checks {pipeline_id or '-'}"


def changed_reading(model_verdict: str, verdict: str) -> str:
    """Why a statement's verdict is not the model's first reading, in the reader's words."""
    return (
        f"the model's first reading was “{verdict_words(model_verdict)}”; checked against the evidence it is "
        f"{verdict_words(verdict)}"
    )
