"""Compose and run one worker: warehouse check, topics, processor, Faust app."""

from __future__ import annotations

import logging

from faust.worker import Worker

from consumers.app import create_app
from consumers.isolation import DetectionChild, ProcessingChild
from pipeline.common.config import Settings
from pipeline.common.logs import logging_config
from pipeline.harness.topics_admin import ensure_topics
from pipeline.warehouse.engine import make_engine
from pipeline.warehouse.migrate import require_current
from pipeline.warehouse.operations import WarehouseOps

log = logging.getLogger(__name__)


def run(settings: Settings) -> None:
    """Run until SIGTERM/SIGINT; Faust commits what was processed on the way out."""
    engine = make_engine(settings.warehouse_url)
    require_current(engine)
    (settings.var_dir / "faust").mkdir(parents=True, exist_ok=True)
    ensure_topics(settings)
    children = [ProcessingChild(settings) for _ in range(settings.lanes)]
    # Archive-only workers count nothing, so they have nothing to evaluate.
    detector = DetectionChild(settings) if settings.stages == "full" else None
    try:
        app = create_app(settings, WarehouseOps(engine), children, detector)
        Worker(
            app,
            loglevel=settings.log_level.lower(),
            quiet=True,
            logging_config=logging_config(settings),
        ).execute_from_commandline()
    finally:
        if detector is not None:
            detector.close()
        for child in children:
            child.close()
