"""Pseudonyms and the erasing and scrubbing of event bodies."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from pipeline.privacy import (
    ERASED_TEXT,
    erase_body,
    erase_event,
    is_pseudonym,
    pseudonym,
    replace_strings,
    scrub_body,
)
from tests.helpers import CUSTOMER, PRODUCT, make, ticket_opened

ids = st.text(min_size=1, max_size=64)
keys = st.binary(min_size=1, max_size=64)


@given(ids, keys)
def test_a_pseudonym_is_the_same_for_every_event_of_a_customer(
    customer_id: str, key: bytes
) -> None:
    alias = pseudonym(customer_id, key)
    assert alias == pseudonym(customer_id, key)
    assert is_pseudonym(alias)


@given(ids, ids, keys)
def test_different_customers_get_different_pseudonyms(a: str, b: str, key: bytes) -> None:
    assert (pseudonym(a, key) == pseudonym(b, key)) == (a == b)


@given(ids, keys, keys)
def test_a_pseudonym_depends_on_the_key(customer_id: str, k1: bytes, k2: bytes) -> None:
    assert (pseudonym(customer_id, k1) == pseudonym(customer_id, k2)) == (k1 == k2)


def test_customer_ids_are_not_taken_for_pseudonyms() -> None:
    assert not is_pseudonym("C-1")
    assert not is_pseudonym("anon-" + "x" * 32)


def test_an_erased_complaint_keeps_its_codes_and_loses_its_words() -> None:
    complaint = make(
        "complaint.filed",
        1,
        complaint_id="CMP-1",
        product=PRODUCT,
        customer=CUSTOMER,
        market="DE",
        component="HVAC:COMPRESSOR",
        text="Anna Kowalska, anna@example.com, +49 171 2345678",
        crash=True,
    )
    erased = erase_event(complaint, {"C-1": "anon-1"})
    assert erased.event_id == complaint.event_id
    body = erased.model_dump(mode="json")
    assert body["customer"] == {**CUSTOMER, "customer_id": "anon-1", "timezone": "UTC"}
    assert body["text"] == ERASED_TEXT
    before = complaint.model_dump(mode="json")
    assert (body["component"], body["crash"], body["product"]) == (
        "HVAC:COMPRESSOR",
        True,
        before["product"],
    )


def test_erasing_names_only_the_customers_it_is_given() -> None:
    body = ticket_opened(1, description="loud").model_dump(mode="json")
    erased = erase_body(body, {"C-OTHER": "anon-1"})
    assert erased["customer"] == body["customer"]


def test_a_scrubbed_body_keeps_the_story_without_the_contacts() -> None:
    body = make(
        "repair.completed",
        2,
        datetime(2022, 1, 2, tzinfo=UTC),
        repair_id="R-1",
        product=PRODUCT,
        customer_id="C-1",
        market="DE",
        component="HVAC",
        diagnosis="compressor seized, customer at anna@example.com, C-1",
    ).model_dump(mode="json", exclude_none=True)
    scrubbed = scrub_body(body, lambda cid: f"anon-{cid}")
    assert scrubbed["customer_id"] == "anon-C-1"
    assert "compressor seized" in scrubbed["diagnosis"]
    assert "anna@example.com" not in json.dumps(scrubbed)
    assert "C-1" not in scrubbed["diagnosis"]


@given(st.recursive(st.text(), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)))
def test_replacing_strings_leaves_no_old_value_behind(value: object) -> None:
    replaced = replace_strings(value, "C-1", "anon")
    assert "C-1" not in json.dumps(replaced)
