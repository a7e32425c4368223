"""Errors meaning a service a command needs (broker, warehouse) does not answer or is not ready."""

from __future__ import annotations

from pipeline.common.errors import PipelineError


class Unavailable(PipelineError):
    """The broker or the warehouse cannot be used yet; the message says what to start or run."""


class BrokerUnavailable(Unavailable):
    """No Kafka broker answered at the configured address."""


class WarehouseUnavailable(Unavailable):
    """The warehouse is missing, unreachable or has no schema yet."""
