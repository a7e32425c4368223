"""Complaints about selling or servicing never count toward a product-defect signature."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from pipeline.detection import observation_from_event
from pipeline.detection.model import NON_PRODUCT_COMPONENTS, is_product_component
from pipeline.enrichment.taxonomy import load_taxonomy
from producers.sources.mapped_csv import load_mapping, mapping_path, read_mapped_csv
from schemas.feedback import ComplaintFiled
from tests.unit.detection.detection_factories import complaint

FIXTURE = Path(__file__).parents[2] / "fixtures" / "cn" / "cn_car_complaints_slice.csv"


@pytest.mark.parametrize("code", sorted(NON_PRODUCT_COMPONENTS))
def test_a_non_product_complaint_is_no_failure_observation_even_if_its_text_names_a_part(
    code: str,
) -> None:
    event = complaint(f"{code}:DETAIL", text="the dealer lied about the engine")
    assert observation_from_event(event, lambda _text: "ENGINE") is None


def test_a_product_component_still_counts() -> None:
    assert observation_from_event(complaint("ENGINE:COOLING:PUMP")) is not None
    assert is_product_component("BRAKES")
    assert not is_product_component("SALES_PRACTICES:FRAUD")


def test_the_taxonomy_lists_the_same_non_product_codes_as_detection() -> None:
    taxonomy = load_taxonomy()
    assert taxonomy.non_product == NON_PRODUCT_COMPONENTS
    assert not taxonomy.is_product("SERVICE_ATTITUDE")
    assert taxonomy.is_product("ENGINE:TURBO")


def test_the_chinese_mapping_marks_every_sales_and_service_category_non_product() -> None:
    raw = tomllib.loads(mapping_path("cn_car_complaints").read_text(encoding="utf-8"))
    sales_and_service = ["销售欺诈", "承诺不兑现", "服务态度", "服务收费", "人员技术", "配件争议"]
    assert {raw["components"][c] for c in sales_and_service} <= NON_PRODUCT_COMPONENTS


def test_no_chinese_sales_or_service_complaint_becomes_an_observation() -> None:
    mapping = load_mapping(mapping_path("cn_car_complaints"))
    events = [e for e in read_mapped_csv(FIXTURE, mapping) if isinstance(e, ComplaintFiled)]
    non_product = [e for e in events if e.component and not is_product_component(e.component)]
    assert non_product, "the fixture holds sales and service complaints"
    assert all(observation_from_event(e) is None for e in non_product)
    observed = [o for e in events if (o := observation_from_event(e)) is not None]
    assert observed
    assert all(is_product_component(o.component) for o in observed)
