"""The ground truth of a run: which defects were injected where and when, and every signature."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from producers.simulator.config import SimulationConfig
from producers.simulator.entities import Defect, World
from producers.simulator.world import build_world


@dataclass(frozen=True, slots=True, order=True)
class Signature:
    """What a detector flags: a variant of a model and one of its top-level components."""

    brand: str
    model: str
    variant: str
    component: str


@dataclass(frozen=True, slots=True)
class InjectedFix:
    """A corrective action the simulator released: from ``lot`` on, and whether it works."""

    action_id: str
    released_on: date
    lot: str
    works: bool


@dataclass(frozen=True, slots=True)
class InjectedDefect:
    """One defect a detection benchmark should find: from ``onset`` its signature fails
    ``multiplier`` times as often in ``markets`` (and only in ``lots``, when given)."""

    brand: str
    model: str
    variant: str
    component: str
    onset: date
    multiplier: float
    markets: tuple[str, ...]
    lots: tuple[str, ...] | None = None
    leaf_component: str | None = None
    recall_on: date | None = None
    fix: InjectedFix | None = None

    @property
    def signature(self) -> Signature:
        return Signature(self.brand, self.model, self.variant, self.component)


@dataclass(frozen=True, slots=True)
class GroundTruth:
    seed: int
    start: date
    end: date
    """First day after the run (exclusive)."""
    defects: tuple[InjectedDefect, ...]
    signatures: tuple[Signature, ...]

    def to_json(self) -> str:
        return json.dumps(
            {
                "seed": self.seed,
                "start": self.start.isoformat(),
                "end": self.end.isoformat(),
                "defects": [_defect_to_dict(d) for d in self.defects],
                "signatures": [
                    {
                        "brand": s.brand,
                        "model": s.model,
                        "variant": s.variant,
                        "component": s.component,
                    }
                    for s in self.signatures
                ],
            },
            ensure_ascii=False,
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> GroundTruth:
        raw = json.loads(text)
        return cls(
            seed=int(raw["seed"]),
            start=date.fromisoformat(raw["start"]),
            end=date.fromisoformat(raw["end"]),
            defects=tuple(_defect_from_dict(d) for d in raw["defects"]),
            signatures=tuple(Signature(**s) for s in raw["signatures"]),
        )


def ground_truth(config: SimulationConfig) -> GroundTruth:
    """The truth of the run ``config`` describes, derived from the seed without simulating it."""
    return truth_of(build_world(config))


def truth_of(world: World) -> GroundTruth:
    config = world.config
    signatures = sorted(
        Signature(v.spec.brand, v.spec.model, v.name, top.code)
        for v in world.variants
        for top in v.tree
    )
    return GroundTruth(
        seed=config.seed,
        start=config.start,
        end=config.end,
        defects=tuple(_injected(d) for d in world.defects),
        signatures=tuple(signatures),
    )


def write_ground_truth(config: SimulationConfig, path: Path | str) -> GroundTruth:
    """Write the run's ground truth as JSON to ``path`` and return it."""
    truth = ground_truth(config)
    Path(path).write_text(truth.to_json() + "\n", encoding="utf-8")
    return truth


def _injected(defect: Defect) -> InjectedDefect:
    brand, model, variant = defect.variant.key
    return InjectedDefect(
        brand=brand,
        model=model,
        variant=variant,
        component=defect.component,
        onset=defect.onset,
        multiplier=defect.multiplier,
        markets=defect.markets,
        lots=defect.lots,
        leaf_component=defect.leaf,
        recall_on=defect.recall_on,
        fix=None
        if defect.fix is None
        else InjectedFix(
            defect.fix.action_id, defect.fix.released_on, defect.fix.lot, defect.fix.works
        ),
    )


def _defect_to_dict(defect: InjectedDefect) -> dict[str, Any]:
    return {
        "brand": defect.brand,
        "model": defect.model,
        "variant": defect.variant,
        "component": defect.component,
        "onset": defect.onset.isoformat(),
        "multiplier": defect.multiplier,
        "markets": list(defect.markets),
        "lots": None if defect.lots is None else list(defect.lots),
        "leaf_component": defect.leaf_component,
        "recall_on": None if defect.recall_on is None else defect.recall_on.isoformat(),
        "fix": None
        if defect.fix is None
        else {
            "action_id": defect.fix.action_id,
            "released_on": defect.fix.released_on.isoformat(),
            "lot": defect.fix.lot,
            "works": defect.fix.works,
        },
    }


def _defect_from_dict(raw: dict[str, Any]) -> InjectedDefect:
    lots = raw.get("lots")
    recall_on = raw.get("recall_on")
    fix = raw.get("fix")
    return InjectedDefect(
        brand=raw["brand"],
        model=raw["model"],
        variant=raw["variant"],
        component=raw["component"],
        onset=date.fromisoformat(raw["onset"]),
        multiplier=float(raw["multiplier"]),
        markets=tuple(raw["markets"]),
        lots=None if lots is None else tuple(lots),
        leaf_component=raw.get("leaf_component"),
        recall_on=None if recall_on is None else date.fromisoformat(recall_on),
        fix=None
        if fix is None
        else InjectedFix(
            fix["action_id"], date.fromisoformat(fix["released_on"]), fix["lot"], fix["works"]
        ),
    )
