"""Verbatims read from the warehouse lose their own complaint's customer id, serial and contacts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pipeline.reports import build_report, report_scope, write_report
from pipeline.warehouse.read.report import read_report
from tests.conftest import both_warehouses
from tests.integration.test_reports import NOW, _complaint, _flag

pytestmark = pytest.mark.integration


@both_warehouses()
def test_verbatims_from_the_warehouse_hold_no_customer_id_or_contact(
    warehouse: Engine, tmp_path: Path
) -> None:
    rows = [
        _flag("F1", "*", "COMPRESSOR", 5.0, evidence={"sample_event_ids": ["c1", "c2"]}),
        _complaint(
            1,
            "Kundennummer CUST-9001, Gerät SN-4711-0815, ＴＥＬ ０３０−１２３４ ５６７８",
            "de",
            "2024-05-21",
            serial="SN-4711-0815",
        ),
        _complaint(
            2,
            "王先生, 闽A939SS, mail wang(at)example.cn, 客户 cust9002",
            "zh",
            "2024-05-22",
            market="CN",
        ),
    ]
    with Session(warehouse) as session, session.begin():
        session.add_all(rows)

    scope = report_scope(since=None, brand=None, model=None, now=NOW)
    report = build_report(read_report(warehouse, scope))

    assert report.flags[0].verbatims == [
        "Kundennummer [id], Gerät [id], TEL [phone]",
        "[name], [plate], mail [email], 客户 [id]",
    ]
    for fmt in ("html", "md", "json"):
        text = write_report(report, fmt, tmp_path).read_text(encoding="utf-8")
        # Of a chart only its text counts: its coordinates hold any digits by chance.
        text = re.sub(r"<svg.*?</svg>", _chart_text, text, flags=re.DOTALL)
        for secret in ("9001", "9002", "4711-0815", "1234", "王先生", "A939SS", "wang"):
            assert secret not in text


def _chart_text(chart: re.Match[str]) -> str:
    return " ".join(re.findall(r"<text[^>]*>(.*?)</text>", chart.group(0), flags=re.DOTALL))
