"""The batch's sequence and its stages on a hand-written unit of work: no database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pipeline import enrichment
from pipeline.common.records import Message
from pipeline.detection import Signature
from pipeline.detection.dedupe import Filed
from pipeline.jobs.batch.decode import Triaged, decode_batch
from pipeline.jobs.batch.handle import Steps, handle_batch
from pipeline.jobs.batch.model import Batch, BatchOutcome
from pipeline.jobs.batch.stages.detection import DetectionStage
from pipeline.jobs.batch.stages.enrich import EnrichStep
from pipeline.jobs.batch.stages.product_loop import ProductLoopStage
from schemas.codec import encode
from schemas.events import FAMILY_OF_TYPE, InboundEvent
from schemas.topics import Topics
from tests.helpers import make, ticket_opened
from tests.unit.batch.fakes import FakeUnitOfWork
from tests.unit.detection.detection_factories import at, complaint, repair_event

TOPICS = Topics()
NOW = datetime(2024, 6, 1, tzinfo=UTC)


def _decoded(events: list[InboundEvent], junk: int = 0, offset: int = 0) -> Triaged:
    messages = [
        Message(TOPICS.name(FAMILY_OF_TYPE[e.event_type]), 0, offset + i, b"k", encode(e))
        for i, e in enumerate(events)
    ]
    messages += [Message(TOPICS.tickets, 0, 1000 + i, b"k", b"{not json") for i in range(junk)]
    return decode_batch(messages, TOPICS, NOW)


@dataclass
class Seen:
    """A stage that records the events it is shown."""

    ids: list[list[str]] = field(default_factory=list)

    def __call__(self, batch: Batch) -> None:
        self.ids.append([a.event.id_text for a in batch.new])


def _handle(uow: FakeUnitOfWork, batch: Triaged, steps: Steps | None = None) -> BatchOutcome:
    return handle_batch(
        uow, batch, steps or Steps(), now=NOW, deadletter_topic="dlq", claimant="w-1"
    )


def test_a_batch_archives_each_event_once_and_stages_see_only_events_never_archived() -> None:
    uow = FakeUnitOfWork()
    before, after = Seen(), Seen()
    steps = Steps(before_archive=[before], after_archive=[after])
    first = [ticket_opened(1, "T-1"), ticket_opened(2, "T-2"), ticket_opened(1, "T-1")]
    outcome = _handle(uow, _decoded(first), steps)
    assert (outcome.archived, outcome.duplicates) == (2, 1)
    again = _handle(uow, _decoded([ticket_opened(2, "T-2"), ticket_opened(3, "T-3")]), steps)
    assert (again.archived, again.duplicates) == (1, 1)
    assert len(uow.archive.events) == 3
    # The step before archiving sees the candidates; the stages after it only the new ones.
    assert [len(ids) for ids in before.ids] == [2, 2]
    assert [len(ids) for ids in after.ids] == [2, 1]
    assert sorted(uow.archive.ticket_rows) == ["T-1", "T-2", "T-3"]
    assert len(uow.archive.rows["ticket_status_history"]) == 3


def test_dead_letters_are_stored_and_published_once_and_the_watermark_moves_to_the_latest() -> None:
    uow = FakeUnitOfWork()
    late = ticket_opened(7, "T-7", occurred_at=NOW - timedelta(days=1))
    events = [ticket_opened(5, "T-5"), late]
    outcome = _handle(uow, _decoded(events, junk=2))
    assert outcome.dead_letters == 2
    assert outcome.dead_by_reason == {"invalid_json": 2}
    assert [m.topic for m, _ in uow.outbox.messages] == ["dlq", "dlq"]
    assert [c[1].topic for c in outcome.claimed] == ["dlq", "dlq"]
    redelivered = _handle(uow, _decoded(events, junk=2))
    assert redelivered.dead_letters == 2
    assert len(uow.outbox.messages) == 2, "a redelivered dead letter is not published again"
    assert uow.clocks.now == max(e.occurred_at for e in events)


def test_a_batch_of_only_duplicates_leaves_the_watermark_and_the_stages_alone() -> None:
    uow = FakeUnitOfWork()
    _handle(uow, _decoded([ticket_opened(1, "T-1")]))
    mark = uow.clocks.now
    after = Seen()
    later = ticket_opened(1, "T-1")
    _handle(uow, _decoded([later]), Steps(after_archive=[after]))
    assert uow.clocks.now == mark
    assert after.ids == [[]]


def test_detection_marks_the_signatures_it_counts_and_counts_a_repost_once() -> None:
    uow = FakeUnitOfWork()
    text = "Coolant leaks under the engine after every long drive and the warning light comes on."
    product = ("Acme", "Roadster", "2020")
    uow.counts.complaints.append(Filed("C-0", product, at(-3).date(), text))
    events = [
        complaint(text=text, complaint_id="C-1", day=0),  # a repost of C-0: counted then
        complaint(text="The pump whines at idle.", complaint_id="C-2", day=0),
    ]
    batch = Batch(uow=uow, now=NOW, new=_decoded(events).accepted)
    DetectionStage()(batch)
    counted = sum(day.n for per_day in uow.counts.store.counts.values() for day in per_day.values())
    assert counted > 0
    signature = Signature("Acme", "Roadster", "2020", "ENGINE")
    assert signature in uow.counts.pending
    (only,) = [c for s, c in uow.counts.store.counts.items() if s == signature]
    assert sum(d.n for d in only.values()) == 1


def test_enrichment_is_typed_and_finds_a_repeat_repair_from_the_stored_ones() -> None:
    uow = FakeUnitOfWork()
    step = EnrichStep(
        enrichment.load_taxonomy(), enrichment.load_warranty_terms(), enrichment.load_rates()
    )
    first = repair_event()
    second = repair_event().model_copy(
        update={"repair_id": "R2", "occurred_at": first.occurred_at + timedelta(days=20)}
    )
    batch = Batch(uow=uow, now=NOW, new=_decoded([first, second]).accepted)
    step(batch)
    found = batch.enrichment[second.id_text]
    assert isinstance(found, enrichment.Enrichment)
    assert found.repeat_of == first.id_text
    assert batch.enrichment[first.id_text].repeat_of is None


def test_the_product_loop_stage_writes_one_row_per_decision() -> None:
    uow = FakeUnitOfWork()
    decision = make(
        "flag.triaged",
        9,
        NOW,
        flag_id="F-1",
        decision="confirm",
        decided_by="qa@example.com",
        decided_at=NOW.isoformat(),
    )
    batch = Batch(uow=uow, now=NOW, new=_decoded([decision]).accepted)
    ProductLoopStage()(batch)
    assert [r["flag_id"] for r in uow.archive.rows["flag_decisions"]] == ["F-1"]
    assert batch.stats.flag_decisions == 1
