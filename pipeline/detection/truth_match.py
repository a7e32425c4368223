"""Flags matched against injected defects: how many were flagged, and how late."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from statistics import median

from pipeline.detection.model import Signature


@dataclass(frozen=True, slots=True)
class Injected:
    """A defect the simulator injected: its variant-level signature, onset and markets."""

    signature: Signature
    onset: date
    markets: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TruthSummary:
    injected: int
    flagged: int
    median_delay_days: float | None

    @property
    def line(self) -> str:
        delay = "-" if self.median_delay_days is None else f"{self.median_delay_days:g}"
        return (
            f"injected {self.injected} defects, flagged {self.flagged}, median delay {delay} days"
        )


def match_truth(
    defects: Sequence[Injected], flags: Iterable[tuple[Signature, date]]
) -> TruthSummary:
    """A defect is flagged when a flag on its variant, or on the variant in one of its markets,
    opened on or after its onset; its delay is the first such opening minus the onset."""
    first: dict[int, date] = {}
    for signature, opened in flags:
        for index, defect in enumerate(defects):
            market = signature.market
            if (
                signature.pooled == defect.signature
                and (market is None or market in defect.markets)
                and opened >= defect.onset
            ):
                first[index] = min(first.get(index, opened), opened)
    delays = [(first[i] - defects[i].onset).days for i in sorted(first)]
    return TruthSummary(len(defects), len(first), float(median(delays)) if delays else None)
