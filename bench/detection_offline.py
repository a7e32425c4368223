"""Scores pipeline.detection offline: NHTSA complaints against recalls, simulated defects.

NHTSA scoring (definitions fixed by the product brief):
* a recall row (campaign, make, model, model year, top-level component) is *detectable* when at
  least 5 distinct complaints on that signature have an event day in the 730 days before the
  recall's report date (RCDATE);
* **strict** hit: a flag on that variant-level signature opened before the recall date; lead time
  = recall date - opening day of the earliest such flag;
* **lenient** hit: also a model-level flag ``(make, model, *, component)`` whose episode was open
  at some point in the 730 days before the recall and opened before it;
* flags per 1,000 complaint rows counts every raised episode, at every level the detector
  monitors, against every row of the file (one row per complaint and component);
* a recall's component is matched to the longest complaint top-level code it starts with;
* a complaint counts once per signature (``count_increments`` de-duplicates per complaint), and
  a near-duplicate of an earlier complaint on the same product counts as that complaint
  (``pipeline.detection.dedupe``).

Simulator scoring: a defect is found when a flag on its variant, or on the variant in one of the
defect's markets, opens on or after its onset; delay = opening - onset. Every other flag is false
(model-level ones when no defect of that model and component exists); false flags at every level
are counted against the ground truth's variant-level signature-months.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, timedelta
from pathlib import Path
from statistics import median
from typing import Any

from pipeline.detection import (
    ANY,
    DetectionParams,
    FlagEpisode,
    InMemoryCountStore,
    InMemoryInstalledBase,
    Observation,
    Signature,
    count_increments,
    evaluate,
    kth_in_window,
    monitored,
    observation_from_event,
    top_level,
)
from pipeline.detection.dedupe import Filed, copies_of, merge_copies
from pipeline.detection.model import CountedKey, counted_keys
from pipeline.detection.ports import SalesKey
from schemas.feedback import ComplaintFiled
from schemas.reference import RecallAnnounced, UnitsSold

DETECTABLE_MIN = 5
DETECTABLE_DAYS = 730
Flags = dict[Signature, list[FlagEpisode]]


@dataclass(frozen=True, slots=True)
class Recall:
    campaign: str
    signature: Signature
    day: date


@dataclass(frozen=True, slots=True)
class NhtsaData:
    rows: int
    observations: tuple[Observation, ...]
    recalls: tuple[RecallAnnounced, ...]
    rows_by_make: tuple[tuple[str, int], ...] = ()
    """Complaint rows per make (rows that decode), for flag rates of one make's slice."""
    copies: int = 0
    """Complaints merged into an earlier one as near-duplicates (``pipeline.detection.dedupe``)."""

    def only(self, makes: Collection[str]) -> NhtsaData:
        """The slice of these makes: their complaints, recalls and rows, nothing of the others."""
        rows = sum(n for make, n in self.rows_by_make if make in makes)
        return NhtsaData(
            rows,
            tuple(o for o in self.observations if o.brand in makes),
            tuple(r for r in self.recalls if r.brand in makes),
            tuple((m, n) for m, n in self.rows_by_make if m in makes),
        )

    @property
    def makes(self) -> list[str]:
        return sorted(make for make, _ in self.rows_by_make)


@dataclass(frozen=True, slots=True)
class SimulationData:
    seed: int
    days: int
    rate: float
    observations: tuple[Observation, ...]
    sales: tuple[tuple[SalesKey, int], ...]
    truth: Any
    """producers.simulator.GroundTruth (typed loosely: the simulator is another team's module)."""


def load_nhtsa(complaints_path: Path, recalls_path: Path, *, dedupe: bool = True) -> NhtsaData:
    """Complaints and recalls; with ``dedupe`` near-duplicate complaints count once."""
    from producers.sources.nhtsa import read_complaints, read_recalls

    rows = 0
    by_make: Counter[str] = Counter()
    observations: list[Observation] = []
    filed: list[Filed] = []
    for item in read_complaints(complaints_path):
        rows += 1
        if isinstance(item, ComplaintFiled):
            by_make[item.product.brand] += 1
            obs = observation_from_event(item)
            if obs is not None:
                observations.append(obs)
                filed.append(filed_of(item))
    copies = copies_of(filed) if dedupe else {}
    recalls = tuple(r for r in read_recalls(recalls_path) if isinstance(r, RecallAnnounced))
    return NhtsaData(
        rows,
        tuple(merge_copies(observations, copies)),
        recalls,
        tuple(sorted(by_make.items())),
        len(copies),
    )


def filed_of(complaint: ComplaintFiled) -> Filed:
    product = complaint.product
    return Filed(
        complaint.complaint_id,
        (product.brand, product.model, product.variant),
        complaint.occurred_at.astimezone(UTC).date(),
        complaint.text,
    )


def load_simulation(seed: int, days: int, rate: float) -> SimulationData:
    from producers.simulator import SimulationConfig, ground_truth, simulate

    config = SimulationConfig(seed=seed, days=days, rate=rate)
    observations: list[Observation] = []
    sales: list[tuple[SalesKey, int]] = []
    for event in simulate(config):
        if isinstance(event, UnitsSold):
            sales.append(
                ((event.brand, event.model, event.variant, event.market, event.month), event.count)
            )
            continue
        obs = observation_from_event(event)
        if obs is not None:
            observations.append(obs)
    return SimulationData(seed, days, rate, tuple(observations), tuple(sales), ground_truth(config))


def fill_store(observations: Iterable[Observation], batch_days: int = 1) -> InMemoryCountStore:
    """Feed observations in event-time batches as the worker would, with a ledger of counted
    (complaint, signature) pairs so that a complaint split over batches still counts once."""
    store = InMemoryCountStore()
    ledger: set[CountedKey] = set()
    batch: list[Observation] = []
    batch_end: date | None = None

    def flush() -> None:
        store.add(count_increments(batch, ledger))
        ledger.update(counted_keys(batch))
        batch.clear()

    for obs in sorted(observations, key=lambda o: (o.at, o.event_id)):
        if batch_end is not None and obs.day > batch_end:
            flush()
        if not batch:
            batch_end = obs.day + timedelta(days=batch_days - 1)
        batch.append(obs)
    flush()
    return store


def recall_keys(recalls: Sequence[RecallAnnounced], known_tops: set[str]) -> list[Recall]:
    found: dict[tuple[str, Signature], Recall] = {}
    for recall in recalls:
        component = _match_top(top_level(recall.component), known_tops)
        for variant in recall.variants:
            signature = Signature(recall.brand, recall.model, variant, component)
            key = (recall.recall_id, signature)
            if key not in found or recall.announced_on < found[key].day:
                found[key] = Recall(recall.recall_id, signature, recall.announced_on)
    return sorted(found.values(), key=lambda r: (r.day, r.campaign, r.signature))


def _match_top(top: str, known: set[str]) -> str:
    parts = top.split("_")
    for cut in range(len(parts), 0, -1):
        prefix = "_".join(parts[:cut])
        if prefix in known:
            return prefix
    return top


def detectable_recalls(recalls: Sequence[Recall], store: InMemoryCountStore) -> list[Recall]:
    series = store.series({r.signature for r in recalls})
    out = []
    for recall in recalls:
        s = series[recall.signature]
        end = recall.day.toordinal()
        inside = (s.days >= end - DETECTABLE_DAYS) & (s.days < end)
        if int(s.n[inside].sum()) >= DETECTABLE_MIN:
            out.append(recall)
    return out


def score_recalls(
    name: str, flags: Flags, detectable: Sequence[Recall], rows: int, lenient: bool = False
) -> dict[str, Any]:
    leads: list[int] = []
    for recall in detectable:
        end = recall.day.toordinal()
        openings = [
            e.opened_at.date().toordinal()
            for e in flags.get(recall.signature, [])
            if e.opened_at.date() < recall.day
        ]
        if lenient:
            for episode in flags.get(replace(recall.signature, variant=ANY), []):
                opened = episode.opened_at.date().toordinal()
                closed = episode.closed_at.date().toordinal() if episode.closed_at else end
                if opened < end and closed >= end - DETECTABLE_DAYS:
                    openings.append(opened)
        if openings:
            leads.append(end - min(openings))
    total = sum(len(v) for v in flags.values())
    return {
        "name": name,
        "recall": round(len(leads) / len(detectable), 3) if detectable else 0.0,
        "hits": len(leads),
        "detectable": len(detectable),
        "median_lead_days": float(median(leads)) if leads else None,
        "flags": total,
        "flags_per_1000_rows": round(1000.0 * total / rows, 2),
    }


def baseline_flags(store: InMemoryCountStore, k: int, window_days: int = 365) -> Flags:
    targets = [s for s in monitored(store.signatures()) if s.variant != ANY and s.market is None]
    series = store.series(targets)
    return {s: kth_in_window(s, series[s], k, window_days) for s in targets}


def score_nhtsa(data: NhtsaData, params: DetectionParams) -> dict[str, Any]:
    store = fill_store(data.observations, batch_days=1)
    known_tops = {top_level(o.component) for o in data.observations}
    recalls = recall_keys(data.recalls, known_tops)
    detectable = detectable_recalls(recalls, store)
    as_of = max(o.day for o in data.observations)
    targets = monitored(store.signatures())
    started = time.perf_counter()
    ours = evaluate(targets, store, None, params, as_of)
    seconds = time.perf_counter() - started
    evaluated = sum(1 for s in targets if s.market is None)
    variant_only = {s: e for s, e in ours.items() if s.variant != ANY}
    rows = data.rows
    scores = [
        score_recalls("ours (strict: a model-year flag before the recall)", ours, detectable, rows),
        score_recalls("ours (lenient: model-level flags hit too)", ours, detectable, rows, True),
        score_recalls("ours, model-year flags only", variant_only, detectable, rows),
        score_recalls(
            "baseline: 10th complaint in 365 days", baseline_flags(store, 10), detectable, rows
        ),
        score_recalls(
            "baseline: 5th complaint in 365 days", baseline_flags(store, 5), detectable, rows
        ),
    ]
    return {
        "rows": rows,
        "observations": len(data.observations),
        "recall_keys": len(recalls),
        "detectable": len(detectable),
        "signatures_evaluated": evaluated,
        "as_of": as_of.isoformat(),
        "seconds_evaluate_all": round(seconds, 3),
        "ms_per_signature": round(1000 * seconds / max(1, evaluated), 3),
        "scores": scores,
        "flags_by_component": _flags_by_component(ours),
    }


def _flags_by_component(flags: Flags) -> dict[str, int]:
    counts: dict[str, int] = {}
    for signature, episodes in flags.items():
        counts[signature.component] = counts.get(signature.component, 0) + len(episodes)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def score_simulation(data: SimulationData, params: DetectionParams) -> dict[str, Any]:
    truth = data.truth
    base = InMemoryInstalledBase.from_sales(data.sales)
    store = fill_store(data.observations, batch_days=1)
    as_of = truth.end - timedelta(days=1)
    targets = monitored(store.signatures())
    started = time.perf_counter()
    flags = evaluate(targets, store, base, params, as_of)
    seconds = time.perf_counter() - started
    return score_flags_against_truth(flags, truth, data.days) | {
        "seed": data.seed,
        "days": data.days,
        "rate": data.rate,
        "observations": len(data.observations),
        "signatures_evaluated": len(targets),
        "seconds_evaluate_all": round(seconds, 3),
        "ms_per_signature": round(1000 * seconds / max(1, len(targets)), 3),
    }


def score_flags_against_truth(flags: Flags, truth: Any, days: int) -> dict[str, Any]:
    """Found defects, their delays and false flags, whichever level raised them."""
    defects = [d for d in truth.defects if d.multiplier >= 2.0]
    by_signature: dict[Signature, list[Any]] = {}
    for d in defects:
        by_signature.setdefault(Signature(d.brand, d.model, d.variant, d.component), []).append(d)
    model_level = {replace(s, variant=ANY) for s in by_signature}
    false = {"variant": 0, "market": 0, "model": 0}
    first_true: dict[int, date] = {}
    for signature, episodes in flags.items():
        level = "model" if signature.variant == ANY else "market" if signature.market else "variant"
        for episode in episodes:
            opened = episode.opened_at.date()
            if level == "model":
                false["model"] += signature not in model_level
                continue
            matched = [
                d
                for d in by_signature.get(signature.pooled, [])
                if opened >= d.onset and (signature.market in (None, *d.markets))
            ]
            if not matched:
                false[level] += 1
            for d in matched:
                index = defects.index(d)
                first_true[index] = min(first_true.get(index, opened), opened)
    found = [
        {
            "signature": f"{d.brand}/{d.model}/{d.variant}/{d.component}",
            "onset": d.onset.isoformat(),
            "multiplier": d.multiplier,
            "markets": list(d.markets),
            "lots": None if d.lots is None else list(d.lots),
            "delay_days": (first_true[i] - d.onset).days if i in first_true else None,
        }
        for i, d in enumerate(defects)
    ]
    delays = [f["delay_days"] for f in found if f["delay_days"] is not None]
    signature_months = len(truth.signatures) * days / 30.44
    all_false = sum(false.values())
    return {
        "defects": found,
        "defects_2x": len(defects),
        "defects_found": len(delays),
        "median_delay_days": float(median(delays)) if delays else None,
        "false_flags": false,
        "signature_months": round(signature_months, 1),
        "false_per_1000_signature_months": round(1000 * all_false / signature_months, 3),
        "false_per_1000_variant_only": round(1000 * false["variant"] / signature_months, 3),
    }
