"""Is the broker reachable? A cheap metadata request every second, whose last answer /readyz reads.

The consumer's own state is no reliable signal: it keeps its assignment while the broker is
gone, and it runs in a thread of its own. A request of our own, made with the same addresses and
security options as Faust's clients, says within seconds whether the brokers answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

import faust

from pipeline.common.kafka_security import aiokafka_options

CHECK_INTERVAL_S = 1.0
CHECK_TIMEOUT_S = 2.0
STALE_AFTER_S = 3 * CHECK_INTERVAL_S + CHECK_TIMEOUT_S
"""An answer older than this no longer counts (the checks themselves have stopped)."""


@dataclass
class BrokerCheck:
    """The last answer of the brokers to a metadata request; ``check`` asks again."""

    servers: list[str]
    options: dict[str, Any]
    answered_at: float | None = None
    failure: str | None = None
    _client: Any = field(default=None, init=False, repr=False)

    @classmethod
    def for_app(cls, app: faust.App) -> BrokerCheck:
        """A check that reaches the brokers exactly as the app's consumer and producer do."""
        from faust.transport.drivers.aiokafka import server_list

        return cls(
            servers=server_list(app.conf.broker, 9092),
            options=aiokafka_options(app.conf.broker_credentials, app.conf.ssl_context),
        )

    async def check(self) -> None:
        try:
            await asyncio.wait_for(self._ask(), CHECK_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 - whatever failed, the brokers did not answer
            self.failure = f"{type(exc).__name__}: {exc}"[:200]
            # A fresh client next time: nothing of a broken connection is worth keeping.
            with contextlib.suppress(Exception):
                await self.close()
        else:
            self.answered_at = time.monotonic()
            self.failure = None

    async def _ask(self) -> None:
        from aiokafka.client import AIOKafkaClient

        if self._client is None:
            self._client = AIOKafkaClient(
                bootstrap_servers=self.servers,
                client_id="aftersales-readiness",
                request_timeout_ms=int(CHECK_TIMEOUT_S * 1000),
                **self.options,
            )
            await self._client.bootstrap()  # a metadata request of its own
        else:
            await self._client.fetch_all_metadata()

    def problem(self, now: float | None = None) -> str | None:
        """Why the broker counts as unreachable, or None while it answers."""
        if self.failure is not None:
            return f"broker: {self.failure}"
        if self.answered_at is None:
            return "broker: not reached yet"
        age = (time.monotonic() if now is None else now) - self.answered_at
        if age > STALE_AFTER_S:
            return f"broker: no answer for {age:.0f}s"
        return None

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()
