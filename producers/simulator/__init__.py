"""A deterministic, seeded after-sales world streaming inbound events for demos and benchmarks."""

from producers.simulator.config import SimulationConfig, SimulationConfigError
from producers.simulator.engine import Engine, simulate
from producers.simulator.truth import (
    GroundTruth,
    InjectedDefect,
    Signature,
    ground_truth,
    write_ground_truth,
)

__all__ = [
    "Engine",
    "GroundTruth",
    "InjectedDefect",
    "Signature",
    "SimulationConfig",
    "SimulationConfigError",
    "ground_truth",
    "simulate",
    "write_ground_truth",
]
