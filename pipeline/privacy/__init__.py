"""Personal data rules: pseudonyms for erased customers, erased and scrubbed event bodies."""

from pipeline.privacy.bodies import (
    ERASED_TEXT,
    FREE_TEXT_FIELDS,
    customer_ids_in,
    erase_body,
    erase_event,
    replace_strings,
    scrub_body,
)
from pipeline.privacy.pseudonyms import PSEUDONYM_PREFIX, is_pseudonym, pseudonym

__all__ = [
    "ERASED_TEXT",
    "FREE_TEXT_FIELDS",
    "PSEUDONYM_PREFIX",
    "customer_ids_in",
    "erase_body",
    "erase_event",
    "is_pseudonym",
    "pseudonym",
    "replace_strings",
    "scrub_body",
]
