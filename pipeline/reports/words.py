"""Plain words for the report: component names, what each method means, one sentence per flag."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Final

from pipeline.detection.model import ANY, MARKET_SEPARATOR
from pipeline.enrichment.taxonomy import Taxonomy, normalise_component

KTH_IN_WINDOW: Final = re.compile(r"^baseline_(\d+)_in_(\d+)d$")
METHODS: Final[dict[str, str]] = {
    "complaint_signal": (
        "Complaint signal: for products without sales figures (regulator and complaint-site "
        "data). A flag is raised when a product's complaints about one component are far more "
        "than its share of all complaints predicts, when they reach a volume threshold (safety "
        "reports count three times), or when a long-quiet component suddenly collects "
        "complaints. The window is the trailing 365 days."
    ),
    "exposure_rate": (
        "Failure rate per unit in service: for products with sales figures. Expected failures "
        "are the units in service times the normal failure rate of that component (from the "
        "product's own history, adjusted for what happens to the same component on other "
        "products, so seasons do not raise flags). A flag is raised on a sudden burst over the "
        "trailing 21 days or on a lasting rise (about three times the normal rate)."
    ),
}
GLOSSARY: Final[tuple[tuple[str, str], ...]] = (
    (
        "Flag",
        "A product (brand, model, variant) and component failing more often than expected. "
        "It stays open until the failures are back to normal for months.",
    ),
    (
        "Observed / expected",
        "Failures counted in the detector's window (shaded on the chart, dark bars) against "
        "how many were expected there. \u201c12\u00d7\u201d means twelve times as many.",
    ),
    (
        "Score",
        "How far the evidence went past the detector's alarm line: 1 is just at it, higher is "
        "stronger evidence. Open flags are ranked by score.",
    ),
    (
        "Severity",
        "Critical with 5 or more safety reports (crash, fire, injury) in the window; high with "
        "2 or more, or a score of 4 or more; medium with one, or a score of 2 or more; low "
        "otherwise.",
    ),
    (
        "Chance",
        "How often a component with this expectation would collect so many failures by luck "
        "alone. \u201c1 in a million\u201d means it is almost surely real.",
    ),
    (
        "Most frequent failures",
        "Repairs and complaints of a model by component and failure mode, most frequent "
        "first (a Pareto chart); the percentage after each bar is the running share of all "
        "the model's failures.",
    ),
    (
        "Repeat repair",
        "A unit back for the same fault within the watch window after a repair; charged to "
        "the parts that repair fitted.",
    ),
    (
        "NPS",
        "Net promoter score: % of 9\u201310 answers minus % of 0\u20136 answers, \u2212100 to 100.",
    ),
    ("CSAT", "Customer satisfaction, 1 (very unhappy) to 5 (very happy), mean of the answers."),
)


def method_name(method: str) -> str:
    """A method code as a short phrase: ``complaint_signal`` -> "complaint signal"."""
    kth = KTH_IN_WINDOW.match(method)
    if kth:
        return f"{kth.group(1)} failures in {kth.group(2)} days"
    return method.replace("_", " ")


def method_meaning(method: str) -> str:
    kth = KTH_IN_WINDOW.match(method)
    if kth:
        return (
            f"Plain count: a flag on the day a component collects its {kth.group(1)}th failure "
            f"within {kth.group(2)} days. A simple yardstick the other methods must beat."
        )
    return METHODS.get(method, "A detector this report has no description of.")


def variant_text(variant: str) -> str:
    """``*`` as "all variants", a market signature ``rev B@JP`` as "rev B, units in JP"."""
    if variant == ANY:
        return "all variants"
    name, separator, market = variant.partition(MARKET_SEPARATOR)
    return f"{name}, units in {market}" if separator else variant


def component_name(code: str, taxonomy: Taxonomy | None) -> str:
    """The component in words: the taxonomy's name of the code (or of its nearest parent,
    with the rest spelled out), else the code itself made readable."""
    if taxonomy is not None:
        canonical = taxonomy.canonical(normalise_component(code) or code)
        segments = canonical.split(":")
        for depth in range(len(segments), 0, -1):
            name = taxonomy.components.get(":".join(segments[:depth]))
            if name:
                rest = [_readable(part) for part in segments[depth:]]
                return " \u203a ".join([name, *rest])
    return " \u203a ".join(_readable(part) for part in code.split(":"))


def _readable(code: str) -> str:
    words = code.replace("_", " ").strip()
    return words[:1].upper() + words[1:].lower() if words.isupper() else words


def count_of(n: float | None, noun: str) -> str:
    if n is None:
        return f"an unknown number of {noun}s"
    shown = f"{n:,.0f}" if float(n).is_integer() else f"{n:,.1f}"
    return f"{shown} {noun}" + ("" if n == 1 else "s")


def expected_text(expected: float | None) -> str:
    if expected is None:
        return ""
    if expected < 0.05:
        return "almost none"
    return f"{expected:.1f}" if expected < 10 else f"{expected:,.0f}"


def chance_text(chance: float | None) -> str:
    """A probability as "1 in N", rounded to a power of ten past a thousand."""
    if chance is None or chance <= 0 or chance >= 1:
        return ""
    odds = 1 / chance
    if odds < 1000:
        return f"1 in {odds:,.0f}"
    if odds >= 1e9:
        return "less than 1 in a billion"
    if odds >= 1e6:
        return "less than 1 in a million"
    return "less than 1 in a thousand"


def flag_sentence(
    *,
    component: str,
    product: str,
    noun: str,
    observed: float | None,
    expected: float | None,
    window_days: int | None,
    window_end: date | None,
    since: date,
    markets: list[str],
    evidence: Mapping[str, object],
    units: float | None,
) -> str:
    """What is failing, where, since when, how unusual and how many, in one sentence."""
    parts = [f"{component} on {product}: {count_of(observed, noun)}"]
    if window_days and window_end:
        parts.append(f" in the {window_days} days to {window_end.isoformat()}")
    if expected is not None and observed is not None:
        parts.append(f" where {expected_text(expected)} were expected")
        if expected > 0:
            parts.append(f" ({observed / expected:,.1f}\u00d7 as many)")
    parts.append(f", flagged since {since.isoformat()}")
    if markets:
        shown = ", ".join(markets[:3]) + (
            f" and {len(markets) - 3} more" if len(markets) > 3 else ""
        )
        parts.append(f", in {shown}")
    if units:
        parts.append(f", among about {units:,.0f} units in service")
    chance = chance_text(_float(evidence.get("chance")) or _float(evidence.get("p_value")))
    if chance:
        parts.append(f"; odds of this by chance: {chance}")
    return "".join(parts) + "."


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
