"""Source text is data, never instructions: escape it for prompts; set aside sentences that address the model.

Two layers, both applied to every retrieved sentence before it reaches a prompt:

- :func:`escape_source` makes a sentence unable to leave its line in the prompt or to imitate the prompt's
  structure: line and paragraph separators become spaces, chat-template tokens (``<|im_start|>``) lose
  their form, upper-case labels (``CLAIM:``, ``ANSWER:``) lose their colon, and brackets and braces become
  parentheses (no ``[3]`` sentence number and no JSON of the reply can be spelled). A sentence without these
  characters is returned unchanged, so prompts over ordinary news text are byte-identical.
- :func:`screen` flags sentences that are instructions to a model or imitate its reply or its prompt (in
  English or German, after undoing disguises: zero-width characters, full-width letters, look-alike
  Cyrillic and Greek letters). Pipelines with a screen stage set them aside before the prompt and list them
  in the result (``quarantined``), so they can neither be cited nor sway the verdict stage.

The rules describe kinds of text (a reply's JSON keys, chat role tags, "ignore the previous instructions"),
never a particular article or claim.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: Characters that start a new line for a reader or a tokenizer although Python's splitlines() may not.
_BREAKS = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f]")
_SPECIAL_TOKEN = re.compile(r"<\|([^|<>]{0,40})\|>")
_BRACKETS = str.maketrans("[]{}", "()()")
#: The labels the prompt templates use (prompts/*.md); an upper-case label in a source sentence imitates them.
_LABEL = re.compile(
    r"\b(CLAIM|ANSWER|QUESTION|SOURCE SENTENCES?|EARLIER IN THIS CONVERSATION|SYSTEM|USER|ASSISTANT|"
    r"BEHAUPTUNG|ANTWORT|FRAGE|QUELLEN?)\s*:"
)


def escape_source(text: str) -> str:
    """``text`` made safe to place on one line of a prompt (see the module docstring)."""
    if not re.search(r"[\r\n\v\f\x00-\x1f\x7f\x85\u2028\u2029<|\[\]{}:]", text):
        return text  # the common case: nothing to escape, the prompt stays byte-identical
    text = _BREAKS.sub(" ", text)
    text = _CONTROL.sub(" ", text)
    text = _SPECIAL_TOKEN.sub(lambda m: f"‹{m.group(1)}›", text)
    text = text.replace("<|", "‹").replace("|>", "›")
    text = _LABEL.sub(lambda m: f"{m.group(1)} -", text)
    # Brackets and braces become parentheses: no "[3]" sentence number and no JSON can be spelled.
    return text.translate(_BRACKETS)


# ---- the screen ------------------------------------------------------------------------------------

#: Look-alike letters an attacker swaps in to dodge a filter (Cyrillic and Greek), mapped to Latin.
_CONFUSABLES = str.maketrans(
    "аеорсухіјѕԁӏАВЕКМНОРСТХІЈЅαεορτυνκΑΒΕΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdlABEKMHOPCTXIJSaeoptvvkABEHIKMNOPTYX",
)
_INVISIBLE = re.compile(
    r"[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]"
)


def normalize_for_screen(text: str, *, invisible_as: str = "") -> str:
    """Text as a reader sees it: compatibility forms folded, invisible characters dropped (or read as
    ``invisible_as``), look-alikes mapped, whitespace collapsed, lower case."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub(invisible_as, text).translate(_CONFUSABLES)
    return " ".join(text.split()).casefold()


_VERDICT_WORDS = (
    r"(?:supported|refuted|not[ _]enough[ _]info|true|false|correct|verified|wahr|falsch|richtig|belegt|"
    r"bestätigt|widerlegt|gestützt)"
)
_MODEL_WORDS = (
    r"(?:ai|a\.i\.|ki|llm|language model|sprachmodell|chatbot|assistant|assistent(?:in)?|model|modell|"
    r"fact-?checker|faktenprüfer(?:in)?|faktenchecker(?:in)?|system)"
)
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "imitates the model's JSON reply",
        re.compile(
            r"[{\[,]\s*\"?(?:statements|verdict|sentences|confidence)\"?\s*:|\"(?:statements|verdict)\"\s*:"
        ),
    ),
    (
        "imitates a verdict label",
        re.compile(
            rf"\b(?:verdict|urteil|bewertung|label|ergebnis|result)\s*[:=]\s*[\"'„“]?\s*{_VERDICT_WORDS}\b"
        ),
    ),
    ("uses a verdict label of the reply schema", re.compile(r"\bnot_enough_info\b")),
    (
        "imitates the prompt's labels",
        re.compile(
            r"(?:^|[\s.;:!?\"'„“(])(?:claim|answer|question|source sentences?|behauptung|antwort|frage)\s*:"
            r"(?=.{0,200}(?:verdict|supported|refuted|not_enough_info|\{))"
        ),
    ),
    (
        "carries a chat role tag",
        re.compile(
            r"<\|?/?\s*(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id|end_header_id)"
            r"\s*\|?>|\[/?inst\]|<</?sys>>|###\s*(?:system|instruction|response|assistant|user)\b|"
            r"^[\"'„“(\[]?\s*(?:system|assistant|developer|user)\s*:"
        ),
    ),
    (
        "is an instruction to ignore the prompt",
        re.compile(
            r"\b(?:ignore|disregard|forget|override|overrule|skip|bypass)\b.{0,40}?\b(?:previous|prior|above|"
            r"earlier|preceding|all|any|your|the|these|those|system)\b.{0,30}?\b(?:instructions?|rules?|prompts?|"
            r"guidelines|directions|directives|orders|tasks?|context)\b|"
            r"\b(?:ignorier|vergiss|vergesst|vergessen sie|missacht|übergeh|überschreib|verwirf)\w*\b.{0,40}?"
            r"\b(?:vorherig|bisherig|obig|alle|früher|vorig|deine|ihre|die|system)\w*\b.{0,30}?"
            r"\b(?:anweisung|instruktion|regel|vorgabe|prompt|aufgabe|befehl|richtlinie)\w*"
        ),
    ),
    (
        "addresses the model",
        re.compile(
            rf"\b(?:you are|you're|act as|pretend to be|du bist|agiere als|handle als|tu so,? als)\s+"
            rf"(?:now\s+|jetzt\s+|nun\s+|ab sofort\s+)?(?:an?\s+|the\s+|ein(?:e|en)?\s+|der\s+|die\s+)?"
            rf"(?:\w+\s+)?{_MODEL_WORDS}\b|"
            rf"\b(?:note|message|hinweis|nachricht|notiz|anweisung|instruction)s?\s+(?:to|for|an|für)\s+(?:the\s+|"
            rf"das\s+|den\s+|die\s+|alle\s+|all\s+)?(?:\w+\s+)?{_MODEL_WORDS}s?\b|"
            rf"\b(?:dear|attention|liebe[rs]?|achtung)\s*,?\s*(?:\w+\s+)?{_MODEL_WORDS}s?\b|"
            rf"\bnew instructions?\b|\bneue anweisung|"
            rf"\b(?:system|entwickler)(?:nachricht|hinweis|anweisung|prompt)|"
            rf"\bsystem (?:prompt|message|note|override)\b"
        ),
    ),
    (
        "tells the reader how to judge a claim",
        re.compile(
            rf"\b(?:mark|rate|label|classify|judge|treat|consider|return|output|answer|respond|grade|score|"
            rf"bewerte|bewertet|markiere|markiert|stufe|stuft|beurteile|klassifiziere|gib|gebt|antworte|"
            rf"kennzeichne|werte)\w*\b.{{0,60}}?\b(?:claims?|statements?|verdicts?|behauptung\w*|aussage\w*|"
            rf"urteil\w*|antwort\w*)\b.{{0,40}}?\b(?:as\s+|als\s+|with\s+|mit\s+)?[\"'„“]?{_VERDICT_WORDS}\b|"
            rf"\b(?:every|any|each|all|the|this|that|jede[rs]?|die|diese|alle)\s+(?:claims?|statements?|"
            rf"behauptung(?:en)?|aussage(?:n)?)\b.{{0,200}}?\b(?:is|are|must be|should be|has to be|ist|sind|"
            rf"gilt|gelten|muss|müssen)\s+(?:als\s+)?(?:\w+\s+)?[\"'„“]?{_VERDICT_WORDS}\b"
        ),
    ),
)


#: For text with invisible characters, which may sit inside words as well as between them: the core
#: phrases matched on the letters alone ("i\u200bgnore\u200ball…" -> "ignoreall…").
_SQUASHED_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "is an instruction to ignore the prompt",
        re.compile(
            r"(?:ignore|disregard|forget|override)(?:all|any|the|your)*(?:previous|prior|above|earlier)?"
            r"(?:instructions?|rules|prompts?|guidelines)|(?:ignorier|vergiss)\w{0,3}(?:alle)?"
            r"(?:vorherigen|bisherigen|obigen)?(?:anweisungen|instruktionen|regeln|vorgaben)"
        ),
    ),
    (
        "addresses the model",
        re.compile(
            r"(?:noteto|messageto|hinweisfür|nachrichtan)(?:the|die|das|alle)?(?:ai|ki|llm|model|modell)"
        ),
    ),
    (
        "addresses the model",
        re.compile(
            r"(?:youare|youre|dubist|actas)(?:now|jetzt|nun)?(?:an?|the|eine?n?|der|die)?"
            r"(?:ai|ki|llm|assistant|assistent|model|modell|sprachmodell|chatbot|factchecker|faktenprüfer)"
        ),
    ),
    (
        "tells the reader how to judge a claim",
        re.compile(
            r"(?:claims?|statements?|behauptung\w{0,2}|aussage\w{0,2})(?:als|as)(?:supported|true|belegt|wahr)"
        ),
    ),
    ("imitates the model's JSON reply", re.compile(r"(?:statements|verdict)\W*:")),
)


@dataclass(frozen=True)
class Flag:
    """Why a sentence was set aside."""

    reason: str


#: The prompt's own upper-case labels (prompts/*.md) in a source sentence imitate the prompt. (German
#: fact-check formats such as "BEHAUPTUNG: … BEWERTUNG: …" are not the prompt's labels and stay evidence.)
_PROMPT_LABEL = re.compile(r"\b(?:CLAIM|ANSWER|QUESTION|SOURCE SENTENCES?)\s*:")


def screen(text: str) -> Flag | None:
    """A :class:`Flag` when ``text`` is an instruction to a model or imitates its reply or prompt."""
    if _SPECIAL_TOKEN.search(text):
        return Flag("carries a chat template token")
    if _PROMPT_LABEL.search(unicodedata.normalize("NFKC", _INVISIBLE.sub("", text)).translate(_CONFUSABLES)):
        return Flag("imitates the prompt's labels")
    # An invisible character may hide inside a word or stand for the space between two: read it both ways.
    readings = {normalize_for_screen(text), normalize_for_screen(text, invisible_as=" ")}
    for reason, pattern in _RULES:
        if any(pattern.search(seen) for seen in readings):
            return Flag(reason)
    if _INVISIBLE.search(text):
        squashed = re.sub(r"[^\w:]", "", normalize_for_screen(text))
        for reason, pattern in _SQUASHED_RULES:
            if pattern.search(squashed):
                return Flag(reason)
    return None
