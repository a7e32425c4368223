"""The stages each batch runs through after archiving, composed from Settings."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pipeline.config import Settings
from pipeline.warehouse.writer import BatchContext, Stage


def build_stages(
    settings: Settings,
) -> tuple[Callable[[BatchContext], None] | None, Sequence[Stage]]:
    """The enrichment step and the post-archive stages for a worker with these settings."""
    return None, ()
