"""Stages: fidelity between the claim and the model's statements, and the claim refuted by a correction.

Asked to split a claim into statements, the embedded model often writes what the sources say instead of what
the claim says: "Mike Lee ist ein demokratischer Senator aus Utah." becomes "Mike Lee is a Republican Senator
from Utah.", which the model then calls supported. Such a statement is not a part of the claim: it is the
model's correction. :class:`Fidelity` (before the scope stage) compares each statement with the claim slot by
slot, in code, and takes every statement that changes a slot out of the statements that are judged:

- **number** and **year** (:func:`~assistant.judge.values.quantities`, English and German numerals, fractions
  and scales), **month**;
- **party** and **office**: closed word lists (:data:`PARTIES`, :data:`OFFICES`), English and German;
- **negation**: an odd number of negation words on one side and an even number on the other;
- **name**: capitalised spans (a person, a place, an institution) that the statement has and the claim has
  not, and the other way round, when the two still share a name (they speak of the same subject). A span on
  one side that is the other side's span in another language ("Weißen Haus", "White House") is no change: the
  retrieval embedder puts translations at a cosine of 0.64 or more and different names at 0.54 or less
  (20 pairs from the seed article), so :data:`TRANSLATION_SIMILARITY` sits between.

A correction of a statement close to the claim (:data:`MIN_ALIGNMENT`) is then looked for in the sentences
the model was shown: it is **confirmed** when a sentence
(the statement's own citations first) states the statement's value, does not state the claim's and shares
a name with the claim. :class:`RefuteByCorrection` (after the claim's verdict and its calibration) refutes
the claim on a confirmed correction, with the sentence as the evidence and "the source says Republican, not
Democratic" as the reason. An unconfirmed correction is shown, never judged: it never supports the claim.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from langchain_core.embeddings import Embeddings

from ..records import Sentence
from ..schemas import SetAside
from . import Draft, DraftCorrection, DraftStatement, Mode, StageEnv
from .citations import verified
from .signals import cosine
from .values import MONTHS, fold, months, quantities

#: Two capitalised spans at least this close (retrieval embedder cosine) are one name in two languages.
TRANSLATION_SIMILARITY = 0.6
#: With the claim's name put back, a substituted statement restates the claim: the scope stage's cosine for a
#: statement that is part of the claim (``MIN_CLAIM_SIMILARITY``), and at least :data:`SWAP_GAIN` closer.
MIN_SWAPPED_SIMILARITY = 0.7
SWAP_GAIN = 0.05
#: A statement at least this close to the claim (the scope stage's cosine for a part of the claim) speaks of
#: what the claim speaks of, so a slot it changes is a correction of the claim. A statement further away that
#: changes a slot (a copied source sentence that names another office) is taken out all the same, but never
#: refutes the claim.
MIN_ALIGNMENT = 0.7
#: The confidence of a claim refuted by a confirmed correction. The correction is decided in code (a value
#: in the source that differs from the claim's), not by the model; :file:`evals/results/verdicts.md` records
#: how often these refutations were right on the one-slot-changed gold claims.
CORRECTION_CONFIDENCE = 0.9
#: The claim is compared with the sentence shown closest to it (:func:`source_correction`) when that sentence
#: is at least this close. 0.6 keeps the one-slot-changed claims of the seed's dev half whose source
#: sentence was retrieved, and leaves out most sentences about something else (``evals/results/verdicts.md``).
MIN_SOURCE_ALIGNMENT = 0.6
#: A changed number or year counts only in a sentence this close to the claim: a page names many years and
#: numbers, and a moderately close sentence is often about another event (on WiCE dev, rejudged from
#: check.v19's report, 4 of 4 such refutations at cosine 0.60–0.73 were wrong; the seed's at 0.77–0.89 right).
MIN_VALUE_ALIGNMENT = 0.75
#: Two names that stand for each other (a place for a place, a person for a person) are at least this close
#: (retrieval embedder cosine: Texas/Utah 0.54, Lloyd Austin/Pete Hegseth 0.36, Washington Post/New York
#: Times 0.39); a name against a capitalised German noun is mostly below it ("Trump"/"Erwägung" 0.33).
MIN_NAME_KINSHIP = 0.35
#: The confidence of a claim refuted by its comparison with a source sentence: on the seed's dev half, 12 of
#: the 14 claims it refuted were refuted claims (``python -m research.fidelity_probe``).
SOURCE_CORRECTION_CONFIDENCE = 0.85
#: Years are numbers in this range, told apart from counts and amounts.
_YEARS = range(1800, 2101)

#: Parties, by the folded word stems that name them (English and German). "Demokratie"/"democracy" are not
#: parties (:data:`_NOT_PARTY`).
PARTIES: dict[str, tuple[str, ...]] = {
    "Republican": ("republican", "republikan", "gop"),
    "Democratic": ("democrat", "demokrat"),
    "CDU": ("cdu",), "CSU": ("csu",), "SPD": ("spd",), "AfD": ("afd",), "FDP": ("fdp",),
    "Greens": ("greens", "grune", "grunen"),
    "Labour": ("labour",), "Conservative": ("conservative", "tories", "tory"),
}  # fmt: skip
_NOT_PARTY = ("democrac", "demokratie")
#: Offices, by folded stems found anywhere in a word (German compounds: "Außenminister", "Bundeskanzler").
OFFICES: dict[str, tuple[str, ...]] = {
    "senator": ("senator",),
    "president": ("president", "prasident"),
    "chancellor": ("chancellor", "kanzler"),
    "minister": ("minister", "secretary", "sekretar"),
    "governor": ("governor", "gouverneur"),
    "ambassador": ("ambassador", "botschafter"),
    "mayor": ("mayor", "burgermeister"),
    "representative": ("congressman", "congresswoman", "representative", "abgeordnete"),
}
#: Negation words (folded). "neither … nor" and "weder … noch" count once: only the first word is listed.
_NEGATIONS = frozenset(
    "not no never none nobody nothing neither without cannot nicht kein keine keinen keinem keiner keines "
    "nie niemals niemand nichts weder ohne".split()
)
#: Capitalised words that are no names: articles, pronouns, prepositions and the like at a sentence start,
#: and German function words.
_NOT_NAMES = frozenset(
    "the a an this that these those it he she they we i in on at of for from by with to and or but as if "
    "when while after before since his her their its there here what who which how why is are was were "
    "der die das den dem des ein eine einen einem einer eines im in am an auf aus bei mit nach von vor zu "
    "zum zur und oder aber als wenn er sie es wir ich ihr sein seine ihre dies diese dieser dieses es "
    "laut nach seit über unter durch für gegen ohne um bis ist sind war waren hat haben wird werden".split()
)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W\d_]+)?", re.UNICODE)
_GERMAN_FRACTION = re.compile(
    r"(?i)\b(ein|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn)(halb|drittel|viertel|fünftel|zehntel)\B"
)


@dataclass(frozen=True)
class SlotChange:
    """One slot of the claim that a statement says otherwise: the claim's value and the statement's."""

    slot: str
    claim_value: str
    statement_value: str


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _negations(text: str) -> int:
    folded = [fold(w) for w in _words(text)]
    return sum(w in _NEGATIONS or w.endswith(("n't", "n’t")) for w in folded)


def _lexicon(text: str, lexicon: dict[str, tuple[str, ...]], *, anywhere: bool) -> set[str]:
    found = set()
    for word in (fold(w) for w in _words(text)):
        if word.startswith(_NOT_PARTY):
            continue
        for value, stems in lexicon.items():
            if any((s in word) if anywhere else word.startswith(s) for s in stems):
                found.add(value)
    return found


def parties(text: str) -> set[str]:
    """The parties a text names (canonical English names)."""
    return _lexicon(text, PARTIES, anywhere=False)


def offices(text: str) -> set[str]:
    """The offices a text names (canonical English names)."""
    return _lexicon(text, OFFICES, anywhere=True)


#: A number that is part of a name ("COVID-19", "SARS-CoV-2", "F-35", "G7"): no count, amount or year.
_IN_NAME = re.compile(r"\b[^\W\d_][\w]*-?\d+\b")


def _day_of_month(text: str) -> str:
    """The text without day numbers of dates ("13 April", "April 13", "13. April"): no counts."""
    words = _words(text)
    for i, word in enumerate(words):
        if word.lower() in MONTHS:
            for j in (i - 1, i + 1):
                if 0 <= j < len(words) and words[j].isdigit() and int(words[j]) <= 31:
                    text = re.sub(rf"\b{words[j]}\b\.?(?=\s*{word})|(?<={word})\s+{words[j]}\b", " ", text)
    return text


def numbers_and_years(text: str) -> tuple[set[str], set[str]]:
    """The counts and amounts a text states, and the years, as canonical strings."""
    values = quantities(_IN_NAME.sub(" ", _GERMAN_FRACTION.sub(r"\1 \2 ", _day_of_month(text))))
    years = {v for v in values if v.isdigit() and int(v) in _YEARS}
    return values - years, years | months(text)


def _is_name_word(word: str) -> bool:
    if len(word) < 2 or not word[0].isupper() or word[0].isdigit():
        return False
    folded = fold(word)
    return not (
        folded in _NOT_NAMES or parties(word) or offices(word) or months(word) or folded in _NUMBER_WORDS
    )


_NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eins zwei drei vier fünf sechs sieben acht neun zehn "
    "half third quarter hälfte drittel viertel".split()
)


def name_spans(text: str) -> list[list[str]]:
    """Runs of adjacent capitalised words that are names (``["Brookings", "Institution"]``).

    Words joined by a hyphen are two words ("US-Kongress"); punctuation between two words ends a run.
    """
    spans: list[list[str]] = []
    current: list[str] = []
    end = 0
    for match in _WORD.finditer(text):
        gap = text[end : match.start()]
        if current and gap.strip(" -\u00a0"):
            spans.append(current)
            current = []
        if _is_name_word(match.group()):
            current.append(match.group())
        elif current:
            spans.append(current)
            current = []
        end = match.end()
    if current:
        spans.append(current)
    return spans


def _stem_in(word: str, words: Iterable[str]) -> bool:
    """The same word, or one sharing its first five letters (German inflection: Senats/Senat)."""
    return any(
        w == word or (len(w) >= 5 and len(word) >= 5 and w[:5] == word[:5]) or difflib_close(w, word)
        for w in words
    )


def difflib_close(a: str, b: str) -> bool:
    """Two spellings of one name (Selenskyj/Zelensky): a difflib ratio of at least 0.75."""
    return len(a) >= 4 and len(b) >= 4 and difflib.SequenceMatcher(None, a, b).ratio() >= 0.75


def _residual(spans: list[list[str]], other_words: set[str], other_spans: list[list[str]]) -> list[str]:
    """The spans with a word the other text lacks, as strings; a span holding a whole name of the other
    text is that name written out ("Wladimir Putin" for "Putin"), not another."""

    def holds(span: list[str], name: list[str]) -> bool:
        words = {fold(w) for w in span}
        return all(_stem_in(fold(w), words) for w in name)

    return [
        " ".join(span)
        for span in spans
        if not all(_stem_in(fold(w), other_words) for w in span)
        and not any(holds(span, name) for name in other_spans)
    ]


Similarity = Callable[[str, str], float]


def similarity_of(embeddings: Embeddings) -> Similarity:
    """Two texts → the cosine of their embeddings (memoise ``embeddings``: texts recur across calls)."""

    def similarity(a: str, b: str) -> float:
        va, vb = embeddings.embed_documents([a, b])
        return cosine(va, vb)

    return similarity


def _unshared(span: str, other: str) -> str:
    """The words of ``span`` that ``other`` does not have (by stem)."""
    other_words = {fold(w) for w in _words(other)}
    return " ".join(w for w in _words(span) if not _stem_in(fold(w), other_words))


def _name_change(
    claim: str, statement: str, similarity: Similarity | None, min_kinship: float = 0.0
) -> SlotChange | None:
    claim_spans, statement_spans = name_spans(claim), name_spans(statement)
    claim_words = {fold(w) for s in claim_spans for w in s}
    statement_words = {fold(w) for s in statement_spans for w in s}
    if not any(_stem_in(w, statement_words) for w in claim_words):
        return None  # no shared name: the statement speaks of something else
    gone = _residual(claim_spans, statement_words, statement_spans)
    new = _residual(statement_spans, claim_words, claim_spans)
    if similarity is None:
        return SlotChange("name", gone[0], new[0]) if gone and new else None

    def translation(g: str, n: str) -> bool:
        # Spans that share a word are compared by the words they do not share: "Harvard University" is no
        # translation of "American University", however close the two are as wholes.
        g_rest, n_rest = _unshared(g, n), _unshared(n, g)
        return similarity(g_rest or g, n_rest or n) >= TRANSLATION_SIMILARITY

    gone, new = (
        [g for g in gone if not any(translation(g, n) for n in new)],
        [n for n in new if not any(translation(g, n) for g in gone)],
    )
    before = similarity(claim, statement)
    substituted = [
        (similarity(g, n), g, n)
        for g in gone
        for n in new
        # The swap test: put the claim's name in the statement. A substituted name makes the two say the
        # same (cosine of a restatement, MIN_SWAPPED_SIMILARITY, and closer than before); a name the model
        # added or translated freely ("Lasst uns …" → "the US should …") does not.
        if (after := similarity(claim, statement.replace(n, g))) >= MIN_SWAPPED_SIMILARITY
        and after >= before + SWAP_GAIN
    ]
    # Of the pairs that pass, the two names most alike (a place for a place, a person for a person); a pair
    # less alike than ``min_kinship`` is a name and a capitalised noun (German: "Trump" and "Erwägung").
    kin = [pair for pair in substituted if pair[0] >= min_kinship]
    if not kin or (min_kinship > 0 and len({n for _, _, n in kin}) > 1):
        # None, or several names that could stand for the claim's (one of a list: "Latin America" against
        # "Europe, Africa and West Asia"): the source does not say which, so it names no other value.
        return None
    _, g, n = max(kin)
    return SlotChange("name", g, n)


def slot_changes(
    claim: str, statement: str, similarity: Similarity | None = None, *, min_kinship: float = 0.0
) -> list[SlotChange]:
    """Every slot of ``claim`` that ``statement`` says otherwise (see the module docstring).

    ``similarity`` (two texts → cosine) tells a name in another language from another name; without it
    any differing names count as a change.
    """
    changes: list[SlotChange] = []
    claim_numbers, claim_years = numbers_and_years(claim)
    statement_numbers, statement_years = numbers_and_years(statement)
    for slot, a, b in (
        ("number", claim_numbers, statement_numbers),
        ("year", claim_years, claim_years and statement_years),
        ("party", parties(claim), parties(statement)),
        ("office", offices(claim), offices(statement)),
    ):
        if a and b and not a & b:
            changes.append(SlotChange(slot, _shown(a), _shown(b)))
    claim_neg, statement_neg = _negations(claim) % 2, _negations(statement) % 2
    if claim_neg != statement_neg:
        changes.append(SlotChange("negation", _polarity(claim_neg), _polarity(statement_neg)))
    name = _name_change(claim, statement, similarity, min_kinship)
    if name is not None:
        changes.append(name)
    return changes


def _shown(values: set[str]) -> str:
    """Canonical values as a reader writes them: ``0.6667`` as 2/3, ``month:3`` as month 3."""

    def one(v: str) -> str:
        if "." in v:
            return str(Fraction(v).limit_denominator(12))
        return v.replace("month:", "month ")

    return ", ".join(sorted(one(v) for v in values))


def _polarity(odd: int) -> str:
    return "negated" if odd else "affirmed"


def states_value(sentence: str, change: SlotChange, claim_value: bool = False) -> bool:
    """Whether ``sentence`` states the statement's value of the slot (or the claim's, ``claim_value``)."""
    value = change.claim_value if claim_value else change.statement_value
    wanted = set(value.split(", "))
    if change.slot == "number":
        return bool({_canonical(w) for w in wanted} & numbers_and_years(sentence)[0])
    if change.slot == "year":
        return bool({v.replace("month ", "month:") for v in wanted} & numbers_and_years(sentence)[1])
    if change.slot == "party":
        return bool(wanted & parties(sentence))
    if change.slot == "office":
        return bool(wanted & offices(sentence))
    if change.slot == "negation":
        return _polarity(_negations(sentence) % 2) == value
    words = {fold(w) for w in _words(sentence)}
    return all(_stem_in(fold(w), words) for w in _words(value))


def _canonical(shown: str) -> str:
    """A shown number back in the canonical form of :func:`~assistant.judge.values.quantities`."""
    if "/" not in shown:
        return shown
    value = Fraction(shown)
    return str(value.numerator) if value.denominator == 1 else f"{float(value):.4f}"


def _anchored(sentence: str, claim: str, change: SlotChange) -> bool:
    """The sentence names something the claim names besides the changed value (or the claim names nothing)."""
    changed = {fold(w) for w in _words(change.claim_value)}
    anchors = {fold(w) for s in name_spans(claim) for w in s} - changed
    if not anchors:
        return True
    words = {fold(w) for w in _words(sentence)}
    return any(_stem_in(a, words) for a in anchors)


def confirming_sentence(
    claim: str,
    change: SlotChange,
    cited: Sequence[Sentence],
    shown: Sequence[Sentence],
    *,
    supported: bool = True,
) -> Sentence | None:
    """The first sentence (cited ones first) that states the statement's value and not the claim's.

    A changed negation is confirmed only by a sentence the statement cites, and only where the model called
    the statement ``supported``: whether a sentence negates the same thing is more than counting words can
    tell, so that judgement is the model's.
    """
    candidates = list(cited) if change.slot == "negation" else [*cited, *shown]
    if change.slot == "negation" and not supported:
        return None
    for sentence in candidates:
        if (
            states_value(sentence.text, change)
            and not states_value(sentence.text, change, claim_value=True)
            and _anchored(sentence.text, claim, change)
        ):
            return sentence
    return None


def correction_reason(change: SlotChange, statement: str) -> str:
    """The correction in the reader's words: what the source says instead of what the claim says."""
    if change.slot == "negation":
        return f"the source says otherwise: “{statement}”"
    return f"the source says {change.statement_value}, not {change.claim_value}"


def source_correction(
    claim: str, shown: Sequence[Sentence], similarity: Similarity
) -> tuple[Sentence, SlotChange] | None:
    """The sentence shown closest to the claim, when it says what the claim says with one slot changed.

    The model often restates a claim that changes one slot of a source sentence and then cannot tell the
    two apart, so the claim itself is compared with the sentence closest to it in meaning. It counts only
    when it is close (:data:`MIN_SOURCE_ALIGNMENT`), changes exactly one slot (a sentence that differs in
    more speaks of something else) and not the negation (counting negation words in a long sentence cannot
    tell what is negated), states its own value and not the claim's, and names something the claim names
    besides that value.
    """
    if not shown:
        return None
    claim_names = {fold(w) for span in name_spans(claim) for w in span}

    def shared_names(sentence: Sentence) -> int:
        words = {fold(w) for w in _words(sentence.text)}
        return sum(_stem_in(name, words) for name in claim_names)

    close = [(a, s) for s in shown if (a := similarity(claim, s.text)) >= MIN_SOURCE_ALIGNMENT]
    if not close:
        return None
    # Of the close sentences, the one that names most of what the claim names (then the closest): the
    # sentence about the claim's subject, not one about its neighbour that happens to read alike.
    alignment, sentence = max(close, key=lambda pair: (shared_names(pair[1]), pair[0]))
    changes = slot_changes(claim, sentence.text, similarity, min_kinship=MIN_NAME_KINSHIP)
    if len(changes) != 1 or changes[0].slot == "negation":
        return None
    if changes[0].slot in ("number", "year") and (
        ", " in changes[0].claim_value
        or ", " in changes[0].statement_value
        or alignment < MIN_VALUE_ALIGNMENT
    ):
        # Several values on a side (which stands for which is more than code can tell), or a sentence not
        # close enough to be about the same event: a page names many years and numbers.
        return None
    if confirming_sentence(claim, changes[0], [sentence], [], supported=True) is None:
        return None
    return sentence, changes[0]


@dataclass(frozen=True)
class Fidelity:
    """Takes the statements that change a slot of the claim out of the judged ones, as corrections.

    ``min_alignment``: how close to the claim (retrieval embedder cosine) a statement must be for its
    correction to refute the claim (:data:`MIN_ALIGNMENT`).
    """

    min_alignment: float = MIN_ALIGNMENT
    modes: frozenset[Mode] = field(default=frozenset(("claim",)))

    def run(self, draft: Draft, env: StageEnv) -> None:
        """Compare each statement with the claim; keep the faithful ones, record the corrections."""

        similarity = similarity_of(env.embeddings)
        kept: list[DraftStatement] = []
        for st in draft.statements:
            changes = slot_changes(draft.text, st.text, similarity)
            if not changes:
                kept.append(st)
                continue
            aligned = similarity(draft.text, st.text) >= self.min_alignment
            if not aligned:
                # Far from the claim, it is about something else: set aside (shown, not judged), as the
                # scope stage sets aside a copied source sentence; it corrects nothing.
                change = changes[0]
                draft.set_aside.append(
                    SetAside(
                        text=st.text,
                        reason=f"not part of the claim: it speaks of more than the claim does (it says "
                        f"{change.statement_value} where the claim says {change.claim_value})",
                    )
                )
                continue
            # A name is a correction the source can confirm only when the two names are of a kind (a name
            # against a capitalised German word, "Ted Cruz" against "Lasst", is not).
            confirmable = [
                c
                for c in changes
                if c.slot != "name" or similarity(c.claim_value, c.statement_value) >= MIN_NAME_KINSHIP
            ]
            draft.corrections.append(self._correction(draft, env, st, changes, confirmable))
        draft.statements = kept
        if not any(c.confirmed for c in draft.corrections):
            self._compare_claim(draft, env, similarity)

    @staticmethod
    def _compare_claim(draft: Draft, env: StageEnv, similarity: Similarity) -> None:
        """The claim against the sentence closest to it: a changed slot there is a confirmed correction."""
        found = source_correction(draft.text, draft.shown, similarity)
        span = None if found is None else verified(env, found[0])
        if found is None or span is None:
            return
        change = found[1]
        draft.corrections.append(
            DraftCorrection(
                span.text,
                change.slot,
                change.claim_value,
                change.statement_value,
                [span],
                True,
                correction_reason(change, span.text),
                SOURCE_CORRECTION_CONFIDENCE,
            )  # fmt: skip
        )

    @staticmethod
    def _correction(
        draft: Draft,
        env: StageEnv,
        st: DraftStatement,
        changes: list[SlotChange],
        confirmable: list[SlotChange],
    ) -> DraftCorrection:
        cited = [draft.shown[n - 1] for n in st.cited if 1 <= n <= len(draft.shown)]
        for change in confirmable:
            sentence = confirming_sentence(
                draft.text, change, cited, draft.shown, supported=st.model_verdict == "supported"
            )
            span = None if sentence is None else verified(env, sentence)
            if span is not None:
                return DraftCorrection(
                    st.text, change.slot, change.claim_value, change.statement_value, [span], True,
                    correction_reason(change, st.text),
                )  # fmt: skip
        change = changes[0]
        return DraftCorrection(
            st.text, change.slot, change.claim_value, change.statement_value, [], False,
            f"the model's reading says {change.statement_value}, not {change.claim_value}, but no source "
            "sentence shown says so",
        )  # fmt: skip


@dataclass(frozen=True)
class RefuteByCorrection:
    """Refutes the claim on a correction the sources confirm (after the claim verdict is calibrated).

    The correction joins the statements as a refuted statement of the claim itself, with the confirming
    span as its evidence and the correction as its note, so the claim's verdict, its confidence and its
    statements tell one story.
    """

    confidence: float = CORRECTION_CONFIDENCE
    modes: frozenset[Mode] = field(default=frozenset(("claim",)))

    def run(self, draft: Draft, env: StageEnv) -> None:
        """Refute the claim if a correction is confirmed."""
        confirmed = next((c for c in draft.corrections if c.confirmed), None)
        if confirmed is None:
            return
        confidence = (
            self.confidence if confirmed.confidence is None else min(self.confidence, confirmed.confidence)
        )
        # A statement that still says the claim's value (the model restating the claim and calling it
        # supported) is refuted by the same sentence: the statements tell the verdict's story.
        change = SlotChange(confirmed.slot, confirmed.claim_value, confirmed.statement_value)
        for st in draft.statements:
            if st.verdict != "refuted" and states_value(st.text, change, claim_value=True):
                st.verdict, st.confidence, st.note = "refuted", confidence, confirmed.reason
                st.evidence = list(confirmed.evidence)
        if not any(st.text == draft.text for st in draft.statements):  # the model's own restatement is it
            statement = DraftStatement(draft.text, "refuted", confidence)
            statement.evidence = list(confirmed.evidence)
            statement.cited_sentences = list(confirmed.evidence)
            statement.note = confirmed.reason
            draft.statements.append(statement)
        previous = draft.confidence if draft.verdict == "refuted" else 0.0
        draft.verdict = "refuted"
        draft.confidence = max(previous, confidence)
