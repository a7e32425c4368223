"""Limits that keep oversize or absurd input out: each fits the warehouse and the domain."""

from datetime import UTC, date, datetime
from decimal import Decimal

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
MAX_VARIANTS_PER_RECALL = 200
MAX_SIGNATURES_PER_ACTION = 50
"""Defect signatures one corrective action may address."""

EARLIEST_YEAR = 1900
"""First year any datetime, date or month on the wire may fall in (in UTC for datetimes).

Older than any unit still in service, and far from year 1, where converting a datetime to UTC
(or subtracting a day or a window from it) overflows.
"""
LATEST_YEAR = 2200
"""Last year any datetime, date or month on the wire may fall in (in UTC for datetimes).

Beyond any SLA, warranty or recall horizon, and far from year 9999, so that adding offsets,
SLAs and windows never overflows. How far ahead of the wall clock an event may be is checked
later, against the time the message was received; this is only the absolute range.
"""
EARLIEST_INSTANT = datetime(EARLIEST_YEAR, 1, 1, tzinfo=UTC)
LATEST_INSTANT = datetime(LATEST_YEAR, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
EARLIEST_DATE = date(EARLIEST_YEAR, 1, 1)
LATEST_DATE = date(LATEST_YEAR, 12, 31)
DATE_RANGE_TEXT = f"between {EARLIEST_YEAR}-01-01 and {LATEST_YEAR}-12-31"
"""The range as the schema descriptions state it (in UTC for datetimes)."""

MAX_INT32 = 2**31 - 1
"""The warehouse's Integer column. Every integer bound below stays within it, even where the
column is a BigInteger, so that no integer on the wire is refused by the database."""

MAX_UNITS_SOLD = 100_000_000
"""Units of one model variant sold in one market in one month."""
MAX_UNITS_AFFECTED = 1_000_000_000
"""Units one recall may cover: far above any recall on record, well within MAX_INT32."""
MAX_PERSONS = 1_000
"""Injuries or deaths reported in one complaint."""
MAX_PART_QUANTITY = 1_000
"""Pieces of one part replaced in one repair."""
MAX_LABOUR_HOURS = 1_000.0
"""Labour hours booked on one repair."""
MAX_USAGE = 10_000_000.0
"""Odometer km or operating hours of a unit."""
MAX_AMOUNT = Decimal("1000000000")
"""Largest money amount in any currency: ten integer digits, the warehouse's Numeric(14, 4)."""
AMOUNT_DECIMAL_PLACES = 4
