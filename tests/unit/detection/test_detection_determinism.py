"""Flags depend on the count series only: not on arrival order, batch boundaries or restarts."""

from __future__ import annotations

import random
from datetime import date

import numpy as np

from pipeline.detection import (
    FlagEpisode,
    InMemoryCountStore,
    Observation,
    Signature,
    count_increments,
    evaluate,
    monitored,
    signatures_of,
)
from tests.unit.detection.detection_factories import observation, observations_from_counts

AS_OF = date(2022, 12, 31)


def _history() -> list[Observation]:
    rng = np.random.default_rng(5)
    out: list[Observation] = []
    for model in ("Roadster", "Coupe", "Van"):
        for component in ("ENGINE", "BRAKES", "BODY"):
            daily = rng.poisson(6 / 365, 1000)
            out += observations_from_counts(daily, model=model, component=component)
    out += [observation(400 + 3 * k, component="BRAKES", severe=k % 4 == 0) for k in range(25)]
    return out


def _final_flags(store: InMemoryCountStore) -> dict[Signature, list[FlagEpisode]]:
    return evaluate(monitored(store.signatures()), store, as_of=AS_OF)


def test_history_raises_some_flags_to_compare() -> None:
    store = InMemoryCountStore()
    store.add(count_increments(_history()))

    flags = _final_flags(store)

    assert any(flags.values())


def test_same_flags_whatever_order_the_observations_arrive_in() -> None:
    history = _history()
    in_order, shuffled = InMemoryCountStore(), InMemoryCountStore()
    in_order.add(count_increments(sorted(history, key=lambda o: o.at)))
    mixed = history[:]
    random.Random(9).shuffle(mixed)
    for start in range(0, len(mixed), 37):
        shuffled.add(count_increments(mixed[start : start + 37]))

    assert _final_flags(in_order) == _final_flags(shuffled)


def test_evaluating_after_every_batch_ends_with_the_flags_of_one_evaluation_at_the_end() -> None:
    history = sorted(_history(), key=lambda o: o.at)
    once = InMemoryCountStore()
    once.add(count_increments(history))

    batched = InMemoryCountStore()
    latest: dict[Signature, list[FlagEpisode]] = {}
    for start in range(0, len(history), 50):
        batch = history[start : start + 50]
        batched.add(count_increments(batch))
        touched = {key for obs in batch for key in signatures_of(obs)}
        latest.update(evaluate(touched, batched, as_of=AS_OF))

    final = _final_flags(once)
    assert {s: e for s, e in latest.items() if e} == {s: e for s, e in final.items() if e}
