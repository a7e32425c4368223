"""The hand-off between Faust's stream and the batch writer: batches grow while the writer works."""

from __future__ import annotations

import asyncio

from consumers.handoff import Handoff, by_lane


def test_a_batch_is_everything_that_waited_up_to_the_maximum() -> None:
    async def scenario() -> list[list[int]]:
        handoff: Handoff[int] = Handoff(limit=100)
        await handoff.put([1, 2])
        await handoff.put([3])
        first = await handoff.take(10)
        await handoff.put(list(range(4, 20)))
        return [first, await handoff.take(10), await handoff.take(10)]

    assert asyncio.run(scenario()) == [[1, 2, 3], list(range(4, 14)), list(range(14, 20))]


def test_take_waits_for_events() -> None:
    async def scenario() -> list[int]:
        handoff: Handoff[int] = Handoff(limit=10)
        taking = asyncio.create_task(handoff.take(5))
        await asyncio.sleep(0.01)
        assert not taking.done()
        await handoff.put([7])
        return await taking

    assert asyncio.run(scenario()) == [7]


def test_put_waits_while_the_limit_is_reached_until_a_batch_is_taken() -> None:
    async def scenario() -> tuple[bool, bool, int]:
        handoff: Handoff[int] = Handoff(limit=4)
        putting = asyncio.create_task(handoff.put([1, 2, 3, 4, 5]))
        await asyncio.sleep(0.01)
        blocked = not putting.done()
        await handoff.take(3)
        await asyncio.sleep(0.01)
        return blocked, putting.done(), len(handoff)

    assert asyncio.run(scenario()) == (True, True, 2)


def test_lanes_take_partitions_by_number_modulo_lanes_and_keep_batch_order() -> None:
    items = [(partition, offset) for offset in range(3) for partition in (0, 1, 2, 3, 4)]
    even, odd = by_lane(items, lambda item: item[0], 2)
    assert even == [(p, o) for o in range(3) for p in (0, 2, 4)]
    assert odd == [(p, o) for o in range(3) for p in (1, 3)]
    assert by_lane(items, lambda item: item[0], 1) == [items]
