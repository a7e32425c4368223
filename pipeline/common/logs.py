"""Logging: JSON lines when not on a terminal (containers, files), readable text on one."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

from pipeline.common.config import Settings

_URL_PASSWORD = re.compile(r"([a-z][a-z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@", re.IGNORECASE)


def mask_passwords(text: str) -> str:
    """``text`` with the password of every URL in it (scheme://user:password@host) masked."""
    return _URL_PASSWORD.sub(r"\1***@", text)


class MaskPasswords(logging.Filter):
    """Keeps URL passwords (a warehouse URL in an error message, say) out of every log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_passwords(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def use_json(settings: Settings) -> bool:
    if settings.log_format == "auto":
        return not sys.stderr.isatty()
    return settings.log_format == "json"


def logging_config(settings: Settings) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` mapping for the worker and the CLI."""
    formatter: dict[str, Any]
    if use_json(settings):
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
    else:
        formatter = {"format": "[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "filters": {"mask_passwords": {"()": MaskPasswords}},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["mask_passwords"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["default"], "level": settings.log_level.upper()},
        # Kafka clients log whole messages (customer ids, complaint texts) at DEBUG: they stay
        # at INFO or above whatever AFTERSALES_LOG_LEVEL says, so logs never carry personal data.
        "loggers": {
            name: {"level": _at_least_info(settings.log_level)} for name in PAYLOAD_LOGGERS
        },
    }


PAYLOAD_LOGGERS = ("aiokafka", "kafka", "faust.transport", "mode.utils.queues")
"""Libraries whose DEBUG lines carry message keys and values."""


def _at_least_info(level: str) -> str:
    numeric = logging.getLevelName(level.upper())
    return "INFO" if isinstance(numeric, int) and numeric < logging.INFO else level.upper()
