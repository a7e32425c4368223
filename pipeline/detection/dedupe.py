"""Near-duplicate complaints: reposts of one complaint on one product count once, as evidence."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Final

from rapidfuzz import fuzz, process

from pipeline.detection.model import Observation

SIMILARITY_CUTOFF: Final = 90.0
"""rapidfuzz ``ratio`` (0-100, edit-distance based) at or above which two texts are one
complaint. On the Chinese complaints, pairs at 90+ on one product are reposts with a word or a
date changed; below about 75 they are different owners describing a common fault."""
MIN_CHARS: Final = 30
"""Texts shorter than this (after normalising) say too little to tell a repost from a second
owner with the same two-word grievance, so they are never merged."""
MAX_CHARS: Final = 1_500
"""Only the opening is compared: reposts differ, if at all, in what they append."""
WINDOW_DAYS: Final = 365
"""A repost is looked for among the same product's complaints of the past year."""

ProductKey = tuple[str, str, str | None]


@dataclass(frozen=True, slots=True)
class Filed:
    """A complaint as the de-duplication sees it: which product, when, and what it says."""

    complaint_id: str
    product: ProductKey
    day: date
    text: str | None


def fingerprint(text: str | None) -> str:
    """The text as compared: NFKC, case-folded, without spaces, punctuation or symbols, so that
    reformatting a complaint (full-width digits, line breaks, emoji) does not make it new."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = (c for c in folded if unicodedata.category(c)[0] not in "PZSC")
    return "".join(kept)[:MAX_CHARS]


def copies_of(
    complaints: Iterable[Filed],
    earlier: Iterable[Filed] = (),
    *,
    cutoff: float = SIMILARITY_CUTOFF,
    window_days: int = WINDOW_DAYS,
) -> dict[str, str]:
    """``{copy's complaint_id: original's complaint_id}`` for every complaint in ``complaints``
    that repeats an earlier one on the same product (brand, model, variant).

    ``earlier`` are complaints already counted (a previous batch): they can be originals, never
    copies. Complaints are taken in (day, complaint id) order and each is compared with the
    originals of its product in the ``window_days`` before it; the best match at or above
    ``cutoff`` is its original. A copy of a copy points at the first original, and rows sharing
    one complaint id are one complaint, never copies of each other. The result does not depend
    on the order of the input.
    """
    known = {c.complaint_id for c in earlier}
    pending = sorted(
        {c.complaint_id: c for c in complaints if c.complaint_id not in known}.values(),
        key=lambda c: (c.day, c.complaint_id),
    )
    originals: dict[ProductKey, list[tuple[int, str, str]]] = defaultdict(list)
    for c in sorted(earlier, key=lambda c: (c.day, c.complaint_id)):
        text = fingerprint(c.text)
        if len(text) >= MIN_CHARS:
            originals[c.product].append((c.day.toordinal(), c.complaint_id, text))
    copies: dict[str, str] = {}
    for c in pending:
        text = fingerprint(c.text)
        if len(text) < MIN_CHARS:
            continue
        day = c.day.toordinal()
        # ratio = 2 * matches / (len a + len b), so texts whose lengths differ more than the
        # cutoff allows cannot match: skip them before comparing.
        shortest = len(text) * cutoff / (200.0 - cutoff)
        longest = len(text) * (200.0 - cutoff) / cutoff
        candidates = [
            o
            for o in originals[c.product]
            if 0 <= day - o[0] <= window_days and shortest <= len(o[2]) <= longest
        ]
        match = process.extractOne(
            text, [o[2] for o in candidates], scorer=fuzz.ratio, score_cutoff=cutoff
        )
        if match is not None:
            copies[c.complaint_id] = candidates[match[2]][1]
        else:
            originals[c.product].append((day, c.complaint_id, text))
    return copies


def merge_copies(
    observations: Sequence[Observation], copies: Mapping[str, str]
) -> list[Observation]:
    """The observations with each copy's rows re-keyed to its original's complaint, so that
    ``count_increments`` counts them once per signature (and its ledger of counted reports)."""
    return [
        replace(obs, complaint_id=copies[obs.complaint_id])
        if obs.complaint_id is not None and obs.complaint_id in copies
        else obs
        for obs in observations
    ]
