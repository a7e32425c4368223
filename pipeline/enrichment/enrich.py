"""Enrichment of one inbound event: what we infer, kept apart from what the sender said."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from pipeline.enrichment.currency import Rates, to_reporting
from pipeline.enrichment.markets import Market, default_markets, market_of
from pipeline.enrichment.taxonomy import Taxonomy, classify, top_level
from pipeline.enrichment.warranty import Status, WarrantyTerms, warranty_status

# Free-text fields of the inbound events, in the order they are joined for classification.
_TEXT_FIELDS = ("summary", "description", "diagnosis", "text", "comment", "notes", "note", "reason")


@dataclass(frozen=True, slots=True)
class UnitRecord:
    sold_on: date | None = None
    market: str | None = None
    dealer_id: str | None = None
    lot: str | None = None


@dataclass(frozen=True, slots=True)
class DealerRecord:
    ownership: str | None = None
    """"owned" or "franchised"."""
    group: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class ModelRecord:
    category: str | None = None
    components: frozenset[str] = frozenset()


ModelKey = tuple[str, str, str | None]
"""(brand, model, variant); variant None is the model's fallback entry."""


@dataclass(frozen=True, slots=True)
class Lookups:
    """Plain mappings the glue loads from the warehouse; anything missing just stays unknown."""

    units: Mapping[str, UnitRecord] = field(default_factory=dict)
    dealers: Mapping[str, DealerRecord] = field(default_factory=dict)
    models: Mapping[ModelKey, ModelRecord] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Enrichment:
    event_id: str
    event_type: str
    serial: str | None = None
    market: str | None = None
    market_source: str | None = None
    """Where the market came from: "event", "unit" (its sale) or "dealer" (its country)."""
    region: str | None = None
    subregion: str | None = None
    dealer_id: str | None = None
    dealer_ownership: str | None = None
    dealer_group: str | None = None
    dealer_country: str | None = None
    product_category: str | None = None
    sold_on: date | None = None
    warranty_status: Status = "unknown"
    months_in_service: int | None = None
    warranty_expires_on: date | None = None
    warranty_terms: str | None = None
    reporting_currency: str | None = None
    rates_as_of: date | None = None
    total_cost: Decimal | None = None
    parts_cost: Decimal | None = None
    labour_cost: Decimal | None = None
    non_genuine_parts: int | None = None
    component_given: str | None = None
    component_given_canonical: str | None = None
    component_inferred: str | None = None
    component_known_for_model: bool | None = None
    failure_mode_given: str | None = None
    failure_mode: str | None = None
    confidence: float = 0.0
    matched: tuple[str, ...] = ()
    language_given: str | None = None
    language_detected: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, unknowns left out: dates as ISO strings, amounts as decimal strings."""
        out: dict[str, Any] = {}
        for name in _ENRICHMENT_FIELDS:
            value = getattr(self, name)
            if value is None or value == ():
                continue
            # Most values are plain; checking the type here saves a call per field.
            out[name] = value if type(value) in _PLAIN else _jsonable(value)
        return out


_ENRICHMENT_FIELDS = tuple(f.name for f in fields(Enrichment))


def enrich(
    event: Any,
    lookups: Lookups,
    taxonomy: Taxonomy,
    terms: WarrantyTerms,
    rates: Rates,
    *,
    markets: Mapping[str, Market] | None = None,
) -> Enrichment:
    """Everything we can infer about any inbound event; never changes or overrides the event."""
    product = _get(event, "product")
    serial = _get(product, "serial")
    unit = lookups.units.get(serial) if serial else None
    dealer_id = _get(event, "dealer_id") or (unit.dealer_id if unit else None)
    dealer = lookups.dealers.get(dealer_id) if dealer_id else None
    market, market_source = _market(event, unit, dealer)
    known = market_of(market, markets if markets is not None else default_markets())
    model = _model(event, product, lookups)
    category = model.category if model else None

    sold_on = _get(event, "sold_on") or (unit.sold_on if unit else None)
    warranty = warranty_status(
        sold_on, _failure_time(event), market, category, _get(event, "usage"), terms
    )

    component_given = _get(event, "component")
    text = "\n".join(str(value) for name in _TEXT_FIELDS if (value := _get(event, name)))
    language_given = _get(event, "language")
    failure_code = _get(event, "failure_code")
    inferred = classify(text or None, language_given, failure_code, taxonomy)

    return Enrichment(
        event_id=str(event.event_id),
        event_type=str(event.event_type),
        serial=serial,
        market=market,
        market_source=market_source,
        region=known.region if known else None,
        subregion=known.subregion if known else None,
        dealer_id=dealer_id,
        dealer_ownership=dealer.ownership if dealer else None,
        dealer_group=dealer.group if dealer else None,
        dealer_country=dealer.country if dealer else None,
        product_category=category,
        sold_on=sold_on,
        warranty_status=warranty.status,
        months_in_service=warranty.months_in_service,
        warranty_expires_on=warranty.expires_on,
        warranty_terms=warranty.coverage.scope if warranty.coverage else None,
        reporting_currency=rates.reporting,
        rates_as_of=rates.as_of,
        total_cost=_money(_get(event, "total_cost"), rates),
        parts_cost=_parts_cost(event, rates),
        labour_cost=_money(_get(event, "labour_cost"), rates),
        non_genuine_parts=_non_genuine(event),
        component_given=component_given,
        component_given_canonical=taxonomy.canonical(component_given) if component_given else None,
        component_inferred=inferred.component,
        component_known_for_model=_known_for_model(inferred.component or component_given, model),
        failure_mode_given=_get(event, "failure_mode"),
        failure_mode=inferred.failure_mode,
        confidence=inferred.confidence,
        matched=inferred.matched,
        language_given=language_given,
        language_detected=inferred.language,
    )


def _get(obj: Any, name: str) -> Any:
    if obj is None:
        return None
    # Pydantic models keep field values in __dict__; a missing field is then a cheap miss
    # instead of a raised and caught AttributeError.
    values = getattr(obj, "__dict__", None)
    return values.get(name) if values is not None else getattr(obj, name, None)


def _market(
    event: Any, unit: UnitRecord | None, dealer: DealerRecord | None
) -> tuple[str | None, str | None]:
    for value, source in (
        (_get(event, "market") or _get(event, "country"), "event"),
        (unit.market if unit else None, "unit"),
        (dealer.country if dealer else None, "dealer"),
    ):
        if value:
            return str(value).upper(), source
    return None, None


def _model(event: Any, product: Any, lookups: Lookups) -> ModelRecord | None:
    source = product if product is not None else event
    brand, model = _get(source, "brand"), _get(source, "model")
    if not brand or not model:
        return None
    variant = _get(source, "variant")
    return lookups.models.get((brand, model, variant)) or lookups.models.get((brand, model, None))


def _failure_time(event: Any) -> datetime:
    # The incident date, when a complaint gives one, is the unit's age at failure.
    occurred_at: datetime = event.occurred_at
    incident = _get(event, "incident_date")
    if isinstance(incident, date):
        return datetime.combine(incident, time(12), tzinfo=occurred_at.tzinfo)
    return occurred_at


def _money(money: Any, rates: Rates) -> Decimal | None:
    if money is None:
        return None
    return to_reporting(money.amount, money.currency, rates)


def _parts_cost(event: Any, rates: Rates) -> Decimal | None:
    parts = _get(event, "parts")
    if parts is None:
        return None
    total = Decimal(0)
    for part in parts:
        converted = _money(part.unit_cost, rates)
        if converted is None:
            return None  # one unpriced part makes the sum unknown, not smaller
        total += converted * part.quantity
    return total


def _non_genuine(event: Any) -> int | None:
    parts = _get(event, "parts")
    return None if parts is None else sum(part.quantity for part in parts if not part.genuine)


def _known_for_model(component: str | None, model: ModelRecord | None) -> bool | None:
    if component is None or model is None or not model.components:
        return None
    family = top_level(component)
    return any(code == component or top_level(code) == family for code in model.components)


_PLAIN = frozenset({str, int, float, bool})


def _jsonable(value: Any) -> Any:
    if type(value) in _PLAIN:
        return value
    if isinstance(value, date | Decimal):
        return value.isoformat() if isinstance(value, date) else str(value)
    if isinstance(value, tuple):
        return list(value)
    return value
