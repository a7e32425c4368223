"""The thin slice through the CLI: produce JSON Lines, a worker archives them, stats count them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pipeline.harness.broker import EmbeddedBroker
from pipeline.harness.worker_process import WorkerProcess, settings_env, wait_until
from tests.helpers import raw, ticket_opened


def cli(
    args: list[str], env: dict[str, str], stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        env=env,
        input=stdin,
        capture_output=True,
        timeout=120,
        check=False,
    )


def test_a_ticket_published_by_the_producer_is_archived_by_the_worker(
    any_broker: EmbeddedBroker, tmp_path: Path
) -> None:
    values: dict[str, object] = {
        "kafka_bootstrap": any_broker.bootstrap,
        "warehouse_url": f"sqlite:///{tmp_path / 'w.db'}",
        "var_dir": tmp_path / "var",
        "topic_prefix": f"slice{tmp_path.name[-6:]}".replace("-", ""),
        **any_broker.client_settings,
    }
    env = settings_env(values)
    assert cli(["db", "upgrade"], env).returncode == 0
    lines = tmp_path / "events.jsonl"
    events = [ticket_opened(i, ticket_id=f"T-{i}") for i in range(1, 26)]
    lines.write_bytes(b"\n".join(raw(e) for e in events) + b"\nnot json\n")

    with WorkerProcess(dict(values), log_path=tmp_path / "worker.log") as worker:
        produced = cli(["produce", str(lines)], env)
        assert produced.returncode == 1, "a rejected line makes produce exit non-zero"
        assert b"line 26" in produced.stderr
        assert b"sent 25, rejected 1" in produced.stderr

        def archived() -> bool:
            out = cli(["stats", "--format", "json"], env)
            return out.returncode == 0 and json.loads(out.stdout)["tickets"] == 25

        wait_until(archived, timeout_s=90, check=worker.check, what="25 tickets archived")
    counts = json.loads(cli(["stats", "--format", "json"], env).stdout)
    assert counts["events"] == 25
    assert counts["dead_letters"] == 0
