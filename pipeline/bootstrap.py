"""The composition root: what a worker's jobs are built from, given its Settings."""

from __future__ import annotations

from pipeline import casebook, enrichment
from pipeline.common.config import Settings
from pipeline.detection import DetectionParams
from pipeline.jobs.batch.handle import Steps
from pipeline.jobs.batch.processor import BatchProcessor
from pipeline.jobs.batch.stages.casebook import CaseBookStage
from pipeline.jobs.batch.stages.detection import DetectionStage
from pipeline.jobs.batch.stages.enrich import EnrichStep
from pipeline.jobs.batch.stages.erasure import ErasureStage, PseudonymiseStep
from pipeline.jobs.batch.stages.product_loop import ProductLoopStage
from pipeline.jobs.detector import DetectionRunner, Detector
from pipeline.warehouse.engine import make_engine


def build_steps(settings: Settings) -> Steps:
    """What a worker with these settings does to each batch besides archiving it, in order."""
    key = settings.pseudonym_key.get_secret_value().encode()
    erase = ErasureStage(key, settings.topics.erasures, settings.topics.followups)
    if settings.stages == "archive":
        return Steps(before_archive=(PseudonymiseStep(key),), after_archive=(erase,))
    enrich = EnrichStep(
        enrichment.load_taxonomy(), enrichment.load_warranty_terms(), enrichment.load_rates()
    )
    return Steps(
        # Enriched before pseudonymised: the inferred component reads the complaint's own text.
        before_archive=(enrich, PseudonymiseStep(key)),
        after_archive=(
            CaseBookStage(casebook.load_rules(), settings.topics.followups),
            erase,  # after the case book: it drops what that scheduled for erased customers
            DetectionStage(),
            ProductLoopStage(),
        ),
    )


def build_detector(settings: Settings) -> Detector:
    """The detector that evaluates what this worker's batches mark pending."""
    return Detector(DetectionParams(), settings.topics.defect_flags)


def build_processor(settings: Settings) -> BatchProcessor:
    """The batch processor of a worker with these settings, on its own engine."""
    return BatchProcessor(
        engine=make_engine(settings.warehouse_url),
        topics=settings.topics,
        steps=build_steps(settings),
        max_future=settings.max_future_skew,
    )


def build_detection_runner(settings: Settings) -> DetectionRunner:
    """The detection rounds of a worker with these settings, on their own engine."""
    return DetectionRunner(make_engine(settings.warehouse_url), build_detector(settings))
