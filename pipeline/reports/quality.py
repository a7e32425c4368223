"""Failure Pareto per model and repeat-repair rates by the parts the failed repair fitted."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Final

from pipeline.enrichment.taxonomy import Taxonomy
from pipeline.reports.model import (
    ModelPareto,
    ParetoBar,
    ParetoTotals,
    RepeatRate,
    RepeatRepairs,
)
from pipeline.reports.readings import FailureCount, RepairsWithParts
from pipeline.reports.words import component_name

MAX_PARETO_BARS: Final = 15
MAX_PARETO_MODELS: Final = 6
MAX_RATES: Final = 25
UNSPECIFIED: Final = "unspecified"


def pareto(
    failures: Iterable[FailureCount],
    taxonomy: Taxonomy | None = None,
    models: int | None = MAX_PARETO_MODELS,
) -> tuple[list[ModelPareto], ParetoTotals]:
    """The ``models`` models with most failures (repairs and complaints; None: all), each by
    component and failure mode, most frequent first; and how many models and failures in all."""
    counts: dict[tuple[str, str], dict[tuple[str, str], int]] = defaultdict(
        lambda: defaultdict(int)
    )
    for brand, model, comp, mode, n in failures:
        counts[(brand, model)][(comp or "UNKNOWN", mode or UNSPECIFIED)] += n
    volume = {key: sum(bars.values()) for key, bars in counts.items()}
    top = sorted(volume, key=lambda key: (-volume[key], key))[:models]
    totals = ParetoTotals(models=len(counts), failures=sum(volume.values()))
    charts = [_model_pareto(brand, model, counts[(brand, model)], taxonomy) for brand, model in top]
    return charts, totals


def _model_pareto(
    brand: str, model: str, counts: dict[tuple[str, str], int], taxonomy: Taxonomy | None
) -> ModelPareto:
    total = sum(counts.values())
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    bars, running = [], 0
    for (component, mode), n in ranked[:MAX_PARETO_BARS]:
        running += n
        bars.append(
            ParetoBar(
                component=component,
                failure_mode=mode,
                count=n,
                cumulative_share=running / total,
                component_name=component_name(component, taxonomy),
            )
        )
    return ModelPareto(brand=brand, model=model, total=total, bars=bars, kinds=len(counts))


def repeat_repairs(fitted_parts: RepairsWithParts, limit: int | None = MAX_RATES) -> RepeatRepairs:
    """How often a repair fitted with a part, supplier or genuine/non-genuine part was repeated.

    A repair counts once per key however many such parts it fitted; it is repeated when a later
    repair names it in ``repeat_of`` (at any time: a repeat after the period still tells).
    """
    parts, repeated = fitted_parts.parts, fitted_parts.repeated
    fitted = {event_id for event_id, *_ in parts}

    def rates(key: Callable[[str, str, bool], str]) -> list[RepeatRate]:
        keyed = ((e, key(p, s, g)) for e, p, s, g in parts)
        return repeat_rates(keyed, repeated)

    by_part = rates(lambda part, _s, _g: part)
    by_supplier = rates(lambda _p, supplier, _g: supplier)
    return RepeatRepairs(
        repairs_with_parts=len(fitted),
        repeated=len(fitted & repeated),
        by_part=by_part[:limit],
        by_supplier=by_supplier[:limit],
        by_genuine=rates(lambda _p, _s, genuine: "genuine" if genuine else "non-genuine"),
        parts=len(by_part),
        suppliers=len(by_supplier),
    )


def repeat_rates(repair_keys: Iterable[tuple[str, str]], repeated: set[str]) -> list[RepeatRate]:
    """Rates per key from (repair event id, key) pairs, worst first, then by volume."""
    repairs: dict[str, set[str]] = defaultdict(set)
    for event_id, key in repair_keys:
        repairs[key].add(event_id)
    rates = [
        RepeatRate(
            key=key,
            repairs=len(ids),
            repeated=len(ids & repeated),
            rate=len(ids & repeated) / len(ids),
        )
        for key, ids in repairs.items()
    ]
    return sorted(rates, key=lambda r: (-r.rate, -r.repairs, r.key))
