"""Limits that protect the pipeline from oversize or absurd input."""

MAX_MESSAGE_BYTES = 1_000_000
"""Largest Kafka message value the processors accept (a batch of events included)."""

MAX_EVENTS_PER_MESSAGE = 5_000
"""Largest number of events in one batch message."""

MAX_ID = 64
MAX_CODE = 120
MAX_NAME = 128
MAX_SHORT_TEXT = 512
MAX_TEXT = 8_000
MAX_PARTS_PER_REPAIR = 100
MAX_COMPONENTS_PER_MODEL = 2_000
