"""A caller's W3C trace context travels from an input message to what it causes and to the logs."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from pipeline.common.records import Message
from pipeline.common.tracing import cause_of, log_fields, log_traced, trace_context, traced_inputs
from pipeline.jobs.batch.decode import decode_batch
from schemas.cloudevents import binary_headers, with_source
from schemas.outputs import FollowUpScheduled
from schemas.topics import Topics
from tests.helpers import raw, ticket_opened

PARENT = b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
STATE = b"vendor=opaque"
TOPICS = Topics()
NOW = datetime(2024, 3, 5, tzinfo=UTC)


def test_a_valid_traceparent_and_its_tracestate_are_passed_on() -> None:
    headers = (("x", b"1"), ("TraceParent", PARENT), ("tracestate", STATE))
    assert trace_context(headers) == (("traceparent", PARENT), ("tracestate", STATE))


@pytest.mark.parametrize(
    "parent",
    [
        b"",
        b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",
        b"00-00000000000000000000000000000000-b7ad6b7169203331-01",
        b"00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
        b"00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
        b"\xff\xfe",
    ],
)
def test_a_malformed_traceparent_is_not_passed_on_nor_its_state(parent: bytes) -> None:
    assert trace_context((("traceparent", parent), ("tracestate", STATE))) == ()
    assert log_fields((("traceparent", parent),)) == {}


def test_log_records_get_the_traceparent_and_the_trace_id() -> None:
    assert log_fields((("traceparent", PARENT),)) == {
        "traceparent": PARENT.decode(),
        "trace_id": "0af7651916cd43dd8448eb211c80319c",
    }


def _accepted(ticket_id: str, parent: bytes | None, offset: int) -> Message:
    headers = (("traceparent", parent),) if parent else ()
    value = raw(ticket_opened(offset, ticket_id=ticket_id))
    return Message(TOPICS.tickets, 0, offset, b"k", value, headers=headers)


def test_an_output_carries_the_trace_of_the_latest_traced_input_naming_it() -> None:
    other = b"00-11111111111111111111111111111111-2222222222222222-01"
    batch = decode_batch(
        [_accepted("T-1", PARENT, 1), _accepted("T-2", other, 2), _accepted("T-1", None, 3)],
        TOPICS,
        NOW,
    )
    traced = traced_inputs(batch.accepted)
    assert len(traced) == 2
    followup = FollowUpScheduled(
        event_id="6f1c5b1e-8d7e-4f41-9a55-0c7c1a3c0e11",
        occurred_at=NOW,
        source="aftersales-worker",
        followup_id="fu-1",
        customer_id="C-1",
        ticket_id="T-1",
        reason="ticket_resolved",
        due_at=NOW,
        language="en",
        timezone="UTC",
    )
    assert cause_of(followup, traced) == (("traceparent", PARENT),)
    unrelated = followup.model_copy(update={"ticket_id": "T-9"})
    assert cause_of(unrelated, traced) == ()


def test_the_sending_service_names_itself_where_the_outbox_left_the_source_out() -> None:
    stored = binary_headers("id-1", "deadletter", NOW, None)
    sent = with_source(stored, "urn:example:worker")
    assert dict(sent)["ce_source"] == b"urn:example:worker"
    assert with_source(sent, "urn:other") == sent
    assert with_source((("x", b"1"),), "urn:other") == [("x", b"1")]


def test_the_worker_logs_what_became_of_a_traced_input_with_its_trace(
    caplog: pytest.LogCaptureFixture,
) -> None:
    traced = Message(TOPICS.tickets, 0, 7, b"k", b"{oops", headers=(("traceparent", PARENT),))
    untraced = Message(TOPICS.tickets, 0, 8, b"k", b"{oops")
    batch = decode_batch([traced, untraced, _accepted("T-1", PARENT, 9)], TOPICS, NOW)
    logger = logging.getLogger("test.tracing")
    with caplog.at_level(logging.DEBUG, logger="test.tracing"):
        log_traced(logger, batch)
    dead, received = caplog.records
    assert dead.levelno == logging.INFO
    assert "/0/7: invalid_json" in dead.getMessage()
    assert received.levelno == logging.DEBUG
    assert "ticket.opened" in received.getMessage()
    for record in (dead, received):
        assert record.traceparent == PARENT.decode()  # type: ignore[attr-defined]
        assert "0af7651916cd43dd8448eb211c80319c" in record.getMessage()
