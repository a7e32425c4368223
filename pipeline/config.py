"""Settings: one frozen object built from AFTERSALES_* environment variables and a .env file."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.topics import Topics

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
DEFAULT_VAR_DIR = Path("var")


class Settings(BaseSettings):
    """Everything the pipeline can be told; entrypoints build it, tests pass values explicitly."""

    model_config = SettingsConfigDict(
        env_prefix="AFTERSALES_", env_file=".env", extra="ignore", frozen=True
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

    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=6066, ge=0, le=65535)
    log_format: Literal["auto", "json", "text"] = "auto"
    log_level: str = "INFO"

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
    def topics(self) -> Topics:
        return Topics(self.topic_prefix)

    def require_bootstrap(self) -> str:
        from pipeline.errors import PipelineError

        if not self.kafka_bootstrap:
            raise PipelineError(
                "No Kafka broker configured: set AFTERSALES_KAFKA_BOOTSTRAP=host:port "
                "(or run `aftersales broker` and use the address it prints)."
            )
        return self.kafka_bootstrap

    def kafka_python_security(self) -> dict[str, Any]:
        """Security options in kafka-python's spelling (producers, admin)."""
        opts: dict[str, Any] = {"security_protocol": self.security_protocol}
        if self.sasl_mechanism:
            opts["sasl_mechanism"] = self.sasl_mechanism
            opts["sasl_plain_username"] = self.sasl_username
            opts["sasl_plain_password"] = (
                self.sasl_password.get_secret_value() if self.sasl_password else None
            )
        if self.ssl_cafile:
            opts["ssl_cafile"] = str(self.ssl_cafile)
        if self.ssl_certfile:
            opts["ssl_certfile"] = str(self.ssl_certfile)
        if self.ssl_keyfile:
            opts["ssl_keyfile"] = str(self.ssl_keyfile)
        return opts

    def masked(self) -> dict[str, Any]:
        """The settings as a dict fit for logs: secrets stay masked."""
        return {k: (str(v) if isinstance(v, SecretStr) else v) for k, v in self}
