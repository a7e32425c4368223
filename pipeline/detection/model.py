"""Failure observations derived from events, and the defect signatures they count toward."""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final, Literal

from pipeline.enrichment.taxonomy import top_level
from schemas.feedback import ComplaintFiled
from schemas.repairs import RepairCompleted

ANY: Final = "*"
"""Wildcard in a Signature field: all variants, all products or all components."""
MARKET_SEPARATOR: Final = "@"
"""``variant@market`` in a Signature's variant: that variant's units in one market only."""

UNKNOWN_COMPONENTS: Final = frozenset({"UNKNOWN", "UNKNOWN_OR_OTHER", "OTHER", "NONE"})
"""Top-level codes that name no component; a catch-all is not a defect signature."""
NON_PRODUCT_COMPONENTS: Final = frozenset(
    {
        "SALES_PRACTICES",
        "BROKEN_PROMISE",
        "SERVICE_ATTITUDE",
        "SERVICE_CHARGES",
        "SERVICE_SKILL",
        "SPARE_PARTS",
        "PRICING",
        "DELIVERY",
        "WARRANTY_DISPUTE",
        "DEALER",
        "CUSTOMER_SERVICE",
    }
)
"""Top-level codes about how a product was sold or serviced, not about the product (the
taxonomy's ``[non_product]`` table): they belong to dealer and service KPIs and the case book,
and never count toward a defect signature, whatever their text mentions."""

ObservationKind = Literal["complaint", "repair"]
ComponentInferrer = Callable[[str], str | None]

# Substrings, matched case-insensitively; stems so that "injured", "injuries" and "stalled" hit.
SAFETY_WORDS: Final = (
    # English
    "fire", "smoke", "flame", "burn", "crash", "collision", "injur", "death", "killed",
    "brake failure", "brakes failed", "loss of brak", "stall", "airbag did not", "runaway",
    "sudden acceleration", "explod", "explosion", "electric shock",
    # Chinese
    "起火", "着火", "冒烟", "自燃", "刹车失灵", "制动失灵", "熄火", "事故", "受伤", "死亡", "爆炸",
    "漏电",
    # German ("Brand" is matched case-sensitively below: "brand new" is no fire)
    "feuer", "rauch", "unfall", "verletz", "bremsversagen", "explosion", "stromschlag",
    # Spanish
    "incendio", "fuego", "humo", "accidente", "herido", "lesion", "muerte", "falla de freno",
    "explosi",
    # French
    "incendie", "fumée", "accident", "blessé", "défaillance de frein",
)  # fmt: skip
# Latin-script words must start at a word boundary ("install" is no stall); CJK has no spaces.
_SAFETY_PATTERN: Final = re.compile(
    "|".join(
        (r"\b" if word[0].isascii() else "") + re.escape(word) for word in sorted(set(SAFETY_WORDS))
    ),
    re.IGNORECASE,
)
_GERMAN_FIRE: Final = re.compile(r"\bBrand(?:es|s)?\b")


@dataclass(frozen=True, slots=True, order=True)
class Signature:
    """What a recurring defect is about: a product (or all its variants) and a top-level component.

    ``variant == "*"`` is the model-level signature; ``variant == "2022@CN"`` the variant's
    units in one market (a defect of one plant or climate hides in the pooled signature);
    ``brand == model == "*"`` with a real component is the component's total over all products
    (``variant == "*@CN"``: in one market); ``component == "*"`` is a product's total over all
    components. The last two are references for disproportionality and peer baselines.
    """

    brand: str
    model: str
    variant: str
    component: str

    @property
    def is_reference(self) -> bool:
        return ANY in (self.component, self.model)

    @property
    def market(self) -> str | None:
        """The market a market-level signature is limited to; None when it pools all markets."""
        _, separator, market = self.variant.partition(MARKET_SEPARATOR)
        return market if separator else None

    @property
    def pooled(self) -> Signature:
        """The same signature over all markets."""
        variant = self.variant.partition(MARKET_SEPARATOR)[0]
        return Signature(self.brand, self.model, variant, self.component)

    @property
    def label(self) -> str:
        return "/".join((self.brand, self.model, self.variant, self.component))


@dataclass(frozen=True, slots=True)
class Observation:
    """One failure seen in the field: a complaint or a repair, in event time (``at`` in UTC, so
    that one event day means the same thing in every market)."""

    event_id: str
    at: datetime
    brand: str
    model: str
    variant: str | None
    component: str
    kind: ObservationKind
    severe: bool
    market: str
    lot: str | None = None
    serial: str | None = None
    complaint_id: str | None = None
    """The report this observation is one row of: a complaint filed on several components gives
    one observation per component, which count once per signature. None: a report of its own."""

    @property
    def day(self) -> date:
        return self.at.date()

    @property
    def report_key(self) -> str:
        """What counts once per signature: the complaint, else the event itself."""
        return f"complaint:{self.complaint_id}" if self.complaint_id else f"event:{self.event_id}"


@dataclass(frozen=True, slots=True)
class DayCount:
    """Observations on one signature on one day; ``severe`` of them involved safety."""

    n: int
    severe: int = 0

    def __add__(self, other: DayCount) -> DayCount:
        return DayCount(self.n + other.n, self.severe + other.severe)


def mentions_safety(text: str | None) -> bool:
    """True when free text names a fire, crash, injury, brake failure or stall, in any language."""
    if not text:
        return False
    return _SAFETY_PATTERN.search(text) is not None or _GERMAN_FIRE.search(text) is not None


def observation_from_event(
    event: object, infer_component: ComponentInferrer | None = None
) -> Observation | None:
    """The failure observation a complaint or repair carries; None for other events.

    A complaint without a usable component (missing or a catch-all such as ``UNKNOWN_OR_OTHER``)
    is kept only when ``infer_component`` finds one in its text.
    """
    if isinstance(event, ComplaintFiled):
        if event.component and not is_product_component(event.component):
            return None
        component = _usable(event.component)
        if component is None and infer_component is not None and event.text:
            component = _usable(infer_component(event.text))
        if component is None:
            return None
        severe = (
            event.crash
            or event.fire
            or event.injuries > 0
            or event.deaths > 0
            or mentions_safety(event.text)
        )
        return Observation(
            event_id=str(event.event_id),
            at=event.occurred_at.astimezone(UTC),
            brand=event.product.brand,
            model=event.product.model,
            variant=event.product.variant,
            component=component,
            kind="complaint",
            severe=severe,
            market=event.market,
            lot=event.product.lot,
            serial=event.product.serial,
            complaint_id=event.complaint_id,
        )
    if isinstance(event, RepairCompleted):
        repair_component = _usable(event.component)
        if repair_component is None:
            return None
        text = " ".join(t for t in (event.diagnosis, event.failure_mode) if t)
        return Observation(
            event_id=str(event.event_id),
            at=event.occurred_at.astimezone(UTC),
            brand=event.product.brand,
            model=event.product.model,
            variant=event.product.variant,
            component=repair_component,
            kind="repair",
            severe=mentions_safety(text),
            market=event.market,
            lot=event.product.lot,
            serial=event.product.serial,
        )
    return None


def is_product_component(component: str) -> bool:
    """False for a code about selling or servicing (``SERVICE_ATTITUDE:RUDE``), true otherwise."""
    return top_level(component) not in NON_PRODUCT_COMPONENTS


def _usable(component: str | None) -> str | None:
    if (
        not component
        or top_level(component) in UNKNOWN_COMPONENTS
        or not is_product_component(component)
    ):
        return None
    return component


def signatures_of(obs: Observation) -> tuple[Signature, ...]:
    """Every count key an observation increments, monitored signatures first.

    1. ``(brand, model, variant, TOP)``: the variant-level signature (skipped without a variant);
    2. ``(brand, model, *, TOP)``: the model-level signature, all variants pooled;
    3. ``(brand, model, variant@market, TOP)``: the variant in the observation's market (skipped
       without a variant; evaluated only where the installed base is known per market);
    4. ``(brand, model, variant, *)`` and ``(brand, model, *, *)``: the product's total over all
       components, the "rest of the product" in a disproportionality table;
    5. ``(*, *, *, TOP)`` and ``(*, *, *@market, TOP)``: the component's total over all products,
       everywhere and in the observation's market (the market's peers: seasons differ by market);
    6. ``(*, *, *, *)``: the grand total.
    """
    component = top_level(obs.component)
    in_market = f"{MARKET_SEPARATOR}{obs.market}"
    keys: list[Signature] = []
    if obs.variant:
        keys.append(Signature(obs.brand, obs.model, obs.variant, component))
    keys.append(Signature(obs.brand, obs.model, ANY, component))
    if obs.variant:
        keys.append(Signature(obs.brand, obs.model, obs.variant + in_market, component))
        keys.append(Signature(obs.brand, obs.model, obs.variant, ANY))
    keys.append(Signature(obs.brand, obs.model, ANY, ANY))
    keys.append(Signature(ANY, ANY, ANY, component))
    keys.append(Signature(ANY, ANY, ANY + in_market, component))
    keys.append(Signature(ANY, ANY, ANY, ANY))
    return tuple(keys)


def monitored(signatures: Iterable[Signature]) -> list[Signature]:
    """The signatures worth evaluating (not the reference totals), in a stable order."""
    return sorted({s for s in signatures if not s.is_reference})


def references_of(signature: Signature) -> tuple[Signature, Signature, Signature]:
    """(product total, component total, grand total) for a monitored signature."""
    return (
        Signature(signature.brand, signature.model, signature.variant, ANY),
        Signature(ANY, ANY, ANY, signature.component),
        Signature(ANY, ANY, ANY, ANY),
    )


CountedKey = tuple[str, Signature]
"""(report_key, signature): a report counts at most once towards a signature."""


def counted_keys(observations: Iterable[Observation]) -> set[CountedKey]:
    """Every (report, signature) pair the observations touch: what a ledger of counted reports
    must remember so that a later batch holding more rows of the same report adds nothing."""
    return {(obs.report_key, s) for obs in observations for s in signatures_of(obs)}


def count_increments(
    observations: Iterable[Observation],
    already_counted: Container[CountedKey] = frozenset(),
) -> dict[tuple[Signature, date], DayCount]:
    """The daily count increments a batch of observations adds.

    Each report counts once per signature: a complaint filed on ``ENGINE`` and
    ``ENGINE:COOLING`` is one ``ENGINE`` complaint, and one complaint in the product's and the
    grand total. Pairs in ``already_counted`` (reports counted by earlier batches; see
    ``counted_keys``) add nothing. Within a batch the earliest row (then the lowest event id) of a
    report sets its day, so the increments do not depend on the order of the batch; a report
    whose rows are split over batches counts on the day of the first batch that holds it.
    A severe row makes its report's count severe.
    """
    chosen: dict[CountedKey, tuple[date, bool]] = {}
    for obs in sorted(observations, key=lambda o: (o.at, o.event_id)):
        # Once per observation, not per signature: a replay batch holds tens of thousands.
        report, day, severe = obs.report_key, obs.day, obs.severe
        for signature in signatures_of(obs):
            key = (report, signature)
            if key in already_counted:
                continue
            previous = chosen.get(key)
            if previous is None:
                chosen[key] = (day, severe)
            elif severe and not previous[1]:
                chosen[key] = (previous[0], True)
    increments: dict[tuple[Signature, date], DayCount] = {}
    for (_, signature), (day, severe) in chosen.items():
        one = DayCount(1, 1 if severe else 0)
        previous_count = increments.get((signature, day))
        increments[(signature, day)] = one if previous_count is None else previous_count + one
    return increments
