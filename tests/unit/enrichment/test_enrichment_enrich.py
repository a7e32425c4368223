"""`enrich` on real event types: inferred facts kept apart from what the sender said."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from pipeline.enrichment.currency import Rates, load_rates
from pipeline.enrichment.enrich import DealerRecord, Lookups, ModelRecord, UnitRecord, enrich
from pipeline.enrichment.taxonomy import Taxonomy, load_taxonomy
from pipeline.enrichment.warranty import WarrantyTerms, load_warranty_terms
from schemas.events import FAMILY_OF_TYPE, INBOUND
from schemas.feedback import ComplaintFiled
from schemas.repairs import RepairCompleted

WHEN = "2024-03-20T10:00:00+01:00"
PRODUCT = {"brand": "Aurora", "model": "AC-9000", "variant": "rev2", "serial": "SN-1"}
CUSTOMER = {"customer_id": "C-1", "country": "DE"}


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


@pytest.fixture(scope="module")
def terms() -> WarrantyTerms:
    return load_warranty_terms()


@pytest.fixture(scope="module")
def rates() -> Rates:
    return load_rates()


@pytest.fixture
def lookups() -> Lookups:
    return Lookups(
        units={
            "SN-1": UnitRecord(sold_on=date(2022, 11, 5), market="DE", dealer_id="D-9", lot="L7")
        },
        dealers={"D-9": DealerRecord(ownership="franchised", group="Nordic Cooling", country="DE")},
        models={
            ("Aurora", "AC-9000", None): ModelRecord(
                category="appliance", components=frozenset({"HVAC:COMPRESSOR", "ELECTRONICS"})
            )
        },
    )


def envelope(event_type: str, n: int) -> dict[str, Any]:
    return {
        "event_type": event_type,
        "event_id": str(UUID(int=n)),
        "occurred_at": WHEN,
        "source": "test",
    }


def repair(**overrides: Any) -> RepairCompleted:
    fields: dict[str, Any] = {
        **envelope("repair.completed", 1),
        "repair_id": "R-1",
        "product": PRODUCT,
        "market": "DE",
        "diagnosis": "Kompressor defekt, Klimaanlage kühlt nicht",
        "failure_code": "E4",
        "component": "HVAC",
        "failure_mode": "not_cooling",
        "parts": [
            {
                "part_number": "CMP-1",
                "supplier": "Acme",
                "genuine": True,
                "quantity": 1,
                "unit_cost": {"amount": "210.00", "currency": "EUR"},
            },
            {
                "part_number": "SEAL-2",
                "supplier": "Cheap Co",
                "genuine": False,
                "quantity": 2,
                "unit_cost": {"amount": "10.495", "currency": "USD"},
            },
        ],
        "labour_hours": 1.5,
        "labour_cost": {"amount": "90.00", "currency": "EUR"},
        "total_cost": {"amount": "341.99", "currency": "EUR"},
        "usage": 1200,
    }
    fields.update(overrides)
    return RepairCompleted.model_validate(fields)


def test_enriches_a_repair_with_warranty_dealer_money_and_inferred_component(
    lookups: Lookups, taxonomy: Taxonomy, terms: WarrantyTerms, rates: Rates
) -> None:
    event = repair()

    result = enrich(event, lookups, taxonomy, terms, rates)

    assert (result.market, result.market_source, result.region, result.subregion) == (
        "DE",
        "event",
        "EMEA",
        "Europe",
    )
    assert (result.dealer_id, result.dealer_ownership, result.dealer_group) == (
        "D-9",
        "franchised",
        "Nordic Cooling",
    )
    assert (result.product_category, result.sold_on) == ("appliance", date(2022, 11, 5))
    assert (result.warranty_status, result.months_in_service, result.warranty_expires_on) == (
        "in_warranty",
        16,
        date(2024, 11, 5),
    )
    assert result.warranty_terms == "EU/*"
    assert (result.total_cost, result.labour_cost, result.parts_cost) == (
        Decimal("341.99"),
        Decimal("90.00"),
        Decimal("230.00"),
    )
    assert result.non_genuine_parts == 2
    assert (result.component_given, result.component_inferred) == ("HVAC", "HVAC:COMPRESSOR")
    assert (result.failure_mode_given, result.failure_mode) == ("not_cooling", "not_cooling")
    assert result.component_known_for_model is True
    assert result.language_detected == "de"
    assert event.component == "HVAC"  # the sender's word is never overwritten


def test_repair_with_an_unknown_currency_leaves_that_amount_unknown(
    lookups: Lookups, taxonomy: Taxonomy, terms: WarrantyTerms, rates: Rates
) -> None:
    event = repair(total_cost={"amount": "1000", "currency": "XAF"}, parts=[])

    result = enrich(event, lookups, taxonomy, terms, rates)

    assert result.total_cost is None
    assert (result.parts_cost, result.non_genuine_parts) == (Decimal(0), 0)


def test_enriches_a_chinese_complaint_using_its_incident_date(
    taxonomy: Taxonomy, terms: WarrantyTerms, rates: Rates
) -> None:
    event = ComplaintFiled.model_validate(
        {
            **envelope("complaint.filed", 2),
            "complaint_id": "CMP-1",
            "product": {"brand": "Zhong", "model": "Z5", "serial": "VIN-9"},
            "market": "CN",
            "text": "变速箱顿挫严重，换挡冲击，4S店说正常",
            "component": "POWER_TRAIN",
            "incident_date": "2023-12-31",
            "usage": 21000,
        }
    )
    lookups = Lookups(units={"VIN-9": UnitRecord(sold_on=date(2022, 12, 31), market="CN")})

    result = enrich(event, lookups, taxonomy, terms, rates)

    assert (result.component_inferred, result.failure_mode) == (
        "TRANSMISSION:GEARBOX",
        "shift_quality",
    )
    assert (result.component_given, result.component_given_canonical) == (
        "POWER_TRAIN",
        "TRANSMISSION",
    )
    assert result.language_detected == "zh"
    assert (result.region, result.subregion) == ("APAC", "Greater China")
    assert result.months_in_service == 12
    assert result.warranty_status == "in_warranty"
    assert result.warranty_terms == "CN/*"  # no model lookup, so no category: the catch-all
    assert 0 < result.confidence <= 1


def test_missing_lookups_leave_facts_unknown_without_error(
    taxonomy: Taxonomy, terms: WarrantyTerms, rates: Rates
) -> None:
    result = enrich(repair(market="BR", dealer_id="D-404"), Lookups(), taxonomy, terms, rates)

    assert (result.sold_on, result.warranty_status, result.months_in_service) == (
        None,
        "unknown",
        None,
    )
    assert (result.dealer_ownership, result.product_category) == (None, None)
    assert result.component_known_for_model is None
    assert result.market == "BR"


def test_market_falls_back_to_the_unit_sale_when_the_event_has_none(
    lookups: Lookups, taxonomy: Taxonomy, terms: WarrantyTerms, rates: Rates
) -> None:
    event = INBOUND.validate_python(
        {**envelope("ticket.assigned", 3), "ticket_id": "T-1", "product": PRODUCT, "assignee": "A"}
    )

    result = enrich(event, lookups, taxonomy, terms, rates)

    assert (result.market, result.market_source, result.dealer_id) == ("DE", "unit", "D-9")


def test_as_dict_is_json_ready(
    lookups: Lookups, taxonomy: Taxonomy, terms: WarrantyTerms, rates: Rates
) -> None:
    data = enrich(repair(), lookups, taxonomy, terms, rates).as_dict()

    assert data["sold_on"] == "2022-11-05"
    assert data["parts_cost"] == "230.00"
    assert isinstance(data["matched"], list)
    assert data["rates_as_of"] == "2024-11-25"


EXAMPLES: dict[str, dict[str, Any]] = {
    "ticket.opened": {
        "ticket_id": "T-1",
        "product": PRODUCT,
        "customer": CUSTOMER,
        "market": "DE",
        "channel": "phone",
        "summary": "Wasserpumpe undicht",
    },
    "ticket.assigned": {"ticket_id": "T-1", "product": PRODUCT, "assignee": "A-1"},
    "ticket.escalated": {"ticket_id": "T-1", "product": PRODUCT, "level": 2, "reason": "noise"},
    "ticket.resolved": {"ticket_id": "T-1", "product": PRODUCT, "resolution": "pump replaced"},
    "ticket.closed": {"ticket_id": "T-1", "product": PRODUCT, "rating": 4},
    "ticket.reopened": {"ticket_id": "T-1", "product": PRODUCT, "reason": "leaks again"},
    "repair.completed": {
        "repair_id": "R-1",
        "product": PRODUCT,
        "market": "DE",
        "component": "HVAC",
    },
    "survey.answered": {"survey_id": "S-1", "product": PRODUCT, "customer": CUSTOMER, "csat": 2},
    "followup_call.made": {
        "call_id": "CL-1",
        "product": PRODUCT,
        "customer_id": "C-1",
        "reached": True,
        "outcome": "problem_persists",
        "notes": "still rattles",
    },
    "comment.posted": {
        "comment_id": "CM-1",
        "product": PRODUCT,
        "customer": CUSTOMER,
        "text": "loud fan",
    },
    "complaint.filed": {"complaint_id": "CP-1", "product": PRODUCT, "market": "DE"},
    "complaint.updated": {"complaint_id": "CP-1", "product": PRODUCT, "note": "called back"},
    "complaint.resolution_confirmed": {
        "complaint_id": "CP-1",
        "product": PRODUCT,
        "customer_id": "C-1",
        "resolved": True,
    },
    "product_model.registered": {"brand": "Aurora", "model": "AC-9000"},
    "dealer.registered": {
        "dealer_id": "D-9",
        "name": "Nordic",
        "country": "SE",
        "ownership": "owned",
        "group": "G",
    },
    "units_sold.reported": {
        "brand": "Aurora",
        "model": "AC-9000",
        "market": "DE",
        "month": "2024-01",
        "count": 10,
    },
    "unit.sold": {"product": PRODUCT, "market": "DE", "sold_on": "2024-01-02"},
    "recall.announced": {
        "recall_id": "RC-1",
        "brand": "Aurora",
        "model": "AC-9000",
        "component": "HVAC:COMPRESSOR",
        "market": "US",
        "announced_on": "2024-02-01",
        "summary": "Compressor may overheat",
    },
    "customer.erasure_requested": {"customer_id": "C-1"},
    "flag.triaged": {
        "flag_id": "F-1",
        "decision": "confirm",
        "decided_by": "quality",
        "decided_at": "2024-03-01T09:00:00+00:00",
    },
    "corrective_action.released": {
        "action_id": "CA-1",
        "signatures": [{"brand": "Aurora", "model": "AC-9000", "component": "HVAC:COMPRESSOR"}],
        "change": "part",
        "description": "New valve plate",
        "effective_from": {"lot": "L-7"},
    },
}


def test_examples_cover_every_inbound_event_type() -> None:
    assert set(EXAMPLES) == set(FAMILY_OF_TYPE)


@pytest.mark.parametrize("event_type", sorted(EXAMPLES))
def test_enriches_every_inbound_event_type(
    event_type: str, lookups: Lookups, taxonomy: Taxonomy, terms: WarrantyTerms, rates: Rates
) -> None:
    event = INBOUND.validate_python({**envelope(event_type, 9), **EXAMPLES[event_type]})

    result = enrich(event, lookups, taxonomy, terms, rates)

    assert result.event_type == event_type
    assert result.event_id == str(UUID(int=9))
    assert result.reporting_currency == "EUR"
    assert result.market is None or result.region is not None
