"""Shared fixtures: real brokers and real warehouses (SQLite and PostgreSQL) on 127.0.0.1."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine

from pipeline.harness.broker import EmbeddedBroker
from pipeline.warehouse.databases import create_database, drop_database
from pipeline.warehouse.engine import make_engine
from pipeline.warehouse.migrate import upgrade

# CI runs every property test on the same examples, so a run's verdict is the code's, not the
# draw's; development runs keep exploring new examples (and keep the ones that failed).
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

PG_ADMIN_URL = os.environ.get(
    "AFTERSALES_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
WAREHOUSE_KINDS = ("sqlite", "postgresql")
BROKER_KINDS = ("tansu", "noida")


def create_pg_database() -> str:
    """A fresh, empty PostgreSQL database; returns its URL."""
    return create_database(PG_ADMIN_URL)


def drop_pg_database(url: str) -> None:
    drop_database(PG_ADMIN_URL, url)


@pytest.fixture
def warehouse_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty warehouse URL on the engine named by the test's ``warehouse_kind`` param."""
    kind = getattr(request, "param", "sqlite")
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'warehouse.db'}"
        return
    url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture
def warehouse(warehouse_url: str) -> Iterator[Engine]:
    """A migrated warehouse engine."""
    engine = make_engine(warehouse_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def tansu() -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker("tansu") as broker:
        yield broker


@pytest.fixture(params=BROKER_KINDS, scope="module")
def any_broker(request: pytest.FixtureRequest) -> Iterator[EmbeddedBroker]:
    """Each embedded broker in turn: the e2e suite runs against both."""
    with EmbeddedBroker(request.param) as broker:
        yield broker


def both_warehouses() -> pytest.MarkDecorator:
    """Run a test on SQLite and on PostgreSQL."""
    return pytest.mark.parametrize("warehouse_url", WAREHOUSE_KINDS, indirect=True)
