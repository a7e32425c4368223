"""Ops endpoints on the worker's web port: /metrics, /healthz, /readyz, /schemas/<file>."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import faust
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from consumers.broker_check import CHECK_INTERVAL_S, BrokerCheck
from pipeline.common import metrics
from pipeline.warehouse.migrate import require_current
from pipeline.warehouse.operations import WarehouseOps
from schemas.export import published_document

_MEDIA_TYPE = CONTENT_TYPE_LATEST.split(";")[0]


@dataclass
class WorkerState:
    warehouse: WarehouseOps
    started_at: float
    last_batch_at: float | None = None
    writing: asyncio.Lock = field(default_factory=asyncio.Lock)
    """One warehouse transaction at a time per worker: batches and periodic work take turns."""


def _warehouse_ready(warehouse: WarehouseOps) -> str | None:
    try:
        warehouse.ping()
        require_current(warehouse.engine)
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        return f"warehouse: {type(exc).__name__}: {str(exc)[:200]}"
    return None


def set_state_gauges(values: dict[str, Any]) -> None:
    """Warehouse-wide gauges: open flags by severity, open and overdue cases, follow-ups due."""
    for severity, n in values["flags_open"].items():
        metrics.FLAGS_OPEN.labels(severity).set(n)
    metrics.CASES_OPEN.set(values["cases_open"])
    metrics.CASES_OVERDUE.set(values["cases_overdue"])
    metrics.DEALERS_STALLED.set(values["dealers_stalled"])
    metrics.FOLLOWUPS_DUE.set(values["followups_due"])
    metrics.OUTBOX_PENDING.set(values["outbox_pending"])


def install(app: faust.App, state: WorkerState) -> None:
    broker = BrokerCheck.for_app(app)

    @app.timer(interval=CHECK_INTERVAL_S, name="broker-check")
    async def check_broker() -> None:
        await broker.check()

    @app.on_before_shutdown.connect
    async def close_broker_check(sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        await broker.close()

    @app.page("/metrics")
    async def metrics_page(web: Any, request: Any) -> Any:
        # aiohttp takes the charset apart from the media type.
        return web.bytes(generate_latest(metrics.REGISTRY), content_type=_MEDIA_TYPE)

    @app.page("/schemas/{name}")
    async def schema_page(web: Any, request: Any, name: str) -> Any:
        # The documents ce_dataschema and the AsyncAPI document name, as this worker ships them.
        document = published_document(name)
        if document is None:
            return web.json({"error": f"no published schema named {name[:100]!r}"}, status=404)
        return web.bytes(document, content_type="application/json")

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        return web.json(
            {
                "status": "ok",
                "uptime_s": round(time.time() - state.started_at, 1),
                "last_batch_age_s": (
                    round(time.time() - state.last_batch_at, 1) if state.last_batch_at else None
                ),
            }
        )

    @app.page("/readyz")
    async def readyz(web: Any, request: Any) -> Any:
        problems = []
        warehouse = await asyncio.to_thread(_warehouse_ready, state.warehouse)
        if warehouse:
            problems.append(warehouse)
        if problem := broker.problem():
            problems.append(problem)
        assigned = app.consumer.assignment() if app.consumer else set()
        if not app.producer or not getattr(app.producer, "_started", True):
            problems.append("broker: producer not started")
        status = 503 if problems else 200
        return web.json(
            {"ready": not problems, "problems": problems, "partitions": len(assigned)},
            status=status,
        )
