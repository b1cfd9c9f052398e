"""Check a whole draft: split → check-worthiness → stand-alone claims → check each → :class:`DraftResult`.

:func:`plan_draft` does the first three stages (no model, milliseconds), so bad input fails before a model
loads; :func:`check_plan` checks the planned claims one by one with the default pipeline through the
existing :class:`~assistant.check.Checker`, in draft order, reporting each as it is decided. The reply cache
is keyed on each claim's prompt, so a re-run after editing one sentence asks the model again only for what
changed. Ctrl-C (KeyboardInterrupt) stops the run and keeps what is done: the claims not yet checked are
listed as skipped, and ``summary.interrupted`` is set.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..app import App
from ..batch import OUTAGES
from ..check import MAX_CLAIM_CHARS, Checker
from ..errors import FactCheckError, InputError
from ..schemas import CheckResult
from ..secrets import scrub_line
from .result import DraftClaim, DraftInfo, DraftResult, DraftSummary, SkippedSentence
from .split import DraftSentence, DraftText, draft_sentences
from .standalone import standalone
from .worthiness import judge_sentence

#: A draft with more check-worthy sentences than this is checked only with ``limit`` (``--limit N``): at
#: 6-8 s a claim on the embedded model, 150 claims take about 20 minutes; a 2,000-sentence file is more
#: likely a mistake (a whole book, a log) than a draft, and hours of checking should be asked for.
MAX_CLAIMS_WITHOUT_LIMIT = 150
#: Preceding sentences handed to the stand-alone stage.
CONTEXT_SENTENCES = 6


@dataclass(frozen=True)
class PlannedClaim:
    """A check-worthy sentence and the stand-alone text that will be checked for it."""

    sentence: DraftSentence
    standalone: str


@dataclass
class DraftPlan:
    """What a draft check will do: the claims to check, in draft order, and the sentences skipped."""

    draft: DraftText
    sentences: list[DraftSentence]
    claims: list[PlannedClaim]
    skipped: list[SkippedSentence]
    #: Check-worthy sentences found (``claims`` holds the first ``limit`` of them).
    found: int
    limit: int | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ClaimProgress:
    """One claim decided: claim ``n`` of ``total``, its result (or error), time so far and time left."""

    n: int
    total: int
    claim: DraftClaim | None
    #: The claim's check failed (the model kept replying malformed output, the claim is too long …).
    error: str | None
    text: str
    elapsed_s: float
    eta_s: float


ClaimCallback = Callable[[ClaimProgress], None]


def _skipped(s: DraftSentence, reason: str) -> SkippedSentence:
    return SkippedSentence(start=s.start, end=s.end, text=s.text, reason=reason)


def plan_draft(text: str, *, path: str | None = None, limit: int | None = None) -> DraftPlan:
    """Split ``text``, decide which sentences are claims and make each stand alone (no model is used).

    An empty draft is an :class:`InputError`; so is a draft with more than
    :data:`MAX_CLAIMS_WITHOUT_LIMIT` claims when no ``limit`` is given. With ``limit``, the first ``limit``
    claims are checked and the others are listed as skipped.
    """
    if limit is not None and limit < 1:
        raise InputError(f"--limit must be at least 1, got {limit}")
    where = path or "the draft"
    if not text.strip():
        raise InputError(f"{where}: the draft is empty")
    t0 = time.perf_counter()
    sentences = draft_sentences(text)
    if not sentences:
        raise InputError(f"{where}: the draft has no sentences (no letters or digits)")
    t1 = time.perf_counter()
    claims: list[PlannedClaim] = []
    skipped: list[SkippedSentence] = []
    found = 0
    for s in sentences:
        decision = judge_sentence(s)
        if not decision.claim:
            skipped.append(_skipped(s, decision.reason or "not a claim"))
            continue
        found += 1
        if len(s.text) > MAX_CLAIM_CHARS:
            skipped.append(_skipped(s, f"not checked: longer than {MAX_CLAIM_CHARS} characters"))
            continue
        if limit is not None and len(claims) >= limit:
            skipped.append(_skipped(s, f"not checked: beyond --limit {limit}"))
            continue
        preceding = [p.text for p in sentences[max(0, s.index - CONTEXT_SENTENCES) : s.index]]
        claims.append(PlannedClaim(s, standalone(s.text, preceding)))
    if limit is None and found > MAX_CLAIMS_WITHOUT_LIMIT:
        raise InputError(
            f"{where}: {found} check-worthy sentences of {len(sentences)} (at 6-8 s a claim, over "
            f"{found * 7 // 60} minutes); more than {MAX_CLAIMS_WITHOUT_LIMIT} are checked only with "
            "--limit N "
            "(the first N claims, in draft order)"
        )
    t2 = time.perf_counter()
    return DraftPlan(
        draft=DraftText(text, path),
        sentences=sentences,
        claims=claims,
        skipped=skipped,
        found=found,
        limit=limit,
        timings_ms={"split": (t1 - t0) * 1000, "plan": (t2 - t1) * 1000},
    )


def claim_of(planned: PlannedClaim, result: CheckResult) -> DraftClaim:
    """A planned claim with its check result."""
    s = planned.sentence
    return DraftClaim(
        start=s.start,
        end=s.end,
        text=s.text,
        standalone=planned.standalone,
        verdict=result.verdict,
        confidence=result.confidence,
        uncertain=result.uncertain,
        statements=result.statements,
        corrections=result.corrections,
        result=result,
    )


def check_plan(
    checker: Checker,
    plan: DraftPlan,
    *,
    on_claim: ClaimCallback | None = None,
    doc_id: str | None = None,
) -> DraftResult:
    """Check the plan's claims in draft order with ``checker``; ``on_claim`` hears of each as it is decided.

    A claim whose own check fails is listed as skipped with its error and the run goes on; an outage
    (endpoint unreachable, bad configuration, unusable index) stops it with the error. Ctrl-C stops it and
    returns what is done (``summary.interrupted``).
    """
    t0 = time.perf_counter()
    decided: dict[int, DraftClaim] = {}
    failed: dict[int, str] = {}
    interrupted = False
    first_ms: float | None = None
    total = len(plan.claims)
    try:
        if plan.claims:
            checker.warm()  # the prompt's fixed part is read once; every claim's prompt starts with it
        for i, planned in enumerate(plan.claims):
            try:
                result = checker.check(planned.standalone, doc_id=doc_id)
            except OUTAGES:
                raise
            except FactCheckError as exc:
                failed[i] = scrub_line(str(exc))
            else:
                decided[i] = claim_of(planned, result)
            elapsed = time.perf_counter() - t0
            if first_ms is None:
                first_ms = elapsed * 1000
            if on_claim is not None:
                on_claim(
                    ClaimProgress(
                        n=i + 1,
                        total=total,
                        claim=decided.get(i),
                        error=failed.get(i),
                        text=planned.sentence.text,
                        elapsed_s=elapsed,
                        eta_s=elapsed / (i + 1) * (total - i - 1),
                    )
                )
    except KeyboardInterrupt:
        interrupted = True
    check_ms = (time.perf_counter() - t0) * 1000
    skipped = list(plan.skipped)
    for i, planned in enumerate(plan.claims):
        if i in failed:
            skipped.append(_skipped(planned.sentence, f"check failed: {failed[i]}"))
        elif i not in decided:
            skipped.append(_skipped(planned.sentence, "not checked: interrupted"))
    skipped.sort(key=lambda s: s.start)
    claims = [decided[i] for i in sorted(decided)]
    timings = {**plan.timings_ms, "check": check_ms}
    if first_ms is not None:
        timings["first_verdict"] = plan.timings_ms.get("split", 0) + plan.timings_ms.get("plan", 0) + first_ms
    timings["total"] = sum(v for k, v in timings.items() if k in ("split", "plan", "check"))
    return DraftResult(
        draft=DraftInfo(path=plan.draft.path, chars=len(plan.draft.text), sentences=len(plan.sentences)),
        claims=claims,
        skipped=skipped,
        summary=DraftSummary(
            claims=plan.found,
            checked=len(claims),
            skipped=len(skipped),
            supported=sum(c.verdict == "supported" for c in claims),
            refuted=sum(c.verdict == "refuted" for c in claims),
            not_enough_info=sum(c.verdict == "not_enough_info" for c in claims),
            uncertain=sum(c.uncertain is not None for c in claims),
            failed=len(failed),
            interrupted=interrupted,
            limit=plan.limit,
        ),
        timings_ms={k: round(v, 1) for k, v in timings.items()},
        text=plan.draft.text,
    )


def check_draft(
    app: App,
    text: str,
    path: str | None = None,
    on_claim: ClaimCallback | None = None,
    limit: int | None = None,
    *,
    doc_id: str | None = None,
) -> DraftResult:
    """Check a whole draft against the app's index with its default pipeline (the library entry point).

    ``text`` is the draft as read (a BOM already dropped: :func:`~assistant.draft.split.read_draft` does it
    for a file); every offset in the result indexes it. ``path`` is only recorded. ``on_claim`` is called
    after each claim with a :class:`ClaimProgress`. ``limit`` checks only the first N claims. Bad input (an
    empty draft, too many claims without ``limit``) raises :class:`~assistant.errors.InputError` before the
    model is used; an empty index raises :class:`~assistant.errors.FactCheckError`.
    """
    plan = plan_draft(text, path=path, limit=limit)
    if plan.claims and not app.store.list_documents():
        raise FactCheckError(f"the index at {app.settings.index} is empty: run `factcheck ingest PATH` first")
    return check_plan(app.checker, plan, on_claim=on_claim, doc_id=doc_id)
