"""Erasure in the batch: erased customers' events stored pseudonymised, requests carried out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Final
from uuid import NAMESPACE_URL, UUID, uuid5

from pipeline.common.tracing import trace_context
from pipeline.jobs.batch.decode import Accepted
from pipeline.jobs.batch.model import Batch, event_message
from pipeline.privacy import erase_event, is_pseudonym, pseudonym
from schemas.customers import CustomerErased, CustomerErasureRequested
from schemas.events import InboundEvent

SOURCE: Final = "aftersales-worker"
_ERASED_NAMESPACE: Final = uuid5(NAMESPACE_URL, "https://aftersales.dev/customer.erased")


def customer_ids_of(event: InboundEvent) -> set[str]:
    """The customer ids an event names, read from its fields (no serialisation per event)."""
    found = {getattr(event, "customer_id", None)}
    customer = getattr(event, "customer", None)
    if customer is not None:
        found.add(customer.customer_id)
    return {cid for cid in found if cid}


@dataclass(frozen=True)
class PseudonymiseStep:
    """Before archiving: the events of erased customers become their pseudonymised copies.

    Runs after enrichment, which reads the texts the copies no longer hold, so a complaint's
    inferred component and the detector counts are the same whoever filed it. An erasure
    request is pseudonymised too: the archive never keeps the id it names; the id is left in
    ``batch.erasures`` for the erasure stage.
    """

    key: bytes

    def __call__(self, batch: Batch) -> None:
        requested = {
            a.event.id_text: a.event.customer_id
            for a in batch.new
            if isinstance(a.event, CustomerErasureRequested)
        }
        batch.erasures.update(requested)
        named = {cid for a in batch.new for cid in customer_ids_of(a.event)}
        candidates = {cid: pseudonym(cid, self.key) for cid in named if not is_pseudonym(cid)}
        if not candidates:
            return
        erased = batch.uow.erasures.erased_among(set(candidates.values()))
        erased |= {candidates[cid] for cid in requested.values()}
        wanted = {cid: p for cid, p in candidates.items() if p in erased}
        if wanted:
            batch.new = list(_pseudonymised(batch.new, wanted))


def _pseudonymised(items: Iterable[Accepted], wanted: dict[str, str]) -> Iterable[Accepted]:
    for item in items:
        if customer_ids_of(item.event) & wanted.keys():
            yield replace(item, event=erase_event(item.event, wanted))
        else:
            yield item


@dataclass(frozen=True)
class ErasureStage:
    """Carry out the batch's erasure requests, each once (only new events reach a stage), and
    keep erased customers out of the call lists: their pending follow-ups are dropped and the
    follow-ups this batch scheduled for them are never announced."""

    key: bytes
    erasures_topic: str
    followups_topic: str

    def __call__(self, batch: Batch) -> None:
        erased: set[str] = set()
        requests = 0
        for item in batch.new:
            event = item.event
            if not isinstance(event, CustomerErasureRequested):
                continue
            customer_id = batch.erasures[event.id_text]
            alias = pseudonym(customer_id, self.key)
            rows = batch.uow.erasures.erase_customer(
                customer_id,
                alias,
                request_event_id=event.id_text,
                now=batch.now,
                keep_topics=(self.erasures_topic,),
            )
            erased.add(alias)
            requests += 1
            confirmation = CustomerErased(
                event_id=erased_event_id(event.event_id),
                occurred_at=event.occurred_at,
                source=SOURCE,
                customer_id=customer_id,
                pseudonym=alias,
                request_event_id=event.id_text,
                request_id=event.request_id,
                erased_at=batch.now,
                rows=rows,
            )
            batch.outbox.append(
                event_message(
                    self.erasures_topic,
                    alias.encode(),
                    confirmation,
                    trace_context(item.message.headers),
                )
            )
        batch.stats.customers_erased += requests
        named = {cid for a in batch.new for cid in customer_ids_of(a.event) if is_pseudonym(cid)}
        erased |= batch.uow.erasures.erased_among(named - erased)
        if erased:
            batch.stats.followups_cancelled += batch.uow.erasures.cancel_followups(erased)
            keys = {p.encode() for p in erased}
            batch.outbox[:] = [
                o for o in batch.outbox if not (o.topic == self.followups_topic and o.key in keys)
            ]


def erased_event_id(request_event_id: UUID) -> UUID:
    """The event_id of the customer.erased that confirms a request (the same on redelivery)."""
    return uuid5(_ERASED_NAMESPACE, str(request_event_id))
