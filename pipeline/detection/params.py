"""Every detection threshold in one frozen value, with the reasoning behind each default."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True, slots=True)
class DetectionParams:
    """Thresholds for every detector; defaults tuned on NHTSA complaints and simulated repairs.

    Counts are in event time; "window" sums are trailing, inclusive of the day evaluated.
    """

    history_days: int = 3660
    """How far back from ``as_of`` a series is read: ten years covers a product generation."""
    monitor_model_level: bool = False
    """Also evaluate ``(brand, model, *, component)``, for a defect spread over variants. Off: on
    NHTSA it added 105 flags (2.3 per 1,000 rows) and no strict hit, and on the simulator its
    pooled, mixed-age series were the commonest false alarm."""
    monitor_markets: bool = True
    """With an installed base per market, also evaluate ``(brand, model, variant@market, TOP)``
    for variants sold in several markets: a defect of one market's units is diluted in the
    pooled signature (and each market's peers share its seasons)."""
    market_extra_threshold: float = 0.0
    """Market signatures need this much more log-evidence (added to the CUSUM threshold, and
    the exceedance alpha divided by its exponential): one test per market multiplies chances."""
    model_level_factor: float = 3.0
    """Complaint count triggers are this many times higher for a model-level signature: it pools
    several variants, so the same counts are less surprising there."""

    # --- without installed base (complaint streams) ---------------------------------------
    window_days: int = 365
    """Trailing window for complaint volume and disproportionality: complaints trickle in."""
    severe_weight: float = 3.0
    """A crash, fire, injury or death report counts as this many reports towards volume
    (recalls are about safety: on NHTSA 3 found 0.05 more recalls than 2)."""
    min_weighted_count: float = 10.0
    """Volume trigger: severity-weighted complaints in the window (10 plain or 5 severe)."""
    volume_min_ratio: float = 1.0
    """... and at least this multiple of the count expected from the product's volume and the
    component's share of all complaints (the disproportionality expectation)."""
    dispro_min_count: int = 6
    """Disproportionality needs at least this many complaints in the window. 5 (with 11 for
    volume) gave 218 strict NHTSA hits at 483 flags instead of 494, but then the worker's slow
    and fast replays of one stream stored different flags (test_detection_stage.py)."""
    dispro_within_model: Literal["off", "or", "and", "only"] = "and"
    """Compare the model year with the model's other years too (``(brand, model, *, TOP)`` over
    ``(brand, model, *, *)``): "and" requires both tables to be disproportionate, so that a
    component every year of the model complains about is not one year's defect."""
    ic_quantile: float = 0.025
    """Lower credible quantile of the information component (BCPNN-style IC025)."""
    ic_threshold: float = 0.0
    """IC025 above this (log2 observed/expected > 0 with 97.5% credibility) is disproportionate."""
    surge_recent_days: int = 90
    """Own-history trigger: the last 90 days against the signature's own previous year."""
    surge_min_count: int = 6
    surge_alpha: float = 1e-4
    """One-sided Poisson p-value of the recent count against the own-past expectation."""
    surge_min_rate_per_year: float = 2.0
    """A floor on the own-past rate so that a young signature's first reports are no surge."""

    # --- with installed base ---------------------------------------------------------------
    exposure_window_days: int = 21
    """Poisson exceedance is tested on the trailing 21 days of claims (also the peers' "now"
    window for seasons). Against 30, simulator seeds 7, 11 and 23 raised fewer false flags
    (0.35 / 0.87 / 0.52 per 1,000 signature-months, was 0.35 / 1.04 / 0.69) and found one more
    defect on seed 11."""
    exposure_alpha: float = 1e-6
    """One-sided p-value; small because every signature is tested every day (Bonferroni-ish)."""
    exposure_min_count: int = 3
    overdispersion: float = 1.15
    """Variance over mean of the claim counts (quasi-Poisson): one unit back for a repeat repair,
    or a complaint beside its repair, makes counts cluster, and clustered counts are less
    surprising. Both tests divide their evidence by it."""
    baseline_uncertainty_z: float = 0.5
    """The CUSUM compares claims with the baseline rate raised by this many standard errors
    (``1/sqrt(claims behind it)``): a rate from few claims may be low by chance."""
    cusum_rho: float = 3.0
    """The CUSUM is tuned to detect a tripling of the claim rate (injected defects are 2-6x in
    their markets; a CUSUM tuned to 2x reacted to every slow drift of an ageing fleet)."""
    cusum_threshold: float = 11.0
    """Decision interval h on the log-likelihood-ratio CUSUM (reset after each signal): in-control
    run length about e^h days, so about one false signal per 1,000 signature-months."""
    baseline: Literal["own", "peers"] = "own"
    """Where the claim rate per unit-day comes from: the signature's own trailing history (models
    differ in their inherent rates, and a year of history averages out the seasons) or the same
    component on the other models (for products too new to have a history of their own)."""
    peer_adjusted: bool = True
    """Scale the own baseline by how the peers' rate for the component moved since (seasons,
    shared trends): a hot summer raises every model's cooling claims, a defect only one's."""
    baseline_days: int = 365
    """The baseline rate is claims per unit-day over this trailing window ..."""
    baseline_guard_days: int = 30
    """... ending this many days ago, so the days under test never set their own baseline."""
    min_baseline_days: int = 60
    """An own baseline needs this many days of history before it is trusted."""
    own_baseline_days: int = 180
    """Fallback when peers have too few claims: the signature's own first 180 days in service."""
    service_life_days: int | None = 1096
    """Units older than this have left the service network and no longer count as at risk
    (three years: a typical warranty plus service plan). None: every unit ever sold counts."""
    min_baseline_count: int = 5
    """A baseline estimated from fewer claims than this is not trusted: no exposure alarms."""
    mis_profile: tuple[float, ...] = field(default=())
    """Relative claim hazard by month in service (index 0 = first month; the last value holds
    for older units). Empty: constant hazard. Only the shape matters; peers set the level."""

    # --- lifecycle -------------------------------------------------------------------------
    close_after_days: int = 180
    """An exposure episode closes once its signal has stayed normal this many days in a row."""
    complaint_close_after_days: int = 730
    """The same for complaint episodes: two windows, since their counts decay over one and a
    signature that flickers around its trigger would otherwise raise a new flag each year."""
    close_fraction: float = 0.5
    """'Normal' for complaint volume: below this fraction of the volume trigger."""
    update_tolerance: float = 0.25
    """A score change smaller than this (relative) is not worth an 'updated' message."""

    # --- severity of a flag ----------------------------------------------------------------
    critical_severe: int = 5
    high_severe: int = 2
    high_score: float = 4.0
    medium_score: float = 2.0
