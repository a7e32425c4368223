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
    repeat_of: str | None = None
    """The event id of the repair this one repeats (see pipeline.detection.repeats)."""

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
    ev = _fields(event)
    product = _fields(ev.get("product"))
    serial = product.get("serial")
    unit = lookups.units.get(serial) if serial else None
    dealer_id = ev.get("dealer_id") or (unit.dealer_id if unit else None)
    dealer = lookups.dealers.get(dealer_id) if dealer_id else None
    market, market_source = _market(ev, unit, dealer)
    known = market_of(market, markets if markets is not None else default_markets())
    model = _model(product if ev.get("product") is not None else ev, lookups)
    category = model.category if model else None

    sold_on = ev.get("sold_on") or (unit.sold_on if unit else None)
    warranty = warranty_status(
        sold_on, _failure_time(event.occurred_at, ev), market, category, ev.get("usage"), terms
    )

    component_given = ev.get("component")
    text = "\n".join(str(value) for name in _TEXT_FIELDS if (value := ev.get(name)))
    language_given = ev.get("language")
    inferred = classify(text or None, language_given, ev.get("failure_code"), taxonomy)
    parts = ev.get("parts")

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
        total_cost=_money(ev.get("total_cost"), rates),
        parts_cost=_parts_cost(parts, rates),
        labour_cost=_money(ev.get("labour_cost"), rates),
        non_genuine_parts=_non_genuine(parts),
        component_given=component_given,
        component_given_canonical=taxonomy.canonical(component_given) if component_given else None,
        component_inferred=inferred.component,
        component_known_for_model=_known_for_model(inferred.component or component_given, model),
        failure_mode_given=ev.get("failure_mode"),
        failure_mode=inferred.failure_mode,
        confidence=inferred.confidence,
        matched=inferred.matched,
        language_given=language_given,
        language_detected=inferred.language,
    )


class _Attributes:
    """``get`` by attribute, for objects that keep no ``__dict__`` (slotted dataclasses)."""

    __slots__ = ("_obj",)

    def __init__(self, obj: Any) -> None:
        self._obj = obj

    def get(self, name: str) -> Any:
        return getattr(self._obj, name, None)


Fields = Mapping[str, Any] | _Attributes
_NO_FIELDS: Mapping[str, Any] = {}


def _fields(obj: Any) -> Fields:
    """An object's values by field name, None for the ones it lacks."""
    if obj is None:
        return _NO_FIELDS
    # Pydantic models keep field values in __dict__: a lookup there is a cheap miss for
    # fields this event type lacks, instead of a raised and caught AttributeError.
    values = getattr(obj, "__dict__", None)
    return values if values is not None else _Attributes(obj)


def _market(
    ev: Fields, unit: UnitRecord | None, dealer: DealerRecord | None
) -> tuple[str | None, str | None]:
    for value, source in (
        (ev.get("market") or ev.get("country"), "event"),
        (unit.market if unit else None, "unit"),
        (dealer.country if dealer else None, "dealer"),
    ):
        if value:
            return str(value).upper(), source
    return None, None


def _model(source: Fields, lookups: Lookups) -> ModelRecord | None:
    brand, model = source.get("brand"), source.get("model")
    if not brand or not model:
        return None
    variant = source.get("variant")
    return lookups.models.get((brand, model, variant)) or lookups.models.get((brand, model, None))


def _failure_time(occurred_at: datetime, ev: Fields) -> datetime:
    # The incident date, when a complaint gives one, is the unit's age at failure.
    incident = ev.get("incident_date")
    if isinstance(incident, date):
        return datetime.combine(incident, time(12), tzinfo=occurred_at.tzinfo)
    return occurred_at


def _money(money: Any, rates: Rates) -> Decimal | None:
    if money is None:
        return None
    return to_reporting(money.amount, money.currency, rates)


def _parts_cost(parts: Any, rates: Rates) -> Decimal | None:
    if parts is None:
        return None
    total = Decimal(0)
    for part in parts:
        converted = _money(part.unit_cost, rates)
        if converted is None:
            return None  # one unpriced part makes the sum unknown, not smaller
        total += converted * part.quantity
    return total


def _non_genuine(parts: Any) -> int | None:
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
