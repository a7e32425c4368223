"""docker-compose.yml and the Dockerfile only run real CLI commands with real settings."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.main
import yaml
from sqlalchemy.engine import make_url

from pipeline.cli.main import app
from pipeline.common.config import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_PREFIX = "AFTERSALES_"
# Compose `${NAME}` / `${NAME:?message}` with no default: stands in for what the operator sets.
OPERATOR_VALUE = "operator-secret"
MIN_KAFKA_SESSION_TIMEOUT_S = 6.0


def load_compose() -> dict[str, Any]:
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(compose, dict)
    return compose


def services() -> dict[str, dict[str, Any]]:
    return dict(load_compose()["services"])


def runs_aftersales_image(service: dict[str, Any]) -> bool:
    return "build" in service or str(service.get("image", "")).startswith("aftersales")


def aftersales_services() -> dict[str, dict[str, Any]]:
    return {name: s for name, s in services().items() if runs_aftersales_image(s)}


def dockerfile_instruction(keyword: str) -> list[str]:
    """Every argument of one Dockerfile instruction, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    return [
        line.split(None, 1)[1].strip()
        for line in joined.splitlines()
        if line.split(None, 1)[:1] == [keyword] and len(line.split(None, 1)) == 2
    ]


def dockerfile_cmd() -> list[str]:
    (cmd,) = dockerfile_instruction("CMD")
    return list(yaml.safe_load(cmd))


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction in dockerfile_instruction("ENV"):
        for pair in shlex.split(instruction):
            key, _, value = pair.partition("=")
            env[key] = value
    return env


def argv_of(service: dict[str, Any]) -> list[str]:
    command = service.get("command", dockerfile_cmd())
    return shlex.split(command) if isinstance(command, str) else [str(c) for c in command]


def environment_of(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(str(item).partition("=")[::2] for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def interpolate(value: str) -> str:
    """Resolve compose `${NAME:-default}` to its default and any other reference to a stand-in."""

    def one(match: re.Match[str]) -> str:
        operator, default = match.group(2), match.group(3)
        return default if operator in (":-", "-") else OPERATOR_VALUE

    return re.sub(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}", one, value).replace("$$", "$")


def check_cli_invocation(argv: list[str]) -> str | None:
    """None when `aftersales <argv>` names a real command whose options parse, else the problem."""
    command = typer.main.get_command(app)
    path = ["aftersales"]
    args = list(argv)
    # Walk groups by their `commands` mapping: Typer ships its own copy of Click's classes.
    while (subcommands := getattr(command, "commands", None)) is not None:
        if not args:
            return f"`{' '.join(path)}` needs a subcommand"
        name = args.pop(0)
        if name not in subcommands:
            known = ", ".join(sorted(subcommands))
            return f"`{' '.join([*path, name])}` is not a command (known: {known})"
        command, path = subcommands[name], [*path, name]
    try:
        command.make_context(" ".join(path), args)
    except typer.TyperException as exc:
        return f"`{' '.join([*path, *args])}`: {exc}"
    return None


def test_the_compose_file_runs_the_aftersales_image_for_migration_and_workers() -> None:
    assert {"migrate", "worker"} <= set(aftersales_services())


@pytest.mark.parametrize("name", sorted(aftersales_services()))
def test_every_aftersales_service_runs_an_existing_cli_command(name: str) -> None:
    service = aftersales_services()[name]
    assert service.get("entrypoint") in (None, ["aftersales"]), "keep the image's entrypoint"
    assert check_cli_invocation(argv_of(service)) is None, check_cli_invocation(argv_of(service))


def test_the_dockerfile_default_command_exists_in_the_cli() -> None:
    assert check_cli_invocation(dockerfile_cmd()) is None


def test_the_cli_check_rejects_commands_and_options_that_do_not_exist() -> None:
    assert check_cli_invocation(["no-such-command"]) is not None
    assert check_cli_invocation(["db"]) is not None
    assert check_cli_invocation(["db", "upgrade", "--no-such-option"]) is not None
    assert check_cli_invocation(["db", "upgrade"]) is None


def test_every_aftersales_variable_in_compose_and_dockerfile_is_a_setting() -> None:
    fields = set(Settings.model_fields)
    sources = {f"compose service {n}": environment_of(s) for n, s in services().items()}
    sources["Dockerfile"] = dockerfile_env()
    unknown = {
        (where, key)
        for where, env in sources.items()
        for key in env
        if key.startswith(ENV_PREFIX) and key.removeprefix(ENV_PREFIX).lower() not in fields
    }
    assert not unknown, f"not fields of pipeline.common.config.Settings: {sorted(unknown)}"


def worker_settings() -> Settings:
    """The settings a compose worker starts with: Dockerfile defaults overlaid by compose."""
    env = {**dockerfile_env(), **environment_of(services()["worker"])}
    fields = {
        key.removeprefix(ENV_PREFIX).lower(): interpolate(value)
        for key, value in env.items()
        if key.startswith(ENV_PREFIX)
    }
    # model_validate reads no environment: only what the deployment files say counts.
    return Settings.model_validate(fields)


def test_workers_are_configured_for_real_kafka_and_postgresql() -> None:
    settings = worker_settings()
    compose_services = set(services())
    bootstrap_hosts = {hp.rsplit(":", 1)[0] for hp in settings.require_bootstrap().split(",")}
    warehouse = make_url(settings.warehouse_url)
    assert bootstrap_hosts <= compose_services
    assert warehouse.drivername == "postgresql+psycopg"
    assert warehouse.host in compose_services
    assert settings.session_timeout_s >= MIN_KAFKA_SESSION_TIMEOUT_S
    assert settings.heartbeat_interval_s * 3 <= settings.session_timeout_s
    assert settings.metrics_host == "0.0.0.0"
    assert settings.topic_replication == 1, "a single Kafka node holds one replica"


def test_migration_and_workers_share_one_warehouse_and_broker() -> None:
    envs = {name: environment_of(s) for name, s in aftersales_services().items()}
    for key in ("AFTERSALES_WAREHOUSE_URL", "AFTERSALES_KAFKA_BOOTSTRAP"):
        assert len({env.get(key) for env in envs.values()}) == 1, key


def test_two_workers_start_after_broker_warehouse_and_migration_are_ready() -> None:
    worker = services()["worker"]
    assert worker["deploy"]["replicas"] >= 2
    assert worker["depends_on"] == {
        "kafka": {"condition": "service_healthy"},
        "postgres": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    assert services()["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert "healthcheck" in services()["postgres"]
    assert "healthcheck" in services()["kafka"]


def test_kafka_runs_as_one_kraft_node_with_single_replica_internal_topics() -> None:
    env = environment_of(services()["kafka"])
    node_id = env["KAFKA_NODE_ID"]
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"].startswith(f"{node_id}@")
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] in env["KAFKA_LISTENERS"]
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"
    assert env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"] == "1"
    assert env["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"] == "1"
    advertised = env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    assert f"PLAINTEXT://{worker_settings().kafka_bootstrap}" in advertised


def test_every_bind_mount_points_at_a_file_in_the_repository() -> None:
    mounts = [
        str(volume).split(":", 1)[0]
        for service in services().values()
        for volume in service.get("volumes", [])
    ]
    host_paths = [m for m in mounts if m.startswith(".")]
    assert host_paths, "Prometheus and Grafana configuration are bind-mounted"
    missing = [p for p in host_paths if not (ROOT / p).exists()]
    assert not missing


def test_the_image_runs_the_cli_as_a_non_root_user_without_extras() -> None:
    (entrypoint,) = dockerfile_instruction("ENTRYPOINT")
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert yaml.safe_load(entrypoint) == ["aftersales"]
    assert "aftersales" in scripts
    assert dockerfile_instruction("FROM")[-1].startswith("python:3.11-slim")
    assert dockerfile_instruction("USER")[-1] not in ("root", "0")
    installs = [run for run in dockerfile_instruction("RUN") if "pip install" in run]
    assert installs
    assert all(re.search(r"pip install \.(\s|$)", run) for run in installs)
    (healthcheck,) = dockerfile_instruction("HEALTHCHECK")
    assert "/healthz" in healthcheck
    assert "AFTERSALES_METRICS_PORT" in healthcheck
