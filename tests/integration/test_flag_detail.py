"""One flag's JSON detail against a known warehouse (SQLite and PostgreSQL), and its command."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from pipeline.enrichment import load_taxonomy
from pipeline.reports.flag_detail import flag_detail
from pipeline.warehouse.read.flag_detail import read_flag_detail
from pipeline.warehouse.tables import ComponentRow, SignatureCountRow, UnitRow
from pipeline.warehouse.watermark import advance_watermark
from schemas.flag_detail import FlagDetail
from tests.conftest import both_warehouses
from tests.helpers import aftersales
from tests.integration.test_reports import (
    NOW,
    PERSONAL,
    _complaint,
    _flag,
    seed_known_warehouse,
)

pytestmark = pytest.mark.integration

REPOST = "Compressor leaking since day one! Write to hans.meier@example.de, VIN WVWZZZ1JZXW000001"


def seed(engine: Engine) -> None:
    """The report's known warehouse, plus units with lots, a registered component name, a
    repost of complaint 2, a complaint full of personal data and a flag limited to France."""
    seed_known_warehouse(engine)
    rows: list[Any] = [
        UnitRow(serial=s, brand="Acme", model="Cool 3000", variant="2024", lot=lot, market="DE")
        for s, lot in (("S1", "L-7"), ("S2", "L-7"), ("S3", "L-8"), ("S4", "L-7"))
    ]
    rows += [
        ComponentRow(
            brand="Acme", model="Cool 3000", variant="2024", code="FAN", name="Condenser fan"
        ),
        _complaint(6, REPOST, "en", "2024-05-12"),
        _complaint(
            7,
            "王先生, 闽A939SS, mail wang(at)example.cn, 客户 cust9007",
            "zh",
            "2024-05-25",
            customer_id="cust9007",
            market="CN",
        ),
        _flag(
            "F5",
            "2024@FR",
            "FAN",
            2.0,
            first_raised_at=NOW.replace(month=5, day=26),
            method="baseline_3_in_30d",
            evidence={"observed": 3, "expected": 3.0, "window_days": 30},
        ),
    ]
    with Session(engine) as session, session.begin():
        session.add_all(rows)
        advance_watermark(session, NOW)


def detail(engine: Engine, flag_id: str) -> dict[str, Any]:
    with Session(engine) as session:
        return flag_detail(read_flag_detail(session, flag_id, now=NOW), load_taxonomy())


@both_warehouses()
def test_a_flags_detail_agrees_with_the_warehouse(warehouse: Engine) -> None:
    seed(warehouse)
    doc = detail(warehouse, "F1")

    assert FlagDetail.model_validate(doc).model_dump(mode="json") == doc
    flag = doc["flag"]
    assert flag["signature"] == "Acme/Cool 3000/*/COMPRESSOR"
    assert (flag["product"], flag["variant"], flag["market"]) == ("Acme Cool 3000", None, None)
    assert flag["component"] == {"code": "COMPRESSOR", "name": "Compressor"}
    assert (flag["status"], flag["severity"], flag["score"]) == ("open", "high", 7.5)
    assert (flag["observed"], flag["expected"], flag["window_days"]) == (12.0, 3.0, 28)
    assert "12 failures in 28 days up to 2024-05-27 against 3.0 expected" in flag["score_explained"]

    evidence = doc["evidence"]
    # 90 days before it was first raised (2024-05-20) to the as-of time.
    assert (evidence["period_start"], evidence["period_end"]) == ("2024-02-20", "2024-06-01")
    assert evidence["weekly"][0]["week_start"] == "2024-02-19"
    assert len(evidence["weekly"]) == 15
    with Session(warehouse) as session:
        counted = session.scalar(
            select(func.sum(SignatureCountRow.n)).where(
                SignatureCountRow.variant == "*",
                SignatureCountRow.component == "COMPRESSOR",
                SignatureCountRow.day >= date(2024, 2, 20),
            )
        )
    assert evidence["total"] == sum(w["observed"] for w in evidence["weekly"]) == counted
    assert evidence["detector"]["sample_event_ids"] == ["c2"]

    # Complaints 1-4, the repost and 7 on COMPRESSOR; repairs 1-4, 6, 7 (R-10: another model).
    assert doc["markets"] == [
        {"key": "DE", "complaints": 4, "repairs": 6},
        {"key": "CN", "complaints": 1, "repairs": 0},
        {"key": "US", "complaints": 1, "repairs": 0},
    ]
    assert doc["lots"] == [
        {"key": "L-7", "complaints": 0, "repairs": 5},
        {"key": "L-8", "complaints": 0, "repairs": 1},
    ]
    assert doc["dealers"] == [
        {"dealer_id": "D1", "name": "Nord Service", "country": "DE", "complaints": 0, "repairs": 3},
        {"dealer_id": "D2", "name": "Süd Partner", "country": "DE", "complaints": 0, "repairs": 3},
    ]
    assert doc["parts"] == [
        {
            "part_number": "P-100",
            "supplier": "GenuineCo",
            "genuine": True,
            "repairs": 4,
            "quantity": 4,
        },
        {
            "part_number": "P-300",
            "supplier": "GenuineCo",
            "genuine": True,
            "repairs": 2,
            "quantity": 2,
        },
        {
            "part_number": "P-200",
            "supplier": "Cheapo",
            "genuine": False,
            "repairs": 1,
            "quantity": 1,
        },
    ]
    assert [r["recall_id"] for r in doc["recalls"]] == ["R-1"]  # R-2 is about the fan

    verbatims = [(v["text"], v["language"], v["filed_on"], v["copies"]) for v in doc["verbatims"]]
    assert verbatims == [
        ("Compressor leaking since day one. Write to [email], VIN [vin]", "de", "2024-05-10", 1),
        ("[name], [plate], mail [email], 客户 [id]", "zh", "2024-05-25", 0),
        ("Compressor hisses and leaks", "en", "2024-05-23", 0),
        ("Kompressor undicht, Kundennummer [number]", "de", "2024-05-22", 0),
        ("Kompressor leckt wieder, rufen Sie mich an: [phone]", "de", "2024-05-21", 0),
    ]


@both_warehouses()
def test_a_market_flag_counts_that_market_and_variant_and_names_the_registered_component(
    warehouse: Engine,
) -> None:
    seed(warehouse)
    doc = detail(warehouse, "F5")

    flag = doc["flag"]
    assert (flag["variant"], flag["market"]) == ("2024", "FR")
    assert flag["product"] == "Acme Cool 3000 2024"
    assert flag["component"] == {"code": "FAN", "name": "Condenser fan"}
    assert flag["method_explained"] == (
        "Reference rule: raised when 3 complaints or repairs arrive within 30 days."
    )
    # The French complaint and D3's three repairs on the 2024 fan; nothing from other markets.
    assert doc["markets"] == [{"key": "FR", "complaints": 1, "repairs": 3}]
    assert [(d["dealer_id"], d["repairs"]) for d in doc["dealers"]] == [("D3", 3)]
    assert [v["text"] for v in doc["verbatims"]] == ["Le ventilateur fait un bruit terrible"]
    assert doc["recalls"] == []  # R-2 is for the 2023 variant


@both_warehouses()
def test_no_personal_data_leaves_in_a_flags_detail(warehouse: Engine) -> None:
    seed(warehouse)
    text = json.dumps(
        [detail(warehouse, f) for f in ("F1", "F2", "F3", "F4", "F5")], ensure_ascii=False
    )
    secrets = (*PERSONAL, "9007", "王先生", "A939SS", "wang", "hans.meier")
    for secret in secrets:
        assert secret not in text
    f2 = detail(warehouse, "F2")
    assert [v["language"] for v in f2["verbatims"]] == ["fr"]


def test_flags_export_writes_one_flag_or_every_flag(
    warehouse: Engine, warehouse_url: str, tmp_path: Path
) -> None:
    seed(warehouse)
    env = {"AFTERSALES_WAREHOUSE_URL": warehouse_url}

    one = aftersales(["flags", "export", "F2", "--out", "out/f2.json"], tmp_path, **env)
    every = aftersales(["flags", "export", "--all", "--dir", "flags"], tmp_path, **env)
    unknown = aftersales(["flags", "export", "F9"], tmp_path, **env)

    assert one.returncode == 0, one.stderr
    written = json.loads((tmp_path / "out" / "f2.json").read_text(encoding="utf-8"))
    assert written["flag"]["flag_id"] == "F2"
    assert written["as_of"] == "2024-06-01T12:00:00Z"  # the event time the warehouse reached
    assert every.returncode == 0, every.stderr
    names = sorted(p.name for p in (tmp_path / "flags").iterdir())
    assert names == ["F1.json", "F2.json", "F3.json", "F4.json", "F5.json"]
    assert json.loads((tmp_path / "flags" / "F2.json").read_text(encoding="utf-8")) == written
    assert unknown.returncode == 1
    assert re.search(r"no flag 'F9'", unknown.stderr)
    assert len(unknown.stderr.strip().splitlines()) == 1
