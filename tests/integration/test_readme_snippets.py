"""The README's "Publish from your service" and "Consume our outputs" snippets run as written."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from kafka import KafkaConsumer

from pipeline.common.config import Settings
from pipeline.harness.broker import EmbeddedBroker
from pipeline.harness.topics_admin import ensure_topics
from producers.publisher import Publisher
from schemas.events import OUTBOUND

REPO = Path(__file__).parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")


def snippet(name: str) -> str:
    match = re.search(rf"<!-- snippet: {name} -->\n```python\n(.*?)```", README, re.DOTALL)
    assert match, f"README snippet {name!r} not found"
    return match.group(1)


def run(code: str, bootstrap: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AFTERSALES_")}
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "PYTHONPATH": str(REPO), "AFTERSALES_KAFKA_BOOTSTRAP": bootstrap},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_publish_snippet_sends_a_valid_ticket_keyed_by_its_serial(
    tansu: EmbeddedBroker, tmp_path: Path
) -> None:
    settings = Settings(_env_file=None, kafka_bootstrap=tansu.bootstrap)  # type: ignore[call-arg]
    ensure_topics(settings)
    done = run(snippet("publish"), tansu.bootstrap, tmp_path)
    assert done.returncode == 0, done.stderr
    event_id = done.stdout.split()[-1]

    consumer = KafkaConsumer(
        settings.topics.tickets,
        bootstrap_servers=tansu.bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=5_000,
    )
    found = [m for m in consumer if event_id.encode() in m.value]
    consumer.close()
    assert len(found) == 1
    assert found[0].key == b"NW-K3-0004711"
    event = json.loads(found[0].value)
    assert event["event_type"] == "ticket.opened"


def test_the_consume_snippet_prints_our_outputs_once_each(
    tansu: EmbeddedBroker, tmp_path: Path
) -> None:
    settings = Settings(_env_file=None, kafka_bootstrap=tansu.bootstrap)  # type: ignore[call-arg]
    ensure_topics(settings)
    flag = OUTBOUND.validate_json(
        (REPO / "examples" / "events" / "defect_flag.changed.json").read_bytes()
    )
    followup = OUTBOUND.validate_json(
        (REPO / "examples" / "events" / "followup.scheduled.json").read_bytes()
    )
    sent = (
        (flag, settings.topics.defect_flags, b"Nordwind|Klima 3000|rev-B"),
        (followup, settings.topics.followups, b"CUS-DE-88341"),
    )
    with Publisher(settings) as publisher:
        for event, topic, key in sent:
            raw = event.model_dump_json().encode()
            # Twice: output topics are at least once, and the snippet de-duplicates.
            publisher.publish_raw(topic, key, raw)
            publisher.publish_raw(topic, key, raw)
        publisher.flush()

    done = run(snippet("consume"), tansu.bootstrap, tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for event, _, key in sent:
        printed = [line for line in lines if str(event.event_id) in line]
        assert printed == [f"{event.event_type} {event.event_id} {key.decode()}"]
