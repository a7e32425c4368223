"""Shared fixtures of the case book tests: the packaged rules."""

from __future__ import annotations

import pytest

from pipeline.casebook import Rules, load_rules


@pytest.fixture(scope="session")
def rules() -> Rules:
    return load_rules()
