"""Settings: one frozen object built from AFTERSALES_* environment variables and a .env file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipeline.common.errors import PipelineError
from schemas.topics import Topics

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
DEFAULT_VAR_DIR = Path("var")
ENV_PREFIX = "AFTERSALES_"
MASK = "***"


class SettingsError(PipelineError):
    """The settings are invalid; the message names each variable and what is wrong with it."""


def mask_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (postgresql://user:***@host/db)."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:  # not a URL we can take apart: show nothing of it
        return MASK
    if not password:
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:{MASK}@{hostport}"))


class Settings(BaseSettings):
    """Everything the pipeline can be told; entrypoints build it, tests pass values explicitly."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        extra="ignore",
        frozen=True,
        # Error messages must never echo values: some of them are passwords.
        hide_input_in_errors=True,
    )

    kafka_bootstrap: str | None = Field(
        default=None, description="host:port[,host:port]; unset: `demo` starts an embedded broker."
    )
    warehouse_url: str = Field(
        default=f"sqlite:///{DEFAULT_VAR_DIR}/warehouse.db",
        description="SQLAlchemy URL of the feedback warehouse (SQLite file or PostgreSQL).",
    )
    topic_prefix: str = "aftersales"
    topic_partitions: int = Field(default=4, ge=1, le=1000)
    topic_replication: int = Field(default=1, ge=1, le=10)
    consumer_group: str = "aftersales-worker"
    event_source: str = Field(
        default="urn:aftersales",
        min_length=1,
        max_length=1024,
        pattern=r"^[^\x00-\x20\x7f]+$",
        description="CloudEvents source (a URI reference) of every message this service publishes.",
    )
    var_dir: Path = DEFAULT_VAR_DIR
    embedded_broker: Literal["tansu", "noida"] = "tansu"

    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None

    session_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="Consumer group session timeout; real Kafka rejects less than 6 s.",
    )
    heartbeat_interval_s: float = Field(default=3.0, gt=0)
    batch_size: int = Field(default=2000, ge=1, le=20_000)
    batch_wait_s: float = Field(default=0.05, gt=0, le=60)
    batch_lanes: int = Field(
        default=0,
        ge=0,
        le=16,
        description=(
            "Batches written at once, each in its own process and transaction, on the partitions "
            "whose number modulo lanes is its own (as workers share them). 0: one on SQLite, "
            "which takes one writer at a time; two on PostgreSQL, so one lane's statements run "
            "while another's Python work does."
        ),
    )
    fetch_max_wait_ms: int = Field(
        default=100,
        ge=0,
        le=60_000,
        description="Longest the broker may hold a fetch before answering (fetch.max.wait.ms).",
    )
    warehouse_retry_max_s: float = Field(default=30.0, gt=0)
    max_future_skew_s: float = Field(
        default=86_400.0,
        ge=0,
        description=(
            "How far past the worker's clock an event's occurred_at may lie; later events are "
            "dead letters (reason future_event_time), so one bad clock cannot move event time."
        ),
    )
    stages: Literal["full", "archive"] = Field(
        default="full",
        description="full: enrich, case book and detection; archive: validate and archive only.",
    )
    detection_interval_s: float = Field(
        default=5.0,
        ge=0,
        description=(
            "How often (wall seconds) the detector, a process beside the batches, evaluates the "
            "signatures batches marked: one touched by many batches in between is evaluated once."
        ),
    )
    pseudonym_key: SecretStr = Field(
        default=SecretStr("aftersales-development-pseudonym-key"),
        description=(
            "Key of the HMAC that turns an erased customer's id into its pseudonym: set a long "
            "random secret in production and keep it, or later events stop matching."
        ),
    )
    retention_event_body_days: int = Field(
        default=730, ge=1, description="Days archived event bodies keep raw personal data."
    )
    retention_dead_letter_days: int = Field(
        default=30, ge=1, description="Days dead letters (raw bytes) are kept."
    )
    retention_interval_s: float = Field(
        default=3600.0, ge=0, description="How often the worker runs the retention job (0: never)."
    )

    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=6066, ge=0, le=65535)
    log_format: Literal["auto", "json", "text"] = "auto"
    log_level: str = "INFO"

    @field_validator("security_protocol", "sasl_mechanism", mode="before")
    @classmethod
    def _upper_case(cls, value: Any) -> Any:
        # Kafka spells these in capitals; accept `sasl_ssl` or `scram-sha-512` from a .env too.
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator(
        "sasl_mechanism",
        "sasl_username",
        "sasl_password",
        "ssl_cafile",
        "ssl_certfile",
        "ssl_keyfile",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        # `AFTERSALES_SSL_CAFILE=` (as compose files write an unset variable) means unset.
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _security_is_consistent(self) -> Settings:
        problems = security_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _one_lane_on_sqlite(self) -> Settings:
        if self.batch_lanes > 1 and self.warehouse_url.startswith("sqlite"):
            raise ValueError(
                "AFTERSALES_BATCH_LANES above 1 needs PostgreSQL: SQLite takes one writer at a time"
            )
        return self

    @property
    def lanes(self) -> int:
        """How many batches are written at once (``batch_lanes``, 0 resolved)."""
        if self.batch_lanes:
            return self.batch_lanes
        return 1 if self.warehouse_url.startswith("sqlite") else 2

    @property
    def max_future_skew(self) -> timedelta:
        """``max_future_skew_s`` as a duration."""
        return timedelta(seconds=self.max_future_skew_s)

    @property
    def topics(self) -> Topics:
        return Topics(self.topic_prefix)

    def require_bootstrap(self) -> str:
        from pipeline.common.errors import PipelineError

        if not self.kafka_bootstrap:
            raise PipelineError(
                "No Kafka broker configured: set AFTERSALES_KAFKA_BOOTSTRAP=host:port "
                "(or run `aftersales broker` and use the address it prints)."
            )
        return self.kafka_bootstrap

    def masked(self) -> dict[str, Any]:
        """The settings as a dict fit for logs: secrets and URL passwords stay masked."""
        return {k: _masked_value(k, v) for k, v in self}

    def __repr_args__(self) -> Any:
        # repr() ends up in tracebacks and debug logs: keep the warehouse password out of it.
        for name, value in super().__repr_args__():
            yield name, (_masked_value(name, value) if name else value)


def _masked_value(name: str, value: Any) -> Any:
    if isinstance(value, SecretStr):
        return str(value)
    if name == "warehouse_url" and isinstance(value, str):
        return mask_url(value)
    return value


def _unused(settings: Settings, names: tuple[str, ...], needs: str) -> list[str]:
    """The problem of settings given that the security protocol does not use."""
    given = [_env(name) for name in names if getattr(settings, name) is not None]
    if not given:
        return []
    return [
        f"{', '.join(given)} set, but AFTERSALES_SECURITY_PROTOCOL={settings.security_protocol} "
        f"does not {needs}, or unset them"
    ]


def _env(name: str) -> str:
    return f"{ENV_PREFIX}{name.upper()}"


def security_problems(settings: Settings) -> list[str]:
    """What contradicts itself in the Kafka security settings, each said as what to change."""
    protocol = settings.security_protocol
    problems = []
    if protocol in ("SASL_PLAINTEXT", "SASL_SSL"):
        if not settings.sasl_mechanism:
            problems.append(
                f"AFTERSALES_SECURITY_PROTOCOL={protocol} needs AFTERSALES_SASL_MECHANISM "
                "(PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)"
            )
        password = settings.sasl_password.get_secret_value() if settings.sasl_password else ""
        missing = [
            _env(name)
            for name, value in (
                ("sasl_username", settings.sasl_username),
                ("sasl_password", password),
            )
            if not value
        ]
        if missing:
            problems.append(
                f"AFTERSALES_SECURITY_PROTOCOL={protocol} needs {' and '.join(missing)}"
            )
    else:
        problems += _unused(
            settings,
            ("sasl_mechanism", "sasl_username", "sasl_password"),
            "authenticate with SASL: use SASL_PLAINTEXT or SASL_SSL",
        )
    if protocol not in ("SSL", "SASL_SSL"):
        problems += _unused(
            settings,
            ("ssl_cafile", "ssl_certfile", "ssl_keyfile"),
            "use TLS: use SSL or SASL_SSL",
        )
    if settings.ssl_keyfile is not None and settings.ssl_certfile is None:
        problems.append(
            "AFTERSALES_SSL_KEYFILE is the key of a client certificate: set "
            "AFTERSALES_SSL_CERTFILE too, or unset it"
        )
    return problems


def load_settings(**values: Any) -> Settings:
    """Settings from the environment (and ``values``); invalid ones raise SettingsError.

    Its message lists each variable and what is wrong with it, never a value: a rejected value
    may be a password.
    """
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise SettingsError(describe_errors(exc)) from None


def describe_errors(exc: ValidationError) -> str:
    """A ValidationError of Settings as lines of `VARIABLE: problem`, without input values."""
    lines = []
    for error in exc.errors(include_input=False, include_url=False, include_context=False):
        field = next((str(part) for part in error["loc"] if isinstance(part, str)), "")
        # Problems found across fields come joined by the model validator: one line each.
        for message in error["msg"].removeprefix("Value error, ").split("; "):
            lines.append(f"  {_env(field)}: {message}" if field else f"  {message}")
    return "invalid settings:\n" + "\n".join(lines)
