"""The aftersales-events distribution: a service installs the contract and a publisher with
pydantic and kafka-python alone, and what it publishes is what the pipeline reads."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from importlib.metadata import distribution
from pathlib import Path
from zipfile import ZipFile

from kafka import KafkaConsumer
from packaging.requirements import Requirement

from pipeline.common.config import Settings
from pipeline.harness.broker import EmbeddedBroker
from pipeline.harness.topics_admin import ensure_topics
from schemas import codec

ROOT = Path(__file__).resolve().parents[2]
TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
HEAVY = ("faust", "scipy", "matplotlib", "sqlalchemy", "pipeline", "schemas", "producers")
PUBLISH = """
import importlib.util, json, sys
from aftersales_events.events import INBOUND
from aftersales_events.publisher import EventPublisher

heavy = [name for name in sys.argv[4:] if importlib.util.find_spec(name) is not None]
assert not heavy, heavy
event = INBOUND.validate_json(sys.stdin.read())
with EventPublisher(sys.argv[1], source="urn:example:dealer-portal", topic_prefix=sys.argv[2]) as p:
    p.publish(event, headers=[("traceparent", sys.argv[3].encode())])
    p.flush()
print(event.event_id)
"""


def _build_wheel(out: Path) -> Path:
    spec = importlib.util.spec_from_file_location(
        "build_wheel", ROOT / "clients/python/build_wheel.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build(out)  # type: ignore[no-any-return]


def _requirements(wheel: Path) -> set[str]:
    """The distributions the wheel needs, transitively, as this interpreter has them."""
    with ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        lines = archive.read(name).decode().splitlines()
    wanted = [line.split(":", 1)[1].strip() for line in lines if line.startswith("Requires-Dist:")]
    found: set[str] = set()
    while wanted:
        requirement = Requirement(wanted.pop())
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        if requirement.name.lower() in found:
            continue
        found.add(requirement.name.lower())
        wanted += distribution(requirement.name).requires or []
    return found


def _copy_installed(names: set[str], site: Path) -> None:
    """Install the distributions offline, file for file as pip installed them here."""
    for name in names:
        dist = distribution(name)
        for file in dist.files or []:
            source = Path(str(dist.locate_file(file)))
            if source.is_file() and ".." not in file.parts:
                target = site / file
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)


def test_the_light_client_publishes_what_the_pipeline_reads_without_the_processing_stack(
    tansu: EmbeddedBroker, tmp_path: Path
) -> None:
    wheel = _build_wheel(tmp_path / "dist")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    needed = _requirements(wheel)
    assert needed >= {"pydantic", "kafka-python"}
    assert not needed & {"faust-streaming", "scipy", "matplotlib", "sqlalchemy"}
    _copy_installed(needed, site)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
    )
    settings = Settings(
        kafka_bootstrap=tansu.bootstrap, topic_prefix="lightclient", **tansu.client_settings
    )
    ensure_topics(settings)
    example = (ROOT / "examples/events/ticket.opened.json").read_text(encoding="utf-8")
    sent = subprocess.run(
        [str(python), "-c", PUBLISH, tansu.bootstrap, "lightclient", TRACE, *HEAVY],
        cwd=tmp_path,  # not the repository, whose packages would be found from there
        input=example,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    consumer = KafkaConsumer(
        settings.topics.tickets,
        bootstrap_servers=tansu.bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=10_000,
    )
    try:
        message = next(iter(consumer))
    finally:
        consumer.close()
    headers = list(message.headers)
    (event,) = codec.decode(message.value, "tickets", headers)
    assert str(event.event_id) == sent.stdout.strip() == json.loads(example)["event_id"]
    assert message.key == b"NW-K3-0004711"
    assert dict(headers)["ce_source"] == b"urn:example:dealer-portal"
    assert dict(headers)["ce_type"] == b"ticket.opened"
    assert dict(headers)["traceparent"] == TRACE.encode()
