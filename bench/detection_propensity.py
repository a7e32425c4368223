"""Component weights from recall history: how often a complained-about component was recalled.

Measured as a complaint score in ``bench.detection_scores`` (a count weighted per component,
fitted on the training makes' recalls); not part of the detector.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from typing import Final

from pipeline.detection.model import Signature

MIN_COMPLAINTS: Final = 5
"""A signature counts as "complained about" once a window held this many complaints."""
PRIOR_SIGNATURES: Final = 2.0
"""Each component's recall rate is shrunk towards the overall rate as if this many more
signatures had the overall rate: a component seen twice says little."""
POWER: Final = 0.5
"""Weight = (component's recall rate / overall rate) ** POWER: the square root keeps a rarely
recalled component's counts from vanishing (on NHTSA, left out make by make, 1.0 traded Ford's
recall for Tesla's; 0.5 helped both pooled, on a plain count)."""


def component_weights(
    peaks: Mapping[Signature, float],
    recalled: Collection[Signature],
    *,
    min_complaints: float = MIN_COMPLAINTS,
    prior_signatures: float = PRIOR_SIGNATURES,
    power: float = POWER,
) -> tuple[tuple[str, float], ...]:
    """Per top-level component, how much more (or less) often than average its complained-about
    signatures were recalled, shrunk and damped: (component, weight) pairs; a component not
    listed weighs 1.

    ``peaks``: each variant-level signature's highest complaint count in any window;
    ``recalled``: the signatures a recall followed while they had complaints.
    """
    complained: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    for signature, peak in peaks.items():
        if peak >= min_complaints:
            complained[signature.component] += 1
            hits[signature.component] += signature in recalled
    total = sum(complained.values())
    if not total or not sum(hits.values()):
        return ()
    overall = sum(hits.values()) / total
    weights = {
        component: (
            (hits[component] + prior_signatures * overall) / (n + prior_signatures) / overall
        )
        ** power
        for component, n in complained.items()
    }
    return tuple(sorted((c, round(w, 4)) for c, w in weights.items()))
