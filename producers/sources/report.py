"""Skipped rows and the tally of what a reader read, yielded and skipped (by reason)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Final, TypeVar

from pydantic import ValidationError

WRONG_FIELD_COUNT: Final = "wrong_field_count"
MISSING_ID: Final = "missing_id"
MISSING_PRODUCT: Final = "missing_product"
NO_DATE: Final = "no_date"
BAD_DATE: Final = "bad_date"
IMPLAUSIBLE_DATE: Final = "implausible_date"
BAD_NUMBER: Final = "bad_number"
UNMAPPED_CATEGORY: Final = "unmapped_category"
INVALID_EVENT: Final = "invalid_event"

ROW_REASONS: Final = (
    WRONG_FIELD_COUNT,
    MISSING_ID,
    MISSING_PRODUCT,
    NO_DATE,
    BAD_DATE,
    IMPLAUSIBLE_DATE,
    BAD_NUMBER,
    UNMAPPED_CATEGORY,
    INVALID_EVENT,
)
"""Why the file readers skip a row (a closed set, safe as a metric label).

The JSON Lines reader reuses the codec's reasons (``schemas.codec.REASONS``) instead.
"""

DEFAULT_EXAMPLES_PER_REASON: Final = 3
_ERRORS_SHOWN: Final = 3

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Skipped:
    """One input line (or record) a reader did not turn into an event, and why."""

    line_no: int
    reason: str
    detail: str


@dataclass(slots=True)
class SkipReport:
    """What a reader produced: tally each item the reader yields with ``tally``.

    Readers stay plain generators; the caller owns the report, so one report can cover several
    files. Lines that had to be decoded with a fallback encoding are noted with ``note_recoded``
    (pass it as the reader's ``on_recoded`` callback).
    """

    examples_per_reason: int = DEFAULT_EXAMPLES_PER_REASON
    yielded: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[Skipped]] = field(default_factory=dict)
    recoded: Counter[str] = field(default_factory=Counter)

    @property
    def read(self) -> int:
        return self.yielded + self.skipped_total

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def tally(self, item: T) -> T:
        """Count one yielded item and hand it back, so ``map(report.tally, reader)`` works."""
        if isinstance(item, Skipped):
            self.skipped[item.reason] += 1
            kept = self.examples.setdefault(item.reason, [])
            if len(kept) < self.examples_per_reason:
                kept.append(item)
        else:
            self.yielded += 1
        return item

    def note_recoded(self, line_no: int, encoding: str) -> None:
        """Record that a line was not UTF-8 and was decoded as ``encoding`` instead."""
        del line_no  # the count is what operators act on; the line is in the file
        self.recoded[encoding] += 1

    def summary(self) -> dict[str, object]:
        """A JSON-friendly digest for logs and CLI output."""
        return {
            "read": self.read,
            "yielded": self.yielded,
            "skipped": dict(sorted(self.skipped.items())),
            "recoded": dict(sorted(self.recoded.items())),
            "examples": {
                reason: [f"line {s.line_no}: {s.detail}" for s in found]
                for reason, found in sorted(self.examples.items())
            },
        }


def validation_detail(exc: ValidationError) -> str:
    """The first few field errors of a rejected event, short enough for a log line."""
    errors = exc.errors(include_url=False, include_input=False)
    shown = [f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}" for e in errors]
    more = len(shown) - _ERRORS_SHOWN
    return "; ".join(shown[:_ERRORS_SHOWN]) + (f" (+{more} more)" if more > 0 else "")
