"""Defect taxonomy: free text and failure codes -> hierarchical component code and failure mode."""

from __future__ import annotations

import math
import re
import tomllib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, NamedTuple

from pipeline.common.errors import PipelineError
from pipeline.enrichment.language import detect_language, normalise, primary_subtag
from pipeline.enrichment.rules import Hit, Matcher, Rule

DEFAULT_TAXONOMY: Final = Path(__file__).parent / "data" / "taxonomy.toml"
COMMON: Final = "*"
"""Rules under this key apply to texts in every language (acronyms such as ABS, ECU, DPF)."""
FALLBACK_LANGUAGE: Final = "en"
CODE_WEIGHT: Final = 3.0
# Evidence of this total weight gives a confidence of 1 - 1/e (~0.63) when nothing competes.
CONFIDENCE_SCALE: Final = 2.0
_NOT_IN_CODE: Final = re.compile(r"[^A-Z0-9_]+")
_CODE: Final = re.compile(r"^[A-Z0-9_]+(:[A-Z0-9_]+)*$")
_MAX_MATCHED: Final = 16


class TaxonomyError(PipelineError):
    """A taxonomy file is malformed or refers to an undeclared component or failure mode."""


@dataclass(frozen=True, slots=True)
class Classification:
    component: str | None
    failure_mode: str | None
    confidence: float
    """0..1: strength of the winning evidence times its share of all evidence (component first,
    failure mode when no component was found, 0 when nothing matched)."""
    matched: tuple[str, ...]
    language: str | None


@dataclass(frozen=True, slots=True)
class Taxonomy:
    components: Mapping[str, str]
    failure_modes: Mapping[str, str]
    aliases: Mapping[str, str]
    failure_codes: Mapping[str, Rule]
    matchers: Mapping[str, Matcher]
    sources: tuple[str, ...]
    non_product: frozenset[str] = frozenset()
    """Top-level codes about selling or servicing, not the product (``[non_product]``)."""

    def is_product(self, code: str) -> bool:
        """False for a code whose top level is about selling or servicing, not the product."""
        return top_level(code) not in self.non_product

    def canonical(self, code: str) -> str:
        """Map an alias (e.g. NHTSA's SERVICE_BRAKES:DISC) onto our code (BRAKES:DISC)."""
        segments = code.split(":")
        for depth in range(len(segments), 0, -1):
            target = self.aliases.get(":".join(segments[:depth]))
            if target is not None:
                return ":".join([target, *segments[depth:]])
        return code


def normalise_component(name: str | None) -> str | None:
    """A free component name as a code: upper case, runs of other characters -> "_", ":" kept.

    "SERVICE BRAKES, HYDRAULIC" -> "SERVICE_BRAKES_HYDRAULIC";
    "ELECTRICAL SYSTEM: 12V/24V/48V BATTERY" -> "ELECTRICAL_SYSTEM:12V_24V_48V_BATTERY".
    """
    if not name:
        return None
    segments = (_NOT_IN_CODE.sub("_", part.strip().upper()).strip("_") for part in name.split(":"))
    return ":".join(segment for segment in segments if segment) or None


def top_level(code: str) -> str:
    """The rolled-up component code: ``ENGINE:COOLING:PUMP`` -> ``ENGINE``."""
    return code.split(":", 1)[0]


def load_taxonomy(*paths: str | Path | None, include_default: bool = True) -> Taxonomy:
    """The shipped taxonomy, extended or overridden by each user file in order.

    A user file adds rules, components, failure modes, aliases and failure-code prefixes; a
    keyword it repeats takes the user's meaning; `[meta] replace = true` drops what came before.
    """
    files = [DEFAULT_TAXONOMY] if include_default else []
    files += [Path(path) for path in paths if path is not None]
    merged: dict[str, Any] = _empty_spec()
    for file in files:
        try:
            spec = tomllib.loads(file.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise TaxonomyError(f"cannot read taxonomy file {file}: {exc}") from exc
        if spec.get("meta", {}).get("replace", False):
            merged = _empty_spec()
        _merge(merged, spec, file)
    return _build(merged, tuple(str(file) for file in files))


def _empty_spec() -> dict[str, Any]:
    return {
        "components": {},
        "failure_modes": {},
        "aliases": {},
        "failure_codes": {},
        "languages": {},
        "non_product": {},
        "rules": defaultdict(list),
    }


def _merge(merged: dict[str, Any], spec: Mapping[str, Any], file: Path) -> None:
    for table in (
        "components",
        "failure_modes",
        "aliases",
        "failure_codes",
        "languages",
        "non_product",
    ):
        merged[table].update(spec.get(table, {}))
    for language, groups in spec.get("rules", {}).items():
        if not isinstance(groups, list):
            raise TaxonomyError(f"{file}: rules.{language} must be an array of tables [[...]]")
        merged["rules"][language].extend(groups)


def _build(spec: Mapping[str, Any], sources: tuple[str, ...]) -> Taxonomy:
    components = dict(spec["components"])
    for code in list(components):
        _check_code(code)
        parts = code.split(":")
        for depth in range(1, len(parts)):
            components.setdefault(":".join(parts[:depth]), "")
    failure_modes = dict(spec["failure_modes"])

    def rule(term: str, entry: Mapping[str, Any], default_weight: float) -> Rule:
        component = entry.get("component") or None
        mode = entry.get("failure_mode") or None
        weight = float(entry.get("weight", default_weight))
        if component is not None and component not in components:
            raise TaxonomyError(
                f"{term!r}: component {component!r} is not declared in [components]"
            )
        if mode is not None and mode not in failure_modes:
            raise TaxonomyError(f"{term!r}: failure mode {mode!r} is not in [failure_modes]")
        if component is None and mode is None:
            raise TaxonomyError(f"{term!r}: give a component, a failure_mode or both")
        if not 0 < weight <= 10:
            raise TaxonomyError(f"{term!r}: weight {weight} must be in (0, 10]")
        return Rule(term, component, mode, weight)

    aliases = {normalise_component(k) or k: v for k, v in spec["aliases"].items()}
    for alias, target in aliases.items():
        if target not in components:
            raise TaxonomyError(f"alias {alias!r} points to undeclared component {target!r}")
    codes = {
        _code_key(prefix): rule(f"code:{prefix}", entry, CODE_WEIGHT)
        for prefix, entry in spec["failure_codes"].items()
    }
    by_language: dict[str, list[Rule]] = {}
    for language, groups in spec["rules"].items():
        by_language[language] = [
            rule(str(term), group, 1.0) for group in groups for term in group.get("keywords", [])
        ]
    common = by_language.pop(COMMON, [])
    matchers = {COMMON: Matcher([], spaced=True, common=common)}
    for language, rules in by_language.items():
        spaced = bool(spec["languages"].get(language, {}).get("spaced", True))
        matchers[language] = Matcher(rules, spaced=spaced, common=common)
    non_product = frozenset(spec["non_product"])
    for code in non_product:
        _check_code(code)
        if code in components:
            raise TaxonomyError(f"{code!r} is both a product component and in [non_product]")
    return Taxonomy(components, failure_modes, aliases, codes, matchers, sources, non_product)


def _check_code(code: str) -> None:
    if not _CODE.match(code):
        raise TaxonomyError(f"component {code!r} is not a code like ENGINE:COOLING:PUMP")


def _code_key(code: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", code.upper())


def _code_rule(failure_code: str | None, taxonomy: Taxonomy) -> Rule | None:
    if not failure_code:
        return None
    key = _code_key(failure_code)
    for end in range(len(key), 0, -1):
        found = taxonomy.failure_codes.get(key[:end])
        if found is not None:
            return found
    return None


def classify(
    text: str | None, language: str | None, failure_code: str | None, taxonomy: Taxonomy
) -> Classification:
    """Component and failure mode that a text and/or failure code point to, with a confidence.

    The sender's language is used when the taxonomy has rules for it; otherwise it is detected.
    """
    evidence: list[_Evidence] = []
    used_language: str | None = None
    if text and not text.isspace():
        normalised = normalise(text)
        given = primary_subtag(language)
        if given in taxonomy.matchers and given != COMMON:
            used_language = given
        else:
            used_language = detect_language(text, normalised)
        if used_language is None:
            used_language, hits = _best_fitting_language(normalised, taxonomy)
        else:
            hits = taxonomy.matchers.get(used_language, taxonomy.matchers[COMMON]).hits(normalised)
        evidence = [_Evidence(hit.rule, hit.position, hit.rule.weight) for hit in hits]
    code_rule = _code_rule(failure_code, taxonomy)
    if code_rule is not None:
        evidence.insert(0, _Evidence(code_rule, -1, code_rule.weight))
    component, component_confidence = _pick_component(evidence)
    mode, mode_confidence = _pick(evidence, lambda rule: rule.failure_mode)
    confidence = component_confidence if component is not None else mode_confidence
    matched = tuple(dict.fromkeys(item.rule.term for item in evidence))[:_MAX_MATCHED]
    return Classification(component, mode, round(confidence, 3), matched, used_language)


def _best_fitting_language(normalised: str, taxonomy: Taxonomy) -> tuple[str | None, list[Hit]]:
    """For texts too short to detect ("Bremse quietscht"): the language whose rules fit best."""
    best: tuple[float, str | None, list[Hit]] = (0.0, None, [])
    for language, matcher in taxonomy.matchers.items():
        hits = matcher.hits(normalised)
        score = sum(hit.rule.weight for hit in hits)
        if score > best[0] or (score == best[0] and language == FALLBACK_LANGUAGE):
            best = (score, None if language == COMMON else language, hits)
    return best[1], best[2]


class _Evidence(NamedTuple):
    rule: Rule
    position: int
    weight: float


def _confidence(best: float, total: float) -> float:
    return (1.0 - math.exp(-best / CONFIDENCE_SCALE)) * (best / total) if total > 0 else 0.0


def _pick(evidence: Sequence[_Evidence], key: Any) -> tuple[str | None, float]:
    scores: dict[str, float] = defaultdict(float)
    first: dict[str, int] = {}
    for item in evidence:
        label = key(item.rule)
        if label is not None:
            scores[label] += item.weight
            first.setdefault(label, item.position)
    if not scores:
        return None, 0.0
    # Ties go to what the text mentions first.
    best = max(scores, key=lambda label: (scores[label], -first[label]))
    return best, _confidence(scores[best], sum(scores.values()))


def _pick_component(evidence: Sequence[_Evidence]) -> tuple[str | None, float]:
    """Best top-level family by summed weight, then down the hierarchy while one child leads."""
    top, confidence = _pick(evidence, lambda rule: rule.component and top_level(rule.component))
    if top is None:
        return None, 0.0
    scores: dict[str, float] = defaultdict(float)
    for item in evidence:
        if item.rule.component and top_level(item.rule.component) == top:
            scores[item.rule.component] += item.weight
    current = top
    while True:
        depth = current.count(":") + 2
        children: dict[str, float] = defaultdict(float)
        for code, score in scores.items():
            if code.startswith(current + ":"):
                children[":".join(code.split(":")[:depth])] += score
        ranked = sorted(children.items(), key=lambda item: item[1], reverse=True)
        if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
            return current, confidence
        current = ranked[0][0]
