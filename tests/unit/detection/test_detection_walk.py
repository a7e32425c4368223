"""Walking a signature's days in pieces sends what one walk over all of them sends."""

from __future__ import annotations

import random
from datetime import date

from pipeline.detection import (
    DetectionParams,
    FlagEpisode,
    InMemoryCountStore,
    count_increments,
    daily_signals,
    walk_changes,
)
from tests.unit.detection.test_detection_determinism import _history

THROUGH = date(2022, 12, 31)


def _walk(cuts: list[int]) -> list[tuple[int, str, FlagEpisode]]:
    store = InMemoryCountStore()
    store.add(count_increments(_history()))
    params = DetectionParams()
    signals = daily_signals(store.signatures(), store, None, params, THROUGH)
    assert not signals.failed
    sent: list[tuple[int, str, FlagEpisode]] = []
    for signature, verdicts in signals.found.items():
        published: dict[str, FlagEpisode] = {}
        first = 1
        for cut in [*cuts, THROUGH.toordinal()]:
            for day, change in walk_changes(
                signature, verdicts, list(published.values()), first, cut, 0.25
            ):
                sent.append((day, change.change, change.episode))
                published[change.episode.flag_id] = change.episode
            first = max(first, cut + 1)
    return sorted(sent, key=lambda s: (s[0], s[2].signature, s[1], s[2].flag_id))


def test_walking_the_days_in_any_pieces_sends_the_same_changes_on_the_same_days() -> None:
    whole = _walk([])
    assert any(change == "raised" for _, change, _ in whole)
    rng = random.Random(3)
    start, end = date(2020, 1, 1).toordinal(), THROUGH.toordinal()
    for _ in range(3):
        cuts = sorted(rng.sample(range(start, end), 25))
        assert _walk(cuts) == whole


def test_a_change_is_sent_as_of_the_day_it_happened() -> None:
    for day, change, episode in _walk([]):
        if change == "raised":
            assert episode.opened_at.date().toordinal() == day
        if change == "closed" and not episode.evidence.get("withdrawn"):
            assert episode.closed_at is not None
            assert episode.closed_at.date().toordinal() == day
