"""Removal of personal data from customer verbatims before they appear in a report."""

from __future__ import annotations

import re
from typing import Final

EMAIL: Final = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# 17 characters of the VIN alphabet (no I, O, Q), one a digit at least: a long word is no VIN.
VIN: Final = re.compile(r"\b(?=[A-HJ-NPR-Z0-9]*\d)[A-HJ-NPR-Z0-9]{17}\b", re.IGNORECASE)
INTERNATIONAL_PHONE: Final = re.compile(r"(?<![\w+])(?:\+|00)\d(?:[\s().\-/]{0,2}\d){6,}")
# Nine or more digits in separated groups; an ISO date (eight digits) is left alone.
GROUPED_PHONE: Final = re.compile(r"(?<![\w.])\(?\d+\)?(?:[\s.\-/]{1,2}\(?\d+\)?){1,5}(?![\w])")
LOCAL_PHONE: Final = re.compile(r"(?<![\w.\-])\d{3}[\s.\-]\d{4}(?![\w.\-])")
DIGIT_RUN: Final = re.compile(r"\d{6,}")
MIN_PHONE_DIGITS: Final = 9
MAX_VERBATIM: Final = 400


def _phone_or_keep(match: re.Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in match.group(0))
    return "[phone]" if digits >= MIN_PHONE_DIGITS else match.group(0)


def scrub_personal_data(text: str, *, max_length: int = MAX_VERBATIM) -> str:
    """The text without e-mail addresses, phone numbers, VINs or long digit runs, whitespace tidied.

    Over-scrubbing (a mileage of 150000 becomes ``[number]``) is the price of never leaking an
    account or serial number; the report needs the story, not the figures.
    """
    cleaned = EMAIL.sub("[email]", text)
    cleaned = VIN.sub("[vin]", cleaned)
    cleaned = INTERNATIONAL_PHONE.sub("[phone]", cleaned)
    cleaned = GROUPED_PHONE.sub(_phone_or_keep, cleaned)
    cleaned = LOCAL_PHONE.sub("[phone]", cleaned)
    cleaned = DIGIT_RUN.sub("[number]", cleaned)
    cleaned = " ".join(cleaned.split())
    if len(cleaned) > max_length:
        cleaned = cleaned[: max_length - 1].rstrip() + "…"
    return cleaned
