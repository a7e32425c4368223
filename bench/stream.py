"""The benchmark's input: a simulated stream, encoded once as one event per Kafka message."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from producers.simulator import SimulationConfig, simulate
from schemas.codec import encode
from schemas.events import FAMILY_OF_TYPE
from schemas.keys import event_key

EVENTS_PER_UNIT_RATE = 5_800
"""Events a 730-day run yields per ticket/day of rate (292k at rate 50, seed 7)."""
SIM_DAYS = 730


@dataclass(frozen=True, slots=True)
class EncodedMessage:
    """What an external producer sends: topic family, key and JSON value; event_id to match."""

    family: str
    key: bytes
    value: bytes
    event_id: str


def sim_config_for(events: int, seed: int) -> SimulationConfig:
    """A two-year run with a ticket rate large enough for ``events`` (with 15% headroom)."""
    rate = max(5.0, math.ceil(events * 1.15 / EVENTS_PER_UNIT_RATE))
    return SimulationConfig(seed=seed, days=SIM_DAYS, rate=rate)


def generate(events: int, seed: int = 7) -> list[EncodedMessage]:
    """The first ``events`` events of a simulated world, encoded; fewer if the run is shorter."""
    out: list[EncodedMessage] = []
    for event in itertools.islice(simulate(sim_config_for(events, seed)), events):
        out.append(
            EncodedMessage(
                family=FAMILY_OF_TYPE[event.event_type],
                key=event_key(event),
                value=encode(event),
                event_id=str(event.event_id),
            )
        )
    return out
