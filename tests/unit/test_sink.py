"""The batching sink on its own: lanes, retries and in-order acks, with fake lanes and relay."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from consumers.sink import BatchingSink, WarehouseUnavailable, Written
from pipeline.common.records import Claimed, Message, Outgoing
from pipeline.jobs.batch.model import BatchOutcome


@dataclass(frozen=True)
class Event:
    """What Faust's stream hands over: a message, acked by the sink once written."""

    partition: int
    offset: int


def to_message(e: Event) -> Message:
    return Message("t", e.partition, e.offset, None, b"{}")


@dataclass
class FakeLane:
    """Records what it writes; fails its first ``failures`` calls; each write takes ``delay``."""

    failures: int = 0
    delay: float = 0.0
    calls: list[tuple[list[tuple[int, int]], tuple[int, ...]]] = field(default_factory=list)
    committed: list[tuple[int, int]] = field(default_factory=list)

    async def process(
        self, messages: Sequence[Message], claimant: str, delivered: Sequence[int] = ()
    ) -> BatchOutcome:
        self.calls.append(([(m.partition, m.offset) for m in messages], tuple(delivered)))
        await asyncio.sleep(self.delay)
        if self.failures:
            self.failures -= 1
            raise WarehouseUnavailable("OperationalError: database is locked")
        self.committed.extend((m.partition, m.offset) for m in messages)
        claimed: list[Claimed] = [(m.offset, Outgoing("out", None, b"x")) for m in messages]
        return BatchOutcome(len(messages), 0, 0, {}, {}, claimed=claimed)


@dataclass
class FakeOutbox:
    worker: str = "w-1"
    pending: list[int] = field(default_factory=list)
    forgotten: list[int] = field(default_factory=list)
    claimed: list[int] = field(default_factory=list)

    def delivered(self) -> list[int]:
        return list(self.pending)

    def committed(self, forgotten: Sequence[int], claimed: Sequence[Claimed]) -> None:
        self.forgotten.extend(forgotten)
        self.pending = [i for i in self.pending if i not in forgotten]
        self.claimed.extend(i for i, _ in claimed)


async def _run(
    lanes: Sequence[FakeLane],
    puts: Sequence[Sequence[Event]],
    outbox: FakeOutbox | None = None,
    batch_size: int = 100,
) -> tuple[list[Event], list[Written], list[tuple[int, list[tuple[int, int]]]]]:
    """Put ``puts`` through a sink; return the acks, the rounds written and, for each ack, what
    the lanes had committed when it came."""
    lanes_ = list(lanes)
    acked: list[Event] = []
    rounds: list[Written] = []
    seen_at_ack: list[tuple[int, list[tuple[int, int]]]] = []
    total = sum(len(p) for p in puts)
    done = asyncio.Event()

    async def ack(e: Event) -> None:
        seen_at_ack.append((e.offset, [c for lane in lanes_ for c in lane.committed]))
        acked.append(e)
        if len(acked) == total:
            done.set()

    sink: BatchingSink[Event] = BatchingSink(
        lanes_,
        outbox or FakeOutbox(),
        batch_size=batch_size,
        to_message=to_message,
        ack=ack,
        on_written=rounds.append,
        retry_first_s=0.001,
    )
    crashed: list[BaseException] = []
    tasks = sink.start(lambda t: crashed.extend([t.exception()] if not t.cancelled() else []))
    for events in puts:
        await sink.put(events)
    await asyncio.wait_for(done.wait(), 5)
    for task in tasks:
        task.cancel()
    assert not [e for e in crashed if e is not None]
    return acked, rounds, seen_at_ack


def test_every_event_is_acked_once_in_arrival_order_and_only_after_its_batch_committed() -> None:
    events = [Event(i % 3, i) for i in range(50)]
    lanes = [FakeLane(delay=0.001), FakeLane(delay=0.003)]
    acked, _, seen = asyncio.run(_run(lanes, [events[:20], events[20:35], events[35:]]))
    assert acked == events
    for offset, committed in seen:
        assert (offset % 3, offset) in committed


def test_lanes_split_by_partition_and_keep_each_partitions_order() -> None:
    events = [Event(p, i) for i, p in enumerate([0, 1, 2, 3, 0, 1, 2, 3])]
    lanes = [FakeLane(), FakeLane()]
    asyncio.run(_run(lanes, [events]))
    assert lanes[0].committed == [(0, 0), (2, 2), (0, 4), (2, 6)]
    assert lanes[1].committed == [(1, 1), (3, 3), (1, 5), (3, 7)]


def test_a_lane_the_warehouse_refuses_is_retried_and_its_events_acked_only_then() -> None:
    events = [Event(0, i) for i in range(5)]
    lane = FakeLane(failures=3)
    acked, _, seen = asyncio.run(_run([lane], [events]))
    assert acked == events
    assert len(lane.calls) == 4
    assert all(call[0] == [(0, i) for i in range(5)] for call in lane.calls)
    assert all(committed for _, committed in seen)


def test_delivered_outbox_rows_are_forgotten_by_the_first_lane_only_and_claims_handed_back() -> (
    None
):
    outbox = FakeOutbox(pending=[7, 8])
    lanes = [FakeLane(), FakeLane()]
    asyncio.run(_run(lanes, [[Event(0, 0), Event(1, 1)]], outbox))
    assert lanes[0].calls[0][1] == (7, 8)
    assert lanes[1].calls[0][1] == ()
    assert outbox.forgotten == [7, 8]
    assert sorted(outbox.claimed) == [0, 1]


def test_batches_grow_while_the_lanes_write() -> None:
    """The first batch goes at once; what arrives while it is written is the next one."""
    lane = FakeLane(delay=0.05)

    async def scenario() -> list[Written]:
        done = asyncio.Event()
        rounds: list[Written] = []

        def written(round_: Written) -> None:
            rounds.append(round_)
            if sum(len(r[0]) for r in rounds) == 30:
                done.set()

        async def ack(_: Event) -> None:
            return None

        sink: BatchingSink[Event] = BatchingSink(
            [lane],
            FakeOutbox(),
            batch_size=100,
            to_message=to_message,
            ack=ack,
            on_written=written,
        )
        tasks = sink.start(lambda _t: None)
        await sink.put([Event(0, 0)])
        await asyncio.sleep(0.01)  # the first batch is being written
        for i in range(1, 30):
            await sink.put([Event(0, i)])
        await asyncio.wait_for(done.wait(), 5)
        for task in tasks:
            task.cancel()
        return rounds

    rounds = asyncio.run(scenario())
    assert [len(r[0]) for r in rounds] == [1, 29]
