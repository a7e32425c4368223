"""Enrichment as pure functions: defect taxonomy, warranty, markets, currency and `enrich`."""

from pipeline.enrichment.currency import Rates, load_rates, to_reporting
from pipeline.enrichment.enrich import (
    DealerRecord,
    Enrichment,
    Lookups,
    ModelKey,
    ModelRecord,
    UnitRecord,
    enrich,
)
from pipeline.enrichment.language import detect_language
from pipeline.enrichment.markets import Market, default_markets, load_markets, market_of
from pipeline.enrichment.taxonomy import (
    Classification,
    Taxonomy,
    classify,
    load_taxonomy,
    normalise_component,
    top_level,
)
from pipeline.enrichment.warranty import (
    Coverage,
    WarrantyStatus,
    WarrantyTerms,
    load_warranty_terms,
    warranty_status,
)

__all__ = [
    "Classification",
    "Coverage",
    "DealerRecord",
    "Enrichment",
    "Lookups",
    "Market",
    "ModelKey",
    "ModelRecord",
    "Rates",
    "Taxonomy",
    "UnitRecord",
    "WarrantyStatus",
    "WarrantyTerms",
    "classify",
    "default_markets",
    "detect_language",
    "enrich",
    "load_markets",
    "load_rates",
    "load_taxonomy",
    "load_warranty_terms",
    "market_of",
    "normalise_component",
    "to_reporting",
    "top_level",
    "warranty_status",
]
