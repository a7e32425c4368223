"""Kafka client security: the one translation of Settings into every client's TLS and SASL options.

The admin client and producers (kafka-python), the worker's consumer and producer (Faust over
aiokafka) and the readiness check all take their options from here, so one setting can never
mean plaintext to one client and SASL to another. Settings refuses contradictory combinations
before any of this runs (see ``pipeline.common.config``).
"""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING, Any

from pipeline.common.errors import PipelineError

if TYPE_CHECKING:
    from pipeline.common.config import Settings

TLS_PROTOCOLS = frozenset({"SSL", "SASL_SSL"})
SASL_PROTOCOLS = frozenset({"SASL_PLAINTEXT", "SASL_SSL"})


class KafkaSecurityError(PipelineError):
    """The configured TLS files could not be loaded."""


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """The TLS context every client uses, or None when the protocol has no TLS.

    Server certificates are verified (against ``ssl_cafile`` or the system's CAs) and host names
    checked; a client certificate is sent when ``ssl_certfile`` is set, its key read from
    ``ssl_keyfile`` or, when that is unset, from the certificate file itself.
    """
    if settings.security_protocol not in TLS_PROTOCOLS:
        return None
    cafile = str(settings.ssl_cafile) if settings.ssl_cafile else None
    try:
        context = ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError) as exc:
        raise KafkaSecurityError(
            f"AFTERSALES_SSL_CAFILE={cafile} could not be loaded ({type(exc).__name__}: {exc}): "
            "point it at a readable PEM file of CA certificates."
        ) from exc
    if settings.ssl_certfile:
        certfile = str(settings.ssl_certfile)
        keyfile = str(settings.ssl_keyfile) if settings.ssl_keyfile else None
        try:
            context.load_cert_chain(certfile, keyfile)
        except (OSError, ssl.SSLError) as exc:
            raise KafkaSecurityError(
                f"the client certificate AFTERSALES_SSL_CERTFILE={certfile} "
                f"(key: {keyfile or 'in the same file'}) could not be loaded "
                f"({type(exc).__name__}: {exc}): check that both are readable PEM files and "
                "that the key belongs to the certificate (an encrypted key is not supported)."
            ) from exc
    return context


def _password(settings: Settings) -> str | None:
    return settings.sasl_password.get_secret_value() if settings.sasl_password else None


def kafka_python_options(settings: Settings) -> dict[str, Any]:
    """Security keyword arguments for kafka-python's KafkaProducer and KafkaAdminClient."""
    opts: dict[str, Any] = {"security_protocol": settings.security_protocol}
    context = ssl_context(settings)
    if context is not None:
        opts["ssl_context"] = context
    if settings.security_protocol in SASL_PROTOCOLS:
        opts["sasl_mechanism"] = settings.sasl_mechanism
        opts["sasl_plain_username"] = settings.sasl_username
        opts["sasl_plain_password"] = _password(settings)
    return opts


def faust_credentials(settings: Settings) -> Any:
    """Faust's ``broker_credentials`` for the settings (None for plaintext).

    Faust derives the protocol from the credentials' type: SASLCredentials means SASL_SSL when
    it carries a TLS context and SASL_PLAINTEXT otherwise; SSLCredentials means SSL.
    """
    import faust

    context = ssl_context(settings)
    if settings.security_protocol in SASL_PROTOCOLS:
        return faust.SASLCredentials(
            username=settings.sasl_username,
            password=_password(settings),
            ssl_context=context,
            mechanism=settings.sasl_mechanism,
        )
    if context is not None:
        return faust.SSLCredentials(context)
    return None


def aiokafka_options(credentials: Any, context: ssl.SSLContext | None = None) -> dict[str, Any]:
    """aiokafka keyword arguments for Faust's credentials, as Faust gives its own clients."""
    from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth

    return dict(credentials_to_aiokafka_auth(credentials, context))
