"""A crash log line carries the traceback and where the batch being handled came from."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from collections.abc import Iterator, Sequence

import pytest

from consumers.crash import log_crash
from pipeline.common.config import Settings
from pipeline.common.logs import logging_config
from pipeline.common.records import Message


def _message(topic: str, partition: int, offset: int) -> Message:
    return Message(topic, partition, offset, b"k", b"{}", None)


def _write(messages: Sequence[Message]) -> None:
    raise ValueError("constraint violated")


def _process(messages: Sequence[Message]) -> None:
    lane = [m for m in messages if m.partition == 1]
    _write(lane)


def _crash() -> BaseException:
    batch = [_message("t.tickets", 0, 7), _message("t.tickets", 1, 40), _message("t.repairs", 1, 3)]
    batch += [_message("t.tickets", 1, 41)]
    try:
        _process(batch)
    except ValueError as exc:
        return exc
    raise AssertionError("no crash")


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    config = logging_config(Settings(log_format="json"))
    logging.config.dictConfig(config)
    stream = io.StringIO()
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def test_a_crash_line_has_the_traceback_and_the_lanes_offsets(json_log: io.StringIO) -> None:
    log_crash(logging.getLogger("consumers.app"), _crash())
    line = json.loads(json_log.getvalue().strip().splitlines()[-1])
    assert line["level"] == "ERROR"
    assert "Traceback" in line["exc_info"]
    assert "ValueError: constraint violated" in line["exc_info"]
    # The innermost batch: the lane of partition 1 that was being written.
    assert line["batch_size"] == 3
    assert (line["topic"], line["partition"], line["offset"]) == ("t.tickets", 1, 40)
    assert line["batch_first"] == "t.tickets[1]@40"
    assert line["batch_last"] == "t.tickets[1]@41"
    assert line["batch_offsets"] == {"t.repairs[1]": "3-3", "t.tickets[1]": "40-41"}
    assert "first t.tickets[1]@40, last t.tickets[1]@41" in line["message"]


def test_a_crash_without_a_batch_still_has_its_traceback(json_log: io.StringIO) -> None:
    try:
        raise RuntimeError("relay gone")
    except RuntimeError as exc:
        caught = exc
    log_crash(logging.getLogger("consumers.app"), caught)
    line = json.loads(json_log.getvalue().strip().splitlines()[-1])
    assert "RuntimeError: relay gone" in line["exc_info"]
    assert "topic" not in line


def test_url_passwords_never_reach_a_log_line(json_log: io.StringIO) -> None:
    logging.getLogger("pipeline").warning(
        "cannot reach %s", "postgresql+psycopg://svc:pw-1@db:5432/aftersales"
    )
    line = json.loads(json_log.getvalue().strip().splitlines()[-1])
    assert line["message"] == "cannot reach postgresql+psycopg://svc:***@db:5432/aftersales"
