"""Settings come from AFTERSALES_* variables, are frozen, and never print secrets."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pipeline.common.config import Settings, SettingsError, load_settings, mask_url
from pipeline.common.errors import PipelineError
from pipeline.common.kafka_security import kafka_python_options


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
    assert "s3cret" not in repr(settings)
    opts = kafka_python_options(settings)
    assert opts["sasl_plain_password"] == "s3cret"
    assert opts["security_protocol"] == "SASL_SSL"


def test_warehouse_passwords_are_masked_in_logs_and_repr() -> None:
    settings = Settings(warehouse_url="postgresql+psycopg://svc:pw-1@db:5432/aftersales")
    assert settings.masked()["warehouse_url"] == "postgresql+psycopg://svc:***@db:5432/aftersales"
    assert "pw-1" not in repr(settings)
    assert settings.warehouse_url.endswith("svc:pw-1@db:5432/aftersales")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:p%40ss@h/db", "postgresql://u:***@h/db"),
        ("postgresql://u@h/db", "postgresql://u@h/db"),
        ("sqlite:///var/warehouse.db", "sqlite:///var/warehouse.db"),
        ("postgresql://u:pw@[::1]:5432/db", "postgresql://u:***@[::1]:5432/db"),
    ],
)
def test_mask_url_hides_only_the_password(url: str, shown: str) -> None:
    assert mask_url(url) == shown


SASL_OK = {"sasl_mechanism": "SCRAM-SHA-256", "sasl_username": "svc", "sasl_password": "pw"}


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"security_protocol": "PLAINTEXT", "sasl_mechanism": "PLAIN"}, "does not authenticate"),
        ({"security_protocol": "SSL", **SASL_OK}, "does not authenticate with SASL"),
        ({"security_protocol": "SASL_PLAINTEXT"}, "needs AFTERSALES_SASL_MECHANISM"),
        (
            {"security_protocol": "SASL_SSL", "sasl_mechanism": "PLAIN", "sasl_username": "svc"},
            "needs AFTERSALES_SASL_PASSWORD",
        ),
        (
            {"security_protocol": "SASL_SSL", "sasl_mechanism": "PLAIN", "sasl_password": "pw"},
            "needs AFTERSALES_SASL_USERNAME",
        ),
        ({"ssl_cafile": "ca.pem"}, "AFTERSALES_SSL_CAFILE set, but .*does not use TLS"),
        ({"security_protocol": "SASL_PLAINTEXT", **SASL_OK, "ssl_certfile": "c.pem"}, "TLS"),
        ({"security_protocol": "SSL", "ssl_keyfile": "k.pem"}, "set AFTERSALES_SSL_CERTFILE"),
        ({"security_protocol": "SASL_SSL", **SASL_OK, "sasl_mechanism": "GSSAPI"}, "SCRAM-SHA-512"),
        ({"security_protocol": "TLS"}, "AFTERSALES_SECURITY_PROTOCOL: Input should be"),
    ],
)
def test_contradictory_security_settings_are_refused_with_what_to_fix(
    values: dict[str, object], complaint: str
) -> None:
    with pytest.raises(SettingsError, match=complaint) as caught:
        load_settings(**values)
    assert "pw" not in str(caught.value).replace("PASSWORD", "")


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"security_protocol": "SSL"},
        {"security_protocol": "SSL", "ssl_cafile": "ca.pem", "ssl_certfile": "c.pem"},
        {"security_protocol": "sasl_ssl", **SASL_OK, "sasl_mechanism": "scram-sha-512"},
        {"security_protocol": "SASL_PLAINTEXT", **SASL_OK, "sasl_mechanism": "PLAIN"},
        {"sasl_mechanism": "", "ssl_cafile": ""},
    ],
)
def test_consistent_security_settings_are_accepted(values: dict[str, object]) -> None:
    settings = load_settings(**values)
    assert settings.security_protocol in ("PLAINTEXT", "SSL", "SASL_SSL", "SASL_PLAINTEXT")


def test_settings_errors_never_show_the_values_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFTERSALES_SASL_PASSWORD", "hunter2")
    monkeypatch.setenv("AFTERSALES_BATCH_LANES", "2")
    with pytest.raises(ValidationError) as raw:
        Settings()
    assert "hunter2" not in str(raw.value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "hunter2" not in str(caught.value)
    assert "AFTERSALES_SASL_PASSWORD" in str(caught.value)


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
