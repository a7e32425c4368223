"""The first commands a new user types: one-line errors, documented exit codes, the demo's data."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from pipeline.cli.files import NoSuchInput, expand_paths
from pipeline.cli.main import exit_code
from pipeline.cli.support import (
    ExitCode,
    NotFound,
    limited,
    matching,
    reading_engine,
    warehouse_url,
)
from pipeline.common.config import Settings, SettingsError
from pipeline.common.unavailable import BrokerUnavailable, WarehouseUnavailable
from pipeline.warehouse.engine import make_engine
from pipeline.warehouse.migrate import upgrade
from tests.helpers import REPO, aftersales


def _migrated(path: Path) -> None:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()


def test_errors_map_to_the_documented_exit_codes() -> None:
    assert exit_code(SettingsError("x")) is ExitCode.USAGE
    assert exit_code(BrokerUnavailable("x")) is ExitCode.UNAVAILABLE
    assert exit_code(WarehouseUnavailable("x")) is ExitCode.UNAVAILABLE
    assert exit_code(NotFound("x")) is ExitCode.FAILED
    assert exit_code(NoSuchInput("x")) is ExitCode.FAILED


def test_views_read_the_demos_warehouse_when_none_is_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert warehouse_url(settings) == settings.warehouse_url, "no demo yet: the configured one"
    (tmp_path / "var" / "demo").mkdir(parents=True)
    _migrated(tmp_path / "var" / "demo" / "warehouse.db")
    console = Console(record=True, width=200)
    assert warehouse_url(settings, console) == "sqlite:///var/demo/warehouse.db"
    assert "reading the demo's warehouse var/demo/warehouse.db" in console.export_text()
    (tmp_path / "var" / "warehouse.db").touch()  # an empty file, as older versions left
    assert warehouse_url(settings) == "sqlite:///var/demo/warehouse.db"
    _migrated(tmp_path / "var" / "warehouse.db")
    assert warehouse_url(settings) == settings.warehouse_url, "a real warehouse wins"


def test_a_configured_warehouse_is_used_even_when_the_demo_left_one(tmp_path: Path) -> None:
    (tmp_path / "demo").mkdir()
    _migrated(tmp_path / "demo" / "warehouse.db")
    mine = f"sqlite:///{tmp_path}/mine.db"
    settings = Settings(_env_file=None, var_dir=tmp_path, warehouse_url=mine)  # type: ignore[call-arg]
    assert warehouse_url(settings) == mine


def test_a_missing_warehouse_is_not_created_by_a_view(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/none.db"
    settings = Settings(_env_file=None, var_dir=tmp_path, warehouse_url=url)  # type: ignore[call-arg]
    with pytest.raises(WarehouseUnavailable, match="aftersales db upgrade"):
        reading_engine(settings)
    assert not (tmp_path / "none.db").exists()


def test_an_empty_database_names_the_command_that_creates_the_tables(tmp_path: Path) -> None:
    (tmp_path / "empty.db").touch()
    url = f"sqlite:///{tmp_path}/empty.db"
    settings = Settings(_env_file=None, var_dir=tmp_path, warehouse_url=url)  # type: ignore[call-arg]
    with pytest.raises(WarehouseUnavailable, match="run `aftersales db upgrade`"):
        reading_engine(settings)


def test_an_unreachable_postgresql_is_one_clear_error() -> None:
    url = "postgresql+psycopg://nobody:secret@127.0.0.1:1/none"
    settings = Settings(_env_file=None, warehouse_url=url)  # type: ignore[call-arg]
    with pytest.raises(WarehouseUnavailable, match="Cannot reach the warehouse") as caught:
        reading_engine(settings)
    assert "secret" not in str(caught.value)


def test_limits_say_what_they_left_out_and_filters_ignore_case() -> None:
    rows = [{"market": m, "n": i} for i, m in enumerate(["CN", "de", "DE", "US"])]
    console = Console(record=True, width=200)
    assert matching(rows, market="de", owner=None) == rows[1:3]
    assert limited(rows, 0, console, "cases") == rows
    assert limited(rows, 3, console, "cases") == rows[:3]
    assert "showing 3 of 4 cases" in console.export_text()


def test_file_arguments_expand_globs_and_refuse_names_that_match_nothing(tmp_path: Path) -> None:
    for name in ("b.csv", "a.csv", "c.txt"):
        (tmp_path / name).write_text("x")
    assert expand_paths([str(tmp_path / "*.csv"), "-"]) == [
        str(tmp_path / "a.csv"),
        str(tmp_path / "b.csv"),
        "-",
    ]
    with pytest.raises(NoSuchInput, match="No file matches"):
        expand_paths([str(tmp_path / "*.json")])
    with pytest.raises(NoSuchInput, match="No such file"):
        expand_paths([str(tmp_path / "d.csv")])


@pytest.mark.parametrize("command", [["flags"], ["cases"], ["kpis"], ["stats"]])
def test_a_view_on_a_fresh_clone_says_what_to_run_in_one_line(
    command: list[str], tmp_path: Path
) -> None:
    done = aftersales(command, tmp_path)
    assert done.returncode == ExitCode.UNAVAILABLE, done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "aftersales db upgrade" in done.stderr
    assert not (tmp_path / "var" / "warehouse.db").exists()


def test_history_of_an_unknown_serial_says_so_and_fails(tmp_path: Path) -> None:
    _migrated(tmp_path / "w.db")
    done = aftersales(
        ["history", "--serial", "NOPE"], tmp_path, AFTERSALES_WAREHOUSE_URL="sqlite:///w.db"
    )
    assert done.returncode == ExitCode.FAILED
    assert "NOPE" in done.stderr
    assert done.stdout == ""


def test_produce_to_an_unreachable_broker_fails_at_once_in_one_line(tmp_path: Path) -> None:
    example = REPO / "examples" / "events" / "ticket.opened.json"
    done = aftersales(["produce", str(example)], tmp_path, AFTERSALES_KAFKA_BOOTSTRAP="127.0.0.1:1")
    assert done.returncode == ExitCode.UNAVAILABLE, done.stderr
    assert done.stderr.strip().splitlines() == [
        "error: No Kafka broker answered at 127.0.0.1:1 within 5 s: start one "
        "(`aftersales broker`) or fix AFTERSALES_KAFKA_BOOTSTRAP."
    ]


def test_usage_errors_and_version_and_completion(tmp_path: Path) -> None:
    assert aftersales(["flags", "--no-such-option"], tmp_path).returncode == ExitCode.USAGE
    version = aftersales(["--version"], tmp_path)
    assert version.returncode == 0
    assert version.stdout.startswith("aftersales ")
    completion = aftersales(
        ["--show-completion", "bash"], tmp_path, _TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION="1"
    )
    assert completion.returncode == 0, completion.stderr
    assert "complete" in completion.stdout
