"""The demo's summary line counts a defect flagged only by a flag on it opened after its onset."""

from __future__ import annotations

from datetime import date

from pipeline.detection import Signature
from pipeline.detection.truth_match import Injected, match_truth

HVAC = Signature("Arctiq", "Breeze", "rev B", "HVAC")
ONSET = date(2024, 5, 1)


def test_a_flag_after_onset_on_the_variant_or_its_market_finds_the_defect() -> None:
    defects = [Injected(HVAC, ONSET, ("DE",)), Injected(Signature("K", "S", "2022", "BODY"), ONSET)]
    flags = [
        (HVAC, date(2024, 4, 1)),  # before the onset: not this defect
        (Signature("Arctiq", "Breeze", "rev B@DE", "HVAC"), date(2024, 5, 21)),
        (Signature("Arctiq", "Breeze", "rev B@FR", "HVAC"), date(2024, 5, 2)),  # wrong market
        (HVAC, date(2024, 6, 1)),
    ]
    summary = match_truth(defects, flags)
    assert (summary.injected, summary.flagged, summary.median_delay_days) == (2, 1, 20.0)
    assert summary.line == "injected 2 defects, flagged 1, median delay 20 days"


def test_nothing_flagged_says_so() -> None:
    assert match_truth([Injected(HVAC, ONSET)], []).line == (
        "injected 1 defects, flagged 0, median delay - days"
    )
