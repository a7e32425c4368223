"""Create the pipeline's topics explicitly (auto-created topics get whatever the broker likes)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from pipeline.common.config import Settings
from pipeline.common.kafka_security import kafka_python_options

log = logging.getLogger(__name__)


def ensure_topics(
    settings: Settings, names: Iterable[str] | None = None, timeout_s: float = 30
) -> None:
    """Create missing topics with the configured partitions and replication; keep existing ones."""
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic
    from kafka.errors import TopicAlreadyExistsError

    wanted = list(names or settings.topics.all)
    admin = KafkaAdminClient(
        bootstrap_servers=settings.require_bootstrap(),
        client_id="aftersales-admin",
        **kafka_python_options(settings),
    )
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            missing = [n for n in wanted if n not in set(admin.list_topics())]
            if not missing:
                return
            new = [
                NewTopic(n, settings.topic_partitions, settings.topic_replication) for n in missing
            ]
            try:
                admin.create_topics(new)
                log.info("created topics %s", ", ".join(missing))
            except TopicAlreadyExistsError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"topics {missing} still missing after {timeout_s}s")
            time.sleep(0.1)
    finally:
        admin.close()
