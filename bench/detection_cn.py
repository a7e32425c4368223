"""The Chinese complaints through the detector: no flag on copies, none on sales or service."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from bench.detection_offline import filed_of, fill_store
from pipeline.detection import ANY, DetectionParams, evaluate, monitored, observation_from_event
from pipeline.detection.dedupe import copies_of, merge_copies
from pipeline.detection.model import is_product_component
from schemas.feedback import ComplaintFiled

FEW_COMPLAINTS = 2
"""A flag whose signature holds this many distinct complaints or fewer stands on copies."""


def score_cn(path: Path, params: DetectionParams) -> dict[str, Any]:
    """Flags on the file with and without merging copies; each flag's rows and complaints."""
    from producers.sources.mapped_csv import load_mapping, mapping_path, read_mapped_csv

    events = [
        e
        for e in read_mapped_csv(path, load_mapping(mapping_path("cn_car_complaints")))
        if isinstance(e, ComplaintFiled)
    ]
    non_product = sum(1 for e in events if e.component and not is_product_component(e.component))
    pairs = [(e, o) for e in events if (o := observation_from_event(e)) is not None]
    observations = [o for _, o in pairs]
    copies = copies_of([filed_of(e) for e, _ in pairs])
    merged = merge_copies(observations, copies)
    rows = Counter((o.brand, o.model, o.variant, o.component.split(":")[0]) for o in observations)
    distinct = Counter(
        (o.brand, o.model, o.variant, o.component.split(":")[0])
        for o in {
            (o.complaint_id, o.brand, o.model, o.variant, o.component): o for o in merged
        }.values()
    )
    result: dict[str, Any] = {
        "complaints": len(events),
        "non_product_complaints": non_product,
        "observations": len(observations),
        "copies_merged": len(copies),
    }
    for label, obs in (("without_dedupe", observations), ("with_dedupe", merged)):
        store = fill_store(obs)
        as_of = max(o.day for o in obs)
        flags = evaluate(monitored(store.signatures()), store, None, params, as_of)
        flagged = [(s, e) for s, episodes in flags.items() for e in episodes if s.variant != ANY]
        flagged.sort(key=lambda se: -se[1].score)
        result[label] = {
            "flags": len(flagged),
            "non_product_flags": sum(
                1 for s, _ in flagged if not is_product_component(s.component)
            ),
            "flags_on_copies": sum(
                1
                for s, _ in flagged
                if distinct[(s.brand, s.model, s.variant, s.component)] <= FEW_COMPLAINTS
            ),
            "top": [
                {
                    "signature": s.label,
                    "score": e.score,
                    "severity": e.severity,
                    "rows": rows[(s.brand, s.model, s.variant, s.component)],
                    "distinct_complaints": distinct[(s.brand, s.model, s.variant, s.component)],
                }
                for s, e in flagged[:10]
            ],
        }
    return result
