"""NHTSA component descriptions become hierarchical component codes."""

import pytest

from pipeline.enrichment.taxonomy import top_level
from producers.sources.nhtsa import UNKNOWN_COMPONENT, normalise_component
from schemas.limits import MAX_CODE


@pytest.mark.parametrize(
    ("description", "code"),
    [
        ("SEAT BELTS:PRETENSIONER", "SEAT_BELTS:PRETENSIONER"),
        ("FUEL/PROPULSION SYSTEM", "FUEL_PROPULSION_SYSTEM"),
        ("SERVICE BRAKES, HYDRAULIC", "SERVICE_BRAKES:HYDRAULIC"),
        (
            "FUEL SYSTEM, GASOLINE:DELIVERY:FUEL PUMP",
            "FUEL_SYSTEM:GASOLINE:DELIVERY:FUEL_PUMP",
        ),
        (
            "ENGINE AND ENGINE COOLING:EXHAUST SYSTEM:MANIFOLD/HEADER/MUFFLER/TAIL PIPE",
            "ENGINE_AND_ENGINE_COOLING:EXHAUST_SYSTEM:MANIFOLD_HEADER_MUFFLER_TAIL_PIPE",
        ),
        ("Chest Clip, Buckle, Harness", "CHEST_CLIP:BUCKLE_HARNESS"),
        (" AIR BAGS :: FRONTAL ", "AIR_BAGS:FRONTAL"),
        ("ÉLECTRIQUE", "LECTRIQUE"),
    ],
)
def test_turns_nhtsa_descriptions_into_component_codes(description: str, code: str) -> None:
    assert normalise_component(description) == code


@pytest.mark.parametrize("description", ["", "   ", "/:/", "::"])
def test_gives_the_catch_all_code_when_nothing_usable_is_left(description: str) -> None:
    assert normalise_component(description) == UNKNOWN_COMPONENT


def test_cuts_long_descriptions_to_the_code_limit_without_a_dangling_separator() -> None:
    code = normalise_component("A" * (MAX_CODE - 1) + " B" * 50)
    assert len(code) <= MAX_CODE
    assert not code.endswith(("_", ":"))


def test_top_level_is_the_most_general_level() -> None:
    assert top_level("ENGINE:COOLING:PUMP") == "ENGINE"
    assert top_level("STEERING") == "STEERING"


def test_a_system_named_with_its_kind_has_the_system_as_top_level() -> None:
    assert top_level(normalise_component("SERVICE BRAKES, HYDRAULIC:ABS")) == "SERVICE_BRAKES"
    assert top_level(normalise_component("SERVICE BRAKES")) == "SERVICE_BRAKES"
