"""Rounds that read only the days their new counts need send what one walk over the whole
history sends."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.detection import (
    DetectionParams,
    FlagEpisode,
    InMemoryCountStore,
    Observation,
    Resume,
    Running,
    Signature,
    count_increments,
    daily_signals,
    lookback_days,
    monitored,
    resume_from,
    running_at,
    walk_changes,
)
from tests.unit.detection.detection_factories import D0, observation, observations_from_counts

DAYS = 2600
THROUGH = D0 + timedelta(days=DAYS - 1)
Sent = tuple[int, str, FlagEpisode]


def _history(seed: int, onset: int, length: int, rate: float) -> list[Observation]:
    """Background complaints on three models and components, and a defect on one signature
    that starts on day ``onset`` and lasts ``length`` days."""
    rng = np.random.default_rng(seed)
    out: list[Observation] = []
    for model in ("Roadster", "Coupe", "Van"):
        for component in ("ENGINE", "BRAKES", "BODY"):
            out += observations_from_counts(
                rng.poisson(3 / 365, DAYS), model=model, component=component
            )
    for day in range(onset, min(onset + length, DAYS)):
        for k in range(int(rng.poisson(rate))):
            out.append(observation(day, component="BRAKES", severe=(day + k) % 5 == 0))
    return out


def _rounds(history: list[Observation], cuts: list[int], resume: bool) -> list[Sent]:
    """Counts arrive in event order up to each cut, then a round judges the days since the
    last one, reading only what they need when ``resume`` is set."""
    store = InMemoryCountStore()
    params = DetectionParams()
    ordered = sorted(history, key=lambda o: o.at)
    published: dict[Signature, dict[str, FlagEpisode]] = {}
    judged: dict[Signature, date] = {}
    running: dict[Signature, Running | None] = {}
    sent: list[Sent] = []
    position = 0
    for cut in [*cuts, THROUGH.toordinal()]:
        arrived = []
        while position < len(ordered) and ordered[position].at.date().toordinal() <= cut:
            arrived.append(ordered[position])
            position += 1
        store.add(count_increments(arrived))
        signatures = monitored(store.signatures())
        starts = {
            s: r
            for s in signatures
            if (r := resume_from(judged.get(s), published.get(s, {}).values(), running.get(s)))
            is not None
        }
        through = date.fromordinal(cut)
        signals = daily_signals(
            signatures, store, None, params, through, starts if resume else None
        )
        assert not signals.failed
        for signature, verdicts in signals.found.items():
            mine = published.setdefault(signature, {})
            first = judged[signature].toordinal() + 1 if signature in judged else 1
            for day, change in walk_changes(
                signature, verdicts, list(mine.values()), first, cut, params.update_tolerance
            ):
                sent.append((day, change.change, change.episode))
                mine[change.episode.flag_id] = change.episode
            judged[signature] = max(judged.get(signature, through), through)
            # Stored as JSON in the warehouse: the next round reads it back from there.
            now_open = running_at(verdicts, signature, cut)
            running[signature] = (
                None if now_open is None else Running.from_json(signature, now_open.as_json())
            )
    return sorted(sent, key=lambda s: (s[0], s[2].signature, s[1], s[2].flag_id))


def test_a_resumed_signal_reads_no_further_back_than_its_lookback() -> None:
    store = InMemoryCountStore()
    store.add(count_increments(_history(1, 400, 60, 1.0)))
    signature = Signature("Acme", "Roadster", "2020", "BRAKES")
    day = THROUGH.toordinal() - 10
    signals = daily_signals(
        [signature], store, None, DetectionParams(), THROUGH, {signature: Resume(day)}
    )
    (verdict,) = signals.found[signature]
    assert verdict.signal.start == day - lookback_days(DetectionParams())
    assert verdict.exact_from == day


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    onset=st.integers(200, 1000),
    length=st.integers(30, 300),
    rate=st.floats(0.5, 1.5),
    cuts=st.lists(st.integers(0, DAYS - 2), min_size=1, max_size=12, unique=True),
)
def test_rounds_that_read_only_what_changed_send_what_one_whole_walk_sends(
    seed: int, onset: int, length: int, rate: float, cuts: list[int]
) -> None:
    history = _history(seed, onset, length, rate)
    whole = _rounds(history, [], resume=False)
    assert any(change == "raised" for _, change, _ in whole), "the defect must raise a flag"
    days = sorted(D0.toordinal() + c for c in cuts)
    assert _rounds(history, days, resume=True) == whole
    assert _rounds(history, days, resume=False) == whole


def test_an_episode_carried_over_many_rounds_closes_on_the_day_one_walk_closes_it() -> None:
    history = _history(0, 400, 200, 1.0)
    whole = _rounds(history, [], resume=False)
    assert any(c == "closed" and not e.evidence.get("withdrawn") for _, c, e in whole)
    cuts = list(range(D0.toordinal() + 300, THROUGH.toordinal(), 37))
    assert _rounds(history, cuts, resume=True) == whole
