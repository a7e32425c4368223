"""Every Kafka client gets the same security options from one translation of the settings.

No broker here can authenticate clients with SASL (Tansu 0.6.0 can require it, but users can only
be created through an authenticated connection and its memory storage forgets them on restart;
noida-db has no Kafka SASL), so these tests assert the configuration each client is built with.
"""

from __future__ import annotations

import asyncio
import ssl
import subprocess
from pathlib import Path
from typing import Any

import faust
import pytest
from kafka import KafkaAdminClient, KafkaProducer

from pipeline.common.config import Settings
from pipeline.common.kafka_security import (
    KafkaSecurityError,
    aiokafka_options,
    faust_credentials,
    kafka_python_options,
    ssl_context,
)

SASL = {"sasl_username": "svc", "sasl_password": "pw-1"}


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "client.crt", tmp_path / "client.key"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=aftersales-test", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def _faust_consumer_client(settings: Settings) -> Any:
    """The aiokafka client of the worker's consumer, built (never started) as the worker does."""
    app = faust.App(
        "security-test",
        broker="kafka://127.0.0.1:9",
        broker_credentials=faust_credentials(settings),
        web_enabled=False,
    )

    async def build() -> Any:
        thread = app.consumer._thread  # type: ignore[attr-defined]
        consumer = thread._create_consumer(loop=asyncio.get_running_loop())
        client = consumer._client
        await consumer.stop()
        return client

    return asyncio.run(build())


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"security_protocol": "SSL"},
        {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "PLAIN", **SASL},
        {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-256", **SASL},
        {"security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512", **SASL},
    ],
)
def test_kafka_python_clients_and_the_faust_consumer_get_the_same_options(
    values: dict[str, Any],
) -> None:
    settings = Settings(**values)
    opts = kafka_python_options(settings)
    client = _faust_consumer_client(settings)

    assert opts["security_protocol"] == settings.security_protocol
    assert client._security_protocol == settings.security_protocol
    assert (opts.get("ssl_context") is None) == (client._ssl_context is None)
    if settings.security_protocol.startswith("SASL"):
        for seen in (opts["sasl_mechanism"], client._sasl_mechanism):
            assert seen == settings.sasl_mechanism
        assert opts["sasl_plain_username"] == client._sasl_plain_username == "svc"
        assert opts["sasl_plain_password"] == client._sasl_plain_password == "pw-1"
    else:
        assert not any(key.startswith("sasl_") for key in opts)
    # Only options kafka-python's producer and admin client know (they reject others).
    assert set(opts) <= set(KafkaProducer.DEFAULT_CONFIG) & set(KafkaAdminClient.DEFAULT_CONFIG)


def test_the_readiness_check_connects_as_the_consumer_does() -> None:
    settings = Settings(security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512", **SASL)
    opts = aiokafka_options(faust_credentials(settings))
    assert opts["security_protocol"] == "SASL_SSL"
    assert opts["sasl_mechanism"] == "SCRAM-SHA-512"
    assert opts["sasl_plain_password"] == "pw-1"
    assert isinstance(opts["ssl_context"], ssl.SSLContext)


def test_plaintext_needs_no_faust_credentials() -> None:
    assert faust_credentials(Settings()) is None
    assert aiokafka_options(None) == {"security_protocol": "PLAINTEXT"}


def test_tls_verifies_the_broker_and_checks_its_name() -> None:
    context = ssl_context(Settings(security_protocol="SSL"))
    assert context is not None
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname


def test_a_client_certificate_with_its_key_in_the_same_file_loads(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    both = tmp_path / "client.pem"
    both.write_text(cert.read_text() + key.read_text())
    settings = Settings(security_protocol="SSL", ssl_certfile=both, ssl_cafile=cert)
    assert isinstance(ssl_context(settings), ssl.SSLContext)
    assert isinstance(faust_credentials(settings), faust.SSLCredentials)
    separate = Settings(security_protocol="SSL", ssl_certfile=cert, ssl_keyfile=key)
    assert isinstance(kafka_python_options(separate)["ssl_context"], ssl.SSLContext)


def test_unreadable_tls_files_say_which_setting_to_fix(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    with pytest.raises(KafkaSecurityError, match="AFTERSALES_SSL_CAFILE"):
        ssl_context(Settings(security_protocol="SSL", ssl_cafile=missing))
    cert, _ = _self_signed(tmp_path)  # no key in the file, none configured
    with pytest.raises(KafkaSecurityError, match="AFTERSALES_SSL_CERTFILE"):
        kafka_python_options(Settings(security_protocol="SSL", ssl_certfile=cert))


def test_faust_credentials_never_show_the_password() -> None:
    settings = Settings(security_protocol="SASL_PLAINTEXT", sasl_mechanism="PLAIN", **SASL)
    assert "pw-1" not in repr(faust_credentials(settings))
