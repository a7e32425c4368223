"""Erase or scrub personal data in event bodies (JSON objects), whatever the event type."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any, Final

from pipeline.privacy.pseudonyms import is_pseudonym
from pipeline.reports.scrub import scrub_personal_data
from schemas.events import INBOUND, InboundEvent

ERASED_TEXT: Final = "[erased]"
"""What an erased customer's free text becomes (required text fields must keep a value)."""

FREE_TEXT_FIELDS: Final = frozenset(
    {"summary", "description", "diagnosis", "comment", "text", "notes", "note", "reason"}
    | {"resolution"}
)
"""Fields of inbound events where people write what they like: names, phones, addresses."""

_ERASED_TIMEZONE: Final = "UTC"
"""An erased customer's time zone: a city-level zone narrows down where they live."""


def customer_ids_in(body: Mapping[str, Any]) -> set[str]:
    """The customer ids an event body names (``customer_id`` or ``customer.customer_id``)."""
    found: set[str] = set()
    direct = body.get("customer_id")
    if isinstance(direct, str):
        found.add(direct)
    customer = body.get("customer")
    if isinstance(customer, Mapping) and isinstance(customer.get("customer_id"), str):
        found.add(customer["customer_id"])
    return found


def erase_body(body: Mapping[str, Any], pseudonyms: Mapping[str, str]) -> dict[str, Any]:
    """``body`` with the customer ids in ``pseudonyms`` replaced and every free text erased.

    Used for the events of an erased customer: counts, codes and dates stay, so KPIs and
    detector series are the same; nothing a person wrote stays, since a name needs no
    honorific or digit to identify someone.
    """
    out = _replace_ids(body, pseudonyms)
    customer = out.get("customer")
    if isinstance(customer, dict) and customer.get("customer_id") in pseudonyms.values():
        customer["timezone"] = _ERASED_TIMEZONE
    return _texts(out, lambda _: ERASED_TEXT)


def scrub_body(
    body: Mapping[str, Any], pseudonym_of: Callable[[str], str], *, regions: Collection[str] = ()
) -> dict[str, Any]:
    """``body`` past its retention: every customer id pseudonymised, contacts cut from texts.

    Unlike erasure, the story in the texts stays (a report may still quote it); identifiers,
    e-mail addresses, phone numbers and the like go, as the report scrubber removes them.
    """
    ids = {cid: pseudonym_of(cid) for cid in customer_ids_in(body) if not is_pseudonym(cid)}
    out = _replace_ids(body, ids)
    product = body.get("product")
    serial = product.get("serial") if isinstance(product, Mapping) else None
    markets = [r for r in (*regions, body.get("market")) if isinstance(r, str)]

    def scrub(text: str) -> str:
        return scrub_personal_data(
            text, identifiers=[*ids, serial], regions=markets, max_length=len(text) + 16
        )

    return _texts(out, scrub)


def erase_event(event: InboundEvent, pseudonyms: Mapping[str, str]) -> InboundEvent:
    """The event as stored for an erased customer (see erase_body); same id, same type."""
    body = event.model_dump(mode="json", exclude_none=True)
    return INBOUND.validate_python(erase_body(body, pseudonyms))


def replace_strings(value: Any, old: str, new: str) -> Any:
    """``value`` (JSON-like) with ``old`` replaced by ``new`` in every string, keys included."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, Mapping):
        return {
            replace_strings(k, old, new): replace_strings(v, old, new) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [replace_strings(v, old, new) for v in value]
    return value


def _replace_ids(body: Mapping[str, Any], pseudonyms: Mapping[str, str]) -> dict[str, Any]:
    out = dict(body)
    direct = out.get("customer_id")
    if isinstance(direct, str) and direct in pseudonyms:
        out["customer_id"] = pseudonyms[direct]
    customer = out.get("customer")
    if isinstance(customer, Mapping):
        customer = dict(customer)
        cid = customer.get("customer_id")
        if isinstance(cid, str) and cid in pseudonyms:
            customer["customer_id"] = pseudonyms[cid]
        out["customer"] = customer
    return out


def _texts(body: dict[str, Any], change: Callable[[str], str]) -> dict[str, Any]:
    # Free text sits at the top of every inbound event; nested objects (product, customer,
    # parts) hold codes and names of things, never what a person wrote.
    for name in FREE_TEXT_FIELDS:
        text = body.get(name)
        if isinstance(text, str) and text:
            body[name] = change(text)
    return body
