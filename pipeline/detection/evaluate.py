"""The one entry point the worker calls after each batch: signatures in, flag episodes out."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np

from pipeline.detection.complaints import METHOD as COMPLAINT_METHOD
from pipeline.detection.complaints import complaint_signal
from pipeline.detection.episodes import FlagEpisode, Running, Verdict, episodes_from_signal
from pipeline.detection.exposure import (
    daily_sales,
    exposure_from_sales,
    exposure_signal,
    own_early_rate,
    own_trailing_rate,
    peer_index,
    peer_rate,
)
from pipeline.detection.model import (
    ANY,
    MARKET_SEPARATOR,
    Signature,
    monitored,
    references_of,
)
from pipeline.detection.params import DetectionParams
from pipeline.detection.ports import CountStore, FloatArray, InstalledBase, Series

ProductKey = tuple[str, str, str]
MAX_GRID_DAYS = 36_600
"""A century of days: a longer grid means a count or a sales month on an absurd day."""


def evaluate(
    signatures: Iterable[Signature],
    store: CountStore,
    installed_base: InstalledBase | None = None,
    params: DetectionParams | None = None,
    as_of: date | None = None,
) -> dict[Signature, list[FlagEpisode]]:
    """Every flag episode of each monitored signature, recomputed from its count series.

    A pure function of the stored counts (and installed base) up to ``as_of``: the same counts
    give the same episodes whatever order or batches they arrived in. Reference keys among
    ``signatures`` (those with a ``*`` component or product) are ignored. A signature whose
    product has units sold on record uses the exposure detector, any other the complaint detector.
    ``as_of=None`` evaluates up to the latest day in the signature's own and reference series.

    Episodes also close on days without new observations: the caller should re-evaluate the
    signatures with open episodes when its event-time watermark advances (e.g. daily), not only
    those a batch touched, to publish closures.
    """
    params = params or DetectionParams()
    found, _, failed = _signals(signatures, store, installed_base, params, as_of, anchored=False)
    if failed:
        # The offline caller wants every signature or an error, as before.
        raise next(iter(failed.values()))
    return {
        signature: [
            episode
            for scored in signals
            for episode in episodes_from_signal(
                signature, scored.signal, scored.params, scored.close_after_days
            )
        ]
        for signature, signals in found.items()
    }


@dataclass(frozen=True, slots=True)
class Signals:
    """What :func:`daily_signals` found: per signature its verdicts (none: nothing to judge yet,
    or judged elsewhere) and the last day with counts of its own; and the signatures that
    failed, with the error, so that one bad series never stops the others."""

    found: dict[Signature, list[Verdict]]
    last_count_day: dict[Signature, int | None]
    failed: dict[Signature, Exception]


def daily_signals(
    signatures: Iterable[Signature],
    store: CountStore,
    installed_base: InstalledBase | None,
    params: DetectionParams,
    through: date,
    resume: Mapping[Signature, Resume] | None = None,
) -> Signals:
    """Each monitored signature's daily verdict from its first day with counts to ``through``.

    The grid is anchored at the signature's own first day, not at ``through``, and every
    detector is causal, so the verdict for a day does not depend on how far the grid reaches:
    walking it in pieces (rounds) gives what one walk over the whole history gives.

    ``resume`` (see :func:`resume_from`) names, per signature, the first day whose verdict is
    needed and the episode open the day before: a complaint signature's counts are then read
    from :func:`lookback_days` before that day only, and its verdict is exact from that day
    on, so a round costs the days that changed, not the history. Without ``resume`` every
    series is read whole. The exposure detector's CUSUM carries
    its state through the whole history: those signatures are always read in full.
    """
    found, last, failed = _signals(
        signatures, store, installed_base, params, through, anchored=True, resume=resume
    )
    return Signals(found, last, failed)


def lookback_days(params: DetectionParams) -> int:
    """How many days before a day the complaint signal reads: the surge compares the last
    ``surge_recent_days`` with the ``window_days`` before them."""
    return params.window_days + params.surge_recent_days


@dataclass(frozen=True, slots=True)
class Resume:
    """Where a signature's next round starts: the first day to judge, and the episode open
    on the day before it (None: none open)."""

    day: int
    running: Running | None = None


def resume_from(
    judged: date | None, published: Iterable[FlagEpisode], running: Running | None
) -> Resume | None:
    """How a round goes on from what was published through ``judged`` and the episode that
    was open then. None (judge the whole history): never judged, a published episode of a
    method the complaint detector does not produce, or an open one the state does not carry
    (judged before the state carried it)."""
    if judged is None:
        return None
    open_ids = set()
    for episode in published:
        if episode.method != COMPLAINT_METHOD:
            return None
        if episode.is_open:
            open_ids.add(episode.flag_id)
    carried = {running.episode.flag_id} if running is not None else set()
    if open_ids != carried:
        return None
    return Resume(judged.toordinal() + 1, running)


def _signals(
    signatures: Iterable[Signature],
    store: CountStore,
    installed_base: InstalledBase | None,
    params: DetectionParams,
    as_of: date | None,
    *,
    anchored: bool,
    resume: Mapping[Signature, Resume] | None = None,
) -> tuple[dict[Signature, list[Verdict]], dict[Signature, int | None], dict[Signature, Exception]]:
    targets = [s for s in monitored(signatures) if params.monitor_model_level or s.variant != ANY]
    with_base = {s for s in targets if _sales(installed_base, s)}
    if installed_base is not None and params.monitor_markets:
        # A variant sold in one market only has a market signature equal to its own.
        markets = _markets_per_variant(installed_base)
        with_base = {
            s
            for s in with_base
            if s.market is None or markets.get(replace(s.pooled, component=ANY), 0) > 1
        }
    else:
        with_base = {s for s in with_base if s.market is None}
    needed: dict[Signature, list[Signature]] = {}
    for signature in targets:
        needed.setdefault(signature, []).append(signature)
        if signature in with_base:
            related = [_peer_component(signature)]
            if signature.market is None:
                related.append(
                    Signature(signature.brand, signature.model, ANY, signature.component)
                )
        elif signature.market is None:
            related = [
                *references_of(signature),
                replace(signature, variant=ANY),
                Signature(signature.brand, signature.model, ANY, ANY),
            ]
        else:
            related = []
        for key in related:
            needed.setdefault(key, []).append(signature)
    resumed = _resumed(targets, with_base, store, params, resume) if resume is not None else {}
    if resumed:
        floors = {s: r.floor for s, r in resumed.items()}
        series = store.series_from(
            {key: _earliest(floors, dependents) for key, dependents in needed.items()}
        )
    else:
        since = None
        if as_of is not None and not anchored:
            since = as_of - timedelta(days=params.history_days + 1)
        series = store.series(sorted(needed), since)
    history = None if anchored else params.history_days
    exposures = (
        _Exposures(installed_base, params, series, as_of)
        if installed_base is not None and with_base
        else None
    )

    result: dict[Signature, list[Verdict]] = {}
    failed: dict[Signature, Exception] = {}
    for signature in targets:
        try:
            if exposures is not None and signature in with_base:
                scored = _with_base(signature, series, exposures, params, history)
            elif signature.market is not None:
                # Without units sold per market, a market's complaints are judged in the pooled
                # one.
                scored = None
            else:
                scored = _without_base(
                    signature, series, params, as_of, history, resumed.get(signature)
                )
        except Exception as exc:  # noqa: BLE001 - one signature's bad data must not stop the rest
            failed[signature] = exc
            continue
        result[signature] = [] if scored is None else [scored]
    last = {
        s: (r.last if (r := resumed.get(s)) is not None else series[s].last_day) for s in targets
    }
    return result, last, failed


@dataclass(frozen=True, slots=True)
class _Resumed:
    """A complaint signature read from ``floor`` on: its first day with counts or, resumed,
    the lookback before ``exact``, the first day its verdict is needed (None: all)."""

    exact: int | None
    running: Running | None
    floor: int
    first: int | None
    """The first and last day of its whole series (None: no counts)."""
    last: int | None


def _resumed(
    targets: Iterable[Signature],
    with_base: Collection[Signature],
    store: CountStore,
    params: DetectionParams,
    resume: Mapping[Signature, Resume],
) -> dict[Signature, _Resumed]:
    """Where each complaint signature's grid starts. Its signal reads nothing before its own
    first day, so neither its series nor those it is compared with are read from earlier."""
    wanted = [s for s in targets if s not in with_base and s.market is None]
    if not wanted:
        return {}
    reach = lookback_days(params)
    found: dict[Signature, _Resumed] = {}
    woken = _first_alarm_possible(store, params, resume, wanted)
    for signature, days in store.day_range(wanted).items():
        start = resume.get(signature)
        exact = start.day if start is not None else None
        if signature in woken:
            exact = woken[signature]
        first, last = days if days is not None else (None, None)
        if first is None:
            # Nothing to judge: read nothing before the day it would be judged from.
            floor = exact - reach if exact is not None else date.max.toordinal()
        else:
            floor = first if exact is None else max(first, exact - reach)
        running = start.running if start is not None else None
        found[signature] = _Resumed(exact, running, floor, first, last)
    return found


def _first_alarm_possible(
    store: CountStore,
    params: DetectionParams,
    resume: Mapping[Signature, Resume],
    wanted: Iterable[Signature],
) -> dict[Signature, int]:
    """For signatures with no episode open, the first day to judge that may alarm: every
    trigger needs complaints of the signature's own in its window, so a signature quiet for
    years (judged last long ago) is read from its next complaint on, not from its last day
    judged, and the series it is compared with are read no further back either."""
    if params.min_weighted_count <= 0 or params.dispro_min_count < 1 or params.surge_min_count < 1:
        return {}
    quiet = {
        s: r.day - (params.window_days - 1)
        for s in wanted
        if (r := resume.get(s)) is not None and r.running is None
    }
    if not quiet:
        return {}
    never = date.max.toordinal() - lookback_days(params)
    return {
        s: never if day is None else max(resume[s].day, day)
        for s, day in store.first_day_from(quiet).items()
    }


def _earliest(floors: Mapping[Signature, int], dependents: Iterable[Signature]) -> int | None:
    """The first day a series is needed from: the earliest of its readers' (None: all of it)."""
    days = [floors.get(s) for s in dependents]
    return None if any(d is None for d in days) else min(d for d in days if d is not None)


def _sales(installed_base: InstalledBase | None, signature: Signature) -> bool:
    if installed_base is None:
        return False
    return bool(installed_base.monthly_sales(signature.brand, signature.model, signature.variant))


def _markets_per_variant(installed_base: InstalledBase) -> dict[Signature, int]:
    """How many markets each variant sells in, keyed by its pooled signature (component ``*``)."""
    counts: dict[Signature, int] = {}
    for brand, model, variant in installed_base.products():
        pooled, separator, _ = variant.partition(MARKET_SEPARATOR)
        if separator and pooled != ANY:
            key = Signature(brand, model, pooled, ANY)
            counts[key] = counts.get(key, 0) + 1
    return counts


def _peer_component(signature: Signature) -> Signature:
    """The component's total over all products, in the signature's market when it has one."""
    market = signature.market
    variant = ANY if market is None else f"{ANY}{MARKET_SEPARATOR}{market}"
    return Signature(ANY, ANY, variant, signature.component)


def _grid(
    own_first: int | None,
    related: Iterable[Series],
    as_of: date | None,
    history_days: int | None,
    floor: int | None = None,
) -> tuple[int, int] | None:
    """The days to judge: from the own first day (or ``history_days`` back, or ``floor``, the
    first day read) to ``as_of``."""
    if own_first is None:
        return None
    if as_of is not None:
        end = as_of.toordinal()
    else:
        end = max(s.last_day for s in related if s.last_day is not None)
    start = own_first if history_days is None else max(own_first, end - history_days)
    if end - start > MAX_GRID_DAYS:
        raise ValueError(
            f"{end - start} days from the first count to {date.fromordinal(end)}: more than "
            f"{MAX_GRID_DAYS}; check the signature's counts for a wrong day"
        )
    if floor is not None:
        start = max(start, floor)
    return (start, end) if start <= end else None


def _without_base(
    signature: Signature,
    series: Mapping[Signature, Series],
    params: DetectionParams,
    as_of: date | None,
    history_days: int | None,
    resumed: _Resumed | None = None,
) -> Verdict | None:
    params = complaint_params(signature, params)
    own = series[signature]
    product, component, grand = (series[key] for key in references_of(signature))
    model_component = series.get(replace(signature, variant=ANY), Series.empty())
    model_total = series.get(Signature(signature.brand, signature.model, ANY, ANY), Series.empty())
    related = (own, product, component, grand)
    if resumed is None:
        grid = _grid(own.first_day, related, as_of, history_days)
    else:
        grid = _grid(resumed.first, related, as_of, history_days, resumed.floor)
    if grid is None:
        return None
    start, end = grid
    counts, severe = own.dense(start, end)
    signal = complaint_signal(
        start=start,
        counts=counts,
        severe=severe,
        product_total=product.dense(start, end)[0],
        component_total=component.dense(start, end)[0],
        grand_total=grand.dense(start, end)[0],
        params=params,
        model_component=model_component.dense(start, end)[0],
        model_total=model_total.dense(start, end)[0],
    )
    if resumed is None:
        return Verdict(signal, params, params.complaint_close_after_days)
    return Verdict(
        signal, params, params.complaint_close_after_days, resumed.exact, resumed.running
    )


def complaint_params(signature: Signature, params: DetectionParams) -> DetectionParams:
    """The thresholds for this signature: higher counts for a model-level (pooled) signature."""
    if signature.variant != ANY or params.model_level_factor == 1.0:
        return params
    factor = params.model_level_factor
    return replace(
        params,
        min_weighted_count=params.min_weighted_count * factor,
        dispro_min_count=round(params.dispro_min_count * factor),
        surge_min_count=round(params.surge_min_count * factor),
    )


class _Exposures:
    """Hazard-weighted unit-days per product on one grid shared by every signature of a call.

    Exposure on a day does not depend on the grid's extent, so slicing it keeps results
    independent of which other signatures were evaluated alongside.
    """

    def __init__(
        self,
        installed_base: InstalledBase,
        params: DetectionParams,
        series: Mapping[Signature, Series],
        as_of: date | None,
    ) -> None:
        self.installed_base = installed_base
        self.params = params
        products = sorted(installed_base.products())
        self.models = [p for p in products if p[2] == ANY]
        self.in_markets = [
            p for p in products if MARKET_SEPARATOR in p[2] and not p[2].startswith(ANY)
        ]
        self._markets: dict[str, FloatArray] = {}
        firsts = [
            min(installed_base.monthly_sales(*p)).toordinal()
            for p in self.models
            if installed_base.monthly_sales(*p)
        ]
        lasts = [s.last_day for s in series.values() if s.last_day is not None]
        self.end = as_of.toordinal() if as_of is not None else max(lasts, default=0)
        self.start = min(firsts, default=self.end)
        self._cache: dict[ProductKey, FloatArray] = {}
        self._all_models: FloatArray | None = None

    def of(self, product: ProductKey) -> FloatArray:
        cached = self._cache.get(product)
        if cached is None:
            sales = self.installed_base.monthly_sales(*product)
            new_units = daily_sales(sales, self.start, self.end)
            cached = exposure_from_sales(
                new_units, self.params.mis_profile, self.params.service_life_days
            )
            self._cache[product] = cached
        return cached

    def all_models(self) -> FloatArray:
        if self._all_models is None:
            total = np.zeros(max(0, self.end - self.start + 1))
            for product in self.models:
                total = total + self.of(product)
            self._all_models = total
        return self._all_models

    def market_total(self, market: str) -> FloatArray:
        """Every variant's units in service in one market."""
        cached = self._markets.get(market)
        if cached is None:
            cached = np.zeros(max(0, self.end - self.start + 1))
            suffix = f"{MARKET_SEPARATOR}{market}"
            for product in self.in_markets:
                if product[2].endswith(suffix):
                    cached = cached + self.of(product)
            self._markets[market] = cached
        return cached

    def window(self, values: FloatArray, start: int, end: int) -> FloatArray:
        return values[start - self.start : end - self.start + 1]


def _with_base(
    signature: Signature,
    series: Mapping[Signature, Series],
    exposures: _Exposures,
    params: DetectionParams,
    history_days: int | None,
) -> Verdict | None:
    if signature.market is not None:
        # Each variant is tested once per market too: stricter thresholds keep the total of
        # false alarms per variant about where it was before markets were scanned.
        params = replace(
            params,
            cusum_threshold=params.cusum_threshold + params.market_extra_threshold,
            exposure_alpha=params.exposure_alpha * np.exp(-params.market_extra_threshold),
        )
    own = series[signature]
    sales = exposures.installed_base.monthly_sales(
        signature.brand, signature.model, signature.variant
    )
    # Claims are only known from the first one on: earlier days would read as zero claims.
    own_first = own.first_day if own.first_day is not None else min(sales).toordinal()
    start = max(own_first, exposures.start)
    if history_days is not None:
        start = max(start, exposures.end - history_days)
    end = exposures.end
    if start > end:
        return None
    if end - start > MAX_GRID_DAYS:
        raise ValueError(f"{end - start} days of exposure to judge: more than {MAX_GRID_DAYS}")
    counts, severe = own.dense(start, end)
    exposure = exposures.window(
        exposures.of((signature.brand, signature.model, signature.variant)), start, end
    )
    peer_total = series[_peer_component(signature)].dense(start, end)[0]
    market = signature.market
    if market is None:
        # Peers are the other models: the own model's other variants may share the defect.
        own_model = series[Signature(signature.brand, signature.model, ANY, signature.component)]
        peer_counts = peer_total - own_model.dense(start, end)[0]
        own_share = exposures.of((signature.brand, signature.model, ANY))
        everyone = exposures.all_models()
    else:
        peer_counts = peer_total - counts
        own_share = exposures.of((signature.brand, signature.model, signature.variant))
        everyone = exposures.market_total(market)
    peer_exposure = np.maximum(
        exposures.window(everyone, start, end) - exposures.window(own_share, start, end), 0.0
    )
    if params.baseline == "own":
        baseline = own_trailing_rate(counts, exposure, params)
        if params.peer_adjusted:
            index = peer_index(peer_counts, peer_exposure, params)
            baseline = replace(baseline, rate=baseline.rate * index)
    else:
        baseline = peer_rate(peer_counts, peer_exposure, params)
        if not baseline.trusted.any():
            baseline = own_early_rate(counts, exposure, params)
    signal = exposure_signal(
        start=start,
        counts=counts,
        severe=severe,
        exposure=exposure,
        baseline=baseline,
        params=params,
    )
    return Verdict(signal, params, params.close_after_days)
