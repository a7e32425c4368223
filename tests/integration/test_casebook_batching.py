"""The case book does not depend on how the stream is cut into batches, nor on crashes.

A random stream is written one event per batch, then in batches of random sizes (1 to 2,000),
sometimes with a batch rolled back by a crash and delivery resumed from an earlier offset, so
committed events come again. Cases, timelines, follow-ups and outgoing messages must be the same.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from tests.conftest import both_warehouses
from tests.integration.casebook_stream import (
    Delivery,
    Seeded,
    deliver,
    deliveries,
    messages,
    one_by_one,
    outcome,
    reset,
    streams,
)
from tests.integration.casebook_stream import stream as events

BATCHINGS = settings(
    max_examples=25,
    deadline=None,
    database=None,  # no .hypothesis directory in the working tree
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,  # the warehouse is emptied before every run
    ],
)


@both_warehouses()
@BATCHINGS
@given(data=st.data())
def test_any_batching_and_any_crash_leave_what_one_event_per_batch_leaves(
    warehouse: Engine, data: st.DataObject
) -> None:
    stream = messages(data.draw(streams()))
    delivery = data.draw(deliveries(len(stream)))
    reset(warehouse)
    deliver(warehouse, stream, one_by_one(len(stream)))
    expected = outcome(warehouse)
    reset(warehouse)
    deliver(warehouse, stream, delivery)
    assert outcome(warehouse) == expected


@both_warehouses()
def test_a_whole_stream_in_one_batch_leaves_what_one_event_per_batch_leaves(
    warehouse: Engine,
) -> None:
    # A fixed, longer stream with many late events: batches of 1, 50 and 2,000.
    stream = messages(events(Seeded(random.Random(20240304)), 400))
    outcomes = []
    for size in (1, 50, 2000):
        reset(warehouse)
        deliver(warehouse, stream, Delivery([size]))
        outcomes.append(outcome(warehouse))
    assert outcomes[0] == outcomes[1] == outcomes[2]
    assert outcomes[0].cases
