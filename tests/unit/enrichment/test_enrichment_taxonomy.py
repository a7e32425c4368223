"""Defect taxonomy: rules per language, failure codes, user extensions, real-data agreement."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pipeline.enrichment.language import detect_language
from pipeline.enrichment.rules import RuleError
from pipeline.enrichment.taxonomy import (
    Taxonomy,
    TaxonomyError,
    classify,
    load_taxonomy,
    normalise_component,
    top_level,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "enrichment"

# The Chinese file's problem categories -> the component families that count as agreeing.
# Service categories (sales fraud, attitude, broken promises) name no component and are left out.
CN_CATEGORY_FAMILIES = {
    "发动机": {"ENGINE", "FUEL_PROPULSION_SYSTEM"},
    "车身": {"BODY", "VISIBILITY", "SEATS"},
    "电气设备": {"ELECTRICAL", "ELECTRONICS", "HVAC", "BACK_OVER_PREVENTION"},
    "传动系": {"TRANSMISSION"},
    "制动系": {"BRAKES"},
    "动力电池及电源管理系统": {"ELECTRIC_PROPULSION"},
    "电力驱动系统": {"ELECTRIC_PROPULSION"},
    "转向系": {"STEERING"},
    "轮胎和车轮": {"TYRES", "WHEELS"},
    "悬架系": {"SUSPENSION"},
    "气囊和安全带": {"AIR_BAGS", "SEAT_BELTS"},
}


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


@pytest.mark.parametrize(
    ("text", "component", "mode", "language"),
    [
        ("发动机水温高，水泵漏防冻液", "ENGINE:COOLING:PUMP", "overheating", "zh"),
        ("空调不制冷，压缩机坏了", "HVAC:COMPRESSOR", "not_cooling", "zh"),
        ("刹车片异常磨损", "BRAKES:PADS_DISCS", "wear", "zh"),
        (
            "The engine overheated and the water pump leaks coolant.",
            "ENGINE:COOLING:PUMP",
            "overheating",
            "en",
        ),
        (
            "My AC blows warm air and the compressor is noisy",
            "HVAC:COMPRESSOR",
            "not_cooling",
            "en",
        ),
        (
            "Die Wasserpumpe ist undicht und der Motor überhitzt.",
            "ENGINE:COOLING:PUMP",
            "overheating",
            "de",
        ),
        ("Die Klimaanlage kühlt nicht mehr", "HVAC", "not_cooling", "de"),
        (
            "El aire acondicionado no enfría y el compresor hace ruido",
            "HVAC:COMPRESSOR",
            "not_cooling",
            "es",
        ),
        ("El coche no arranca y la batería es nueva", "ELECTRICAL:BATTERY", "no_start", "es"),
        (
            "La climatisation ne refroidit plus, le compresseur fait du bruit",
            "HVAC:COMPRESSOR",
            "not_cooling",
            "fr",
        ),
    ],
)
def test_classifies_component_and_failure_mode_in_each_language(
    taxonomy: Taxonomy, text: str, component: str, mode: str, language: str
) -> None:
    result = classify(text, None, None, taxonomy)

    assert (result.component, result.failure_mode, result.language) == (component, mode, language)
    assert 0 < result.confidence <= 1
    assert result.matched


def test_german_compounds_match_their_tail_keyword(taxonomy: Taxonomy) -> None:
    result = classify("Kühlmittelpumpe defekt, ständig Geräusche", "de", None, taxonomy)

    assert result.component == "ENGINE:COOLING:PUMP"
    assert "kuhlmittelpumpe" in result.matched


def test_accents_and_case_do_not_matter(taxonomy: Taxonomy) -> None:
    plain = classify("la bateria esta descargada", "es", None, taxonomy)
    accented = classify("LA BATERÍA ESTÁ DESCARGADA", "es", None, taxonomy)

    assert plain.component == accented.component == "ELECTRICAL:BATTERY"


def test_failure_code_prefix_alone_gives_component_and_mode(taxonomy: Taxonomy) -> None:
    result = classify(None, None, "p0217", taxonomy)

    assert (result.component, result.failure_mode) == ("ENGINE:COOLING", "overheating")
    assert result.matched == ("code:P0217",)
    assert result.language is None


def test_longest_failure_code_prefix_wins(taxonomy: Taxonomy) -> None:
    assert classify(None, None, "P0128", taxonomy).component == "ENGINE:COOLING:THERMOSTAT"
    assert classify(None, None, "P0101", taxonomy).component == "FUEL_PROPULSION_SYSTEM"


def test_failure_code_and_text_together_are_more_confident_than_either(taxonomy: Taxonomy) -> None:
    text_only = classify("coolant temperature is high", "en", None, taxonomy)
    code_only = classify(None, None, "P0217", taxonomy)
    both = classify("coolant temperature is high", "en", "P0217", taxonomy)

    assert both.confidence > max(text_only.confidence, code_only.confidence)


def test_competing_families_lower_the_confidence(taxonomy: Taxonomy) -> None:
    clear = classify("the transmission slips and the gearbox shifts hard", "en", None, taxonomy)
    mixed = classify("the transmission slips and the brakes squeal", "en", None, taxonomy)

    assert clear.confidence > mixed.confidence


def test_text_without_any_keyword_yields_nothing_with_zero_confidence(taxonomy: Taxonomy) -> None:
    result = classify("厂家一直没有联系我", None, None, taxonomy)

    assert (result.component, result.failure_mode, result.confidence) == (None, None, 0.0)
    assert result.language == "zh"


def test_empty_text_and_no_code_classify_as_unknown(taxonomy: Taxonomy) -> None:
    result = classify("   ", "en", None, taxonomy)

    assert (result.component, result.language, result.matched) == (None, None, ())


def test_mode_phrase_does_not_hide_the_component_word_inside_it(taxonomy: Taxonomy) -> None:
    result = classify("Batterie leer, springt nicht an", "de", None, taxonomy)

    assert result.component == "ELECTRICAL:BATTERY"


def test_given_language_with_region_subtag_selects_its_rules(taxonomy: Taxonomy) -> None:
    assert classify("el motor hace ruido", "es-MX", None, taxonomy).language == "es"


def test_short_text_in_undetectable_language_uses_the_best_fitting_rules(
    taxonomy: Taxonomy,
) -> None:
    result = classify("Bremsscheiben verrostet", None, None, taxonomy)

    assert (result.component, result.failure_mode, result.language) == (
        "BRAKES:PADS_DISCS",
        "corrosion",
        "de",
    )


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("发动机异响", "zh"),
        ("エンジンから異音がします", "ja"),
        ("The car would not start when it was cold", "en"),
        ("Der Motor ist nicht mehr angesprungen und die Batterie war leer", "de"),
        ("El coche no arranca cuando hace frío y la batería es nueva", "es"),
        ("La voiture ne démarre pas et le voyant est allumé", "fr"),
        ("P0217", None),
    ],
)
def test_detects_language_from_script_and_stopwords(text: str, language: str | None) -> None:
    assert detect_language(text) == language


def test_user_file_adds_rules_components_and_modes_without_code(tmp_path: Path) -> None:
    user = tmp_path / "dishwashers.toml"
    user.write_text(
        """
[components]
"DISHWASHER:SPRAY_ARM" = "Spray arms"
[failure_modes]
clogging = "Blocked by deposits"
[failure_codes]
E24 = { component = "DISHWASHER:SPRAY_ARM", failure_mode = "clogging" }
[[rules.en]]
component = "DISHWASHER:SPRAY_ARM"
keywords = ["spray arm*"]
weight = 2.0
[[rules.en]]
failure_mode = "clogging"
keywords = ["clogged", "re:block(?:ed|age)"]
""",
        encoding="utf-8",
    )
    extended = load_taxonomy(user)

    by_text = classify("The spray arms are clogged with limescale", "en", None, extended)
    by_regex = classify("spray arm blockage again", "en", None, extended)
    by_code = classify(None, None, "E24", extended)

    assert (by_text.component, by_text.failure_mode) == ("DISHWASHER:SPRAY_ARM", "clogging")
    assert by_regex.failure_mode == "clogging"
    assert by_code.component == "DISHWASHER:SPRAY_ARM"
    assert classify("water pump leaks", "en", None, extended).component == "ENGINE:COOLING:PUMP"


def test_user_file_overrides_the_meaning_of_a_shipped_keyword(tmp_path: Path) -> None:
    user = tmp_path / "override.toml"
    user.write_text(
        '[[rules.en]]\ncomponent = "HVAC:FAN"\nkeywords = ["radiator"]\nweight = 2.0\n',
        encoding="utf-8",
    )

    assert classify("radiator", "en", None, load_taxonomy()).component == "ENGINE:COOLING:RADIATOR"
    assert classify("radiator", "en", None, load_taxonomy(user)).component == "HVAC:FAN"


def test_user_file_can_replace_the_shipped_taxonomy(tmp_path: Path) -> None:
    user = tmp_path / "only.toml"
    user.write_text(
        '[meta]\nreplace = true\n[components]\nPUMP = "Pump"\n'
        '[[rules.en]]\ncomponent = "PUMP"\nkeywords = ["pump"]\n',
        encoding="utf-8",
    )
    replaced = load_taxonomy(user)

    assert set(replaced.components) == {"PUMP"}
    assert classify("the engine is loud", "en", None, replaced).component is None


def test_rule_naming_an_undeclared_component_is_rejected(tmp_path: Path) -> None:
    user = tmp_path / "typo.toml"
    user.write_text('[[rules.en]]\ncomponent = "ENIGNE"\nkeywords = ["motor"]\n', encoding="utf-8")

    with pytest.raises(TaxonomyError, match="ENIGNE"):
        load_taxonomy(user)


def test_regex_with_named_group_is_rejected(tmp_path: Path) -> None:
    user = tmp_path / "regex.toml"
    user.write_text(
        '[[rules.en]]\nfailure_mode = "leak"\nkeywords = ["re:(?P<x>drip)"]\n', encoding="utf-8"
    )

    with pytest.raises(RuleError, match="named groups"):
        load_taxonomy(user)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("SERVICE BRAKES, HYDRAULIC", "SERVICE_BRAKES_HYDRAULIC"),
        ("FUEL/PROPULSION SYSTEM", "FUEL_PROPULSION_SYSTEM"),
        ("ELECTRICAL SYSTEM: 12V/24V/48V BATTERY", "ELECTRICAL_SYSTEM:12V_24V_48V_BATTERY"),
        ("STRUCTURE:BODY:DOOR ", "STRUCTURE:BODY:DOOR"),
        ("air bags", "AIR_BAGS"),
        ("", None),
    ],
)
def test_normalises_free_component_names_to_codes(name: str, code: str | None) -> None:
    assert normalise_component(name) == code


def test_nhtsa_component_names_map_onto_our_codes(taxonomy: Taxonomy) -> None:
    assert taxonomy.canonical("SERVICE_BRAKES_HYDRAULIC:FOUNDATION_COMPONENTS") == (
        "BRAKES:HYDRAULIC:FOUNDATION_COMPONENTS"
    )
    assert taxonomy.canonical("ELECTRICAL_SYSTEM:PROPULSION_SYSTEM:TRACTION_BATTERY") == (
        "ELECTRIC_PROPULSION:TRACTION_BATTERY"
    )
    assert taxonomy.canonical("STEERING") == "STEERING"


def test_agrees_with_chinese_complaint_categories_on_real_sample(taxonomy: Taxonomy) -> None:
    with (FIXTURES / "cn_complaints_sample.csv").open(encoding="utf-8") as handle:
        rows = [
            row for row in csv.DictReader(handle) if row["problem_category"] in CN_CATEGORY_FAMILIES
        ]
    agreeing = 0
    for row in rows:
        result = classify(row["description"], None, None, taxonomy)
        families = CN_CATEGORY_FAMILIES[row["problem_category"]]
        agreeing += result.component is not None and top_level(result.component) in families

    # Measured 0.55 on this slice (0.56 on all 3,448 technical complaints of the full file).
    assert len(rows) == 110
    assert agreeing / len(rows) >= 0.5


def test_agrees_with_nhtsa_component_on_real_narratives(taxonomy: Taxonomy) -> None:
    lines = (FIXTURES / "nhtsa_cmpl_sample.txt").read_text(encoding="utf-8").splitlines()
    scored = agreeing = 0
    for fields in (line.split("\t") for line in lines):
        given = normalise_component(fields[11])
        family = top_level(taxonomy.canonical(given)) if given else None
        if family is None or family == "UNKNOWN_OR_OTHER" or family not in taxonomy.components:
            continue
        result = classify(fields[19], None, None, taxonomy)
        scored += 1
        agreeing += result.component is not None and top_level(result.component) == family

    # Measured 0.75 on this slice (0.71 on all 1,173 scoreable complaints of the week).
    assert scored == 51
    assert agreeing / scored >= 0.65
