"""Settings come from AFTERSALES_* variables, are frozen, and never print secrets."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pipeline.config import Settings
from pipeline.errors import PipelineError


def test_reads_the_environment_with_the_aftersales_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFTERSALES_KAFKA_BOOTSTRAP", "kafka-1:9092")
    monkeypatch.setenv("AFTERSALES_TOPIC_PREFIX", "acme")
    settings = Settings()
    assert settings.kafka_bootstrap == "kafka-1:9092"
    assert settings.topics.tickets == "acme.tickets.v1"


def test_settings_are_frozen() -> None:
    settings = Settings(kafka_bootstrap="k:9092")
    with pytest.raises(ValidationError):
        settings.kafka_bootstrap = "other:9092"  # type: ignore[misc]


def test_secrets_are_masked_and_passed_to_kafka_python() -> None:
    settings = Settings(
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="svc",
        sasl_password="s3cret",  # type: ignore[arg-type]
    )
    assert "s3cret" not in str(settings.masked())
    opts = settings.kafka_python_security()
    assert opts["sasl_plain_password"] == "s3cret"
    assert opts["security_protocol"] == "SASL_SSL"


def test_a_missing_bootstrap_says_what_to_do() -> None:
    with pytest.raises(PipelineError, match="AFTERSALES_KAFKA_BOOTSTRAP"):
        Settings(kafka_bootstrap=None).require_bootstrap()


def test_lanes_default_to_one_on_sqlite_and_two_on_postgresql() -> None:
    assert Settings(warehouse_url="sqlite:///w.db").lanes == 1
    assert Settings(warehouse_url="postgresql://db/aftersales").lanes == 2
    assert Settings(warehouse_url="postgresql://db/aftersales", batch_lanes=4).lanes == 4


def test_sqlite_refuses_more_than_one_lane() -> None:
    with pytest.raises(ValidationError, match="needs PostgreSQL"):
        Settings(warehouse_url="sqlite:///w.db", batch_lanes=2)
