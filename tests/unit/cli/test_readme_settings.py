"""The README's configuration table names every setting, one per row, with its real default."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import SecretStr

from pipeline.common.config import ENV_PREFIX, Settings

README = Path(__file__).parents[3] / "README.md"
ROW = re.compile(r"^\| `(AFTERSALES_[A-Z0-9_]+)` \| (.*?) \| (.*) \|$")


def _rows() -> dict[str, str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        match = ROW.match(line)
        if match:
            assert match.group(1) not in rows, f"{match.group(1)} is listed twice"
            rows[match.group(1)] = match.group(2)
    return rows


def test_the_readme_lists_every_setting_and_nothing_else() -> None:
    expected = {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields}
    listed = set(_rows())
    assert listed - expected == set(), "the README lists settings the model does not have"
    assert expected - listed == set(), "settings missing from the README's table"


def test_every_literal_default_in_the_readme_is_the_models_default() -> None:
    checked = 0
    for variable, cell in _rows().items():
        literal = re.fullmatch(r"`([^`]*)`", cell.strip())
        if literal is None:  # prose such as "unset" or "a development key"
            continue
        field = Settings.model_fields[variable.removeprefix(ENV_PREFIX).lower()]
        default = field.default
        assert not isinstance(default, SecretStr), f"{variable}: never print a secret's default"
        if isinstance(default, int | float) and not isinstance(default, bool):
            assert float(literal.group(1)) == float(default), variable
        else:
            assert literal.group(1) == str(default), variable
        checked += 1
    assert checked >= len(Settings.model_fields) // 2


def test_settings_without_a_literal_default_in_the_readme_default_to_nothing_or_a_secret() -> None:
    for variable, cell in _rows().items():
        if re.fullmatch(r"`([^`]*)`", cell.strip()) or variable == "AFTERSALES_KAFKA_BOOTSTRAP":
            continue
        default = Settings.model_fields[variable.removeprefix(ENV_PREFIX).lower()].default
        assert default is None or isinstance(default, SecretStr), variable
