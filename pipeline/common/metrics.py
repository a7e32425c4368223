"""Prometheus metrics, declared once; labels are closed sets (topics, types, reasons), never ids."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

MESSAGES_CONSUMED = Counter(
    "aftersales_messages_consumed_total",
    "Messages consumed from inbound topics (a batch message holds many events).",
    ["topic"],
    registry=REGISTRY,
)
EVENTS_ARCHIVED = Counter(
    "aftersales_events_archived_total",
    "Events archived for the first time, by event type.",
    ["event_type"],
    registry=REGISTRY,
)
DUPLICATES = Counter(
    "aftersales_events_duplicate_total",
    "Events already archived (redeliveries, replays), skipped idempotently.",
    registry=REGISTRY,
)
DEAD_LETTERS = Counter(
    "aftersales_dead_letters_total",
    "Messages or batch items sent to the dead-letter topic, by reason.",
    ["reason"],
    registry=REGISTRY,
)
MESSAGES_PRODUCED = Counter(
    "aftersales_messages_produced_total",
    "Messages published by the worker, by topic.",
    ["topic"],
    registry=REGISTRY,
)
BATCH_SIZE = Histogram(
    "aftersales_archive_batch_size",
    "Messages per archive round (the batches of every lane, written at once).",
    buckets=(1, 10, 50, 100, 250, 500, 1000, 2000, 5000),
    registry=REGISTRY,
)
BATCH_SECONDS = Histogram(
    "aftersales_archive_batch_seconds",
    "Time to process and commit one batch.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
DETECTION_ROUND_SECONDS = Histogram(
    "aftersales_detection_round_seconds",
    "Time of one detector round: read pending signatures, evaluate, write changed flags.",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
SIGNATURES_EVALUATED = Counter(
    "aftersales_detection_signatures_evaluated_total",
    "Signatures the detector evaluated.",
    registry=REGISTRY,
)
SIGNATURES_FAILED = Counter(
    "aftersales_detection_signatures_failed_total",
    "Signatures whose evaluation failed; set aside until new counts arrive (see the logs).",
    registry=REGISTRY,
)
PUBLISH_TO_ARCHIVE_SECONDS = Histogram(
    "aftersales_publish_to_archive_seconds",
    "From the Kafka record timestamp (publish time) to the archive commit.",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60, 300),
    registry=REGISTRY,
)
CONSUMER_LAG = Gauge(
    "aftersales_consumer_lag",
    "Messages behind the log end on the partitions this worker owns, by topic.",
    ["topic"],
    registry=REGISTRY,
)
FLAGS_RAISED = Counter(
    "aftersales_flags_raised_total",
    "Defect flags raised, by severity.",
    ["severity"],
    registry=REGISTRY,
)
FLAGS_OPEN = Gauge(
    "aftersales_flags_open",
    "Open defect flags in the warehouse, by severity.",
    ["severity"],
    registry=REGISTRY,
)
CASES_OPEN = Gauge(
    "aftersales_cases_open", "Complaint cases not yet confirmed resolved.", registry=REGISTRY
)
CASES_OVERDUE = Gauge(
    "aftersales_cases_overdue", "Open complaint cases past their SLA.", registry=REGISTRY
)
DEALERS_STALLED = Gauge(
    "aftersales_dealers_stalled",
    "Dealers leaving most of their recently due cases open past the SLA (rules: kpis.stalled_*).",
    registry=REGISTRY,
)
FOLLOWUPS_DUE = Gauge(
    "aftersales_followups_due",
    "Scheduled follow-up calls due (event time) without a recorded call.",
    registry=REGISTRY,
)
WAREHOUSE_ERRORS = Counter(
    "aftersales_warehouse_errors_total",
    "Failed warehouse transactions (each is retried with backoff).",
    registry=REGISTRY,
)
WAREHOUSE_UP = Gauge(
    "aftersales_warehouse_up",
    "1 when the last warehouse transaction succeeded, else 0.",
    registry=REGISTRY,
)
OUTBOX_UNDELIVERABLE = Counter(
    "aftersales_outbox_undeliverable_total",
    "Outbox messages the brokers refused for good (too large), by topic.",
    ["topic"],
    registry=REGISTRY,
)
OUTBOX_PENDING = Gauge(
    "aftersales_outbox_pending",
    "Messages written but not yet published.",
    registry=REGISTRY,
)
LAST_BATCH_UNIXTIME = Gauge(
    "aftersales_last_batch_timestamp_seconds",
    "Wall time of the last committed batch (liveness).",
    registry=REGISTRY,
)
CUSTOMERS_ERASED = Counter(
    "aftersales_customers_erased_total",
    "Erasure requests carried out (customer.erased published for each).",
    registry=REGISTRY,
)
RETENTION_EVENTS_SCRUBBED = Counter(
    "aftersales_retention_event_bodies_scrubbed_total",
    "Archived event bodies whose personal data the retention job removed.",
    registry=REGISTRY,
)
RETENTION_DEAD_LETTERS_DELETED = Counter(
    "aftersales_retention_dead_letters_deleted_total",
    "Dead letters deleted by the retention job.",
    registry=REGISTRY,
)
RETENTION_LAST_RUN_UNIXTIME = Gauge(
    "aftersales_retention_last_run_timestamp_seconds",
    "Wall time the retention job last finished.",
    registry=REGISTRY,
)
