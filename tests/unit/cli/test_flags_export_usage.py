"""`aftersales flags export` takes one flag id or --all with a folder, and says so otherwise."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from pipeline.cli.main import app


@pytest.mark.parametrize(
    "args",
    [
        ["flags", "export"],
        ["flags", "export", "F1", "--all", "--dir", "x"],
        ["flags", "export", "--all"],
    ],
)
def test_export_without_exactly_one_target_is_a_usage_error(args: list[str]) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "FLAG_ID or --all" in result.output or "--all needs --dir" in result.output


def test_the_flags_listing_keeps_its_options_beside_the_export_command() -> None:
    result = CliRunner().invoke(app, ["flags", "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0
    for text in ("--status", "--format", "export"):
        assert text in result.output
