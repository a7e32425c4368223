"""The README's promise: no report holds customer ids or contact details, whatever the input."""

from __future__ import annotations

import re
from typing import Final

import pytest

from pipeline.reports import write_report
from pipeline.reports.flags import scrubbed_verbatims
from tests.unit.reports.test_hostile_text import HOSTILE, hostile_report
from tests.unit.reports.test_render import flag

FORMATS: Final = ("html", "md", "json")
# (text, customer id, serial, market) as the warehouse holds complaints.
COMPLAINTS = [
    (
        "I am customer CUST-0042 (unit SN-77-123456), call +49 171 2345678 or 030 12345678",
        "CUST-0042",
        "SN-77-123456",
        "DE",
    ),
    ("ＴＥＬ ０９０−１２３４−５６７８、山田です。顧客番号 ＣＵＳＴ－００４３", "CUST-0043", None,
     "JP"),
    ("Call (555) 123-4567 or +1 415 555 0199, mail jane.doe+car@mail.example.co.uk", None, None,
     "US"),
    ("appelez le 06 12 34 56 78 ou écrivez à jean(at)exemple.fr", "CUST-0044", None, "FR"),
    ("write to bob [at] example [dot] com or bob＠example．org", None, None, "GB"),
    ("王先生的车牌闽A939SS, 李女士的京A·12345, 张小姐 粤BD12345, 电话13800138000", None, None,
     "CN"),
    ("VIN 1HGCM82633A004352, call 9123 4567", None, None, "SG"),
    ("$\\frac{1$ [/] \x1b[31m ![x](http://evil/track.png) <img src=x onerror=alert(1)>", None,
     None, None),
]  # fmt: skip
PERSONAL = (
    "CUST-0042", "0042", "SN-77-123456", "123456", "2345678", "12345678", "ＣＵＳＴ", "0043",
    "0044", "090", "1234", "5678", "555", "0199", "jane.doe", "mail.example", "jean", "exemple",
    "bob", "example.com", "example.org", "王先生", "李女士", "张小姐", "闽A939SS", "A939SS",
    "12345", "BD12345", "13800138000", "1HGCM82633A004352", "9123", "4567",
)  # fmt: skip


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The report in every format, from hostile names and the complaints' scrubbed verbatims."""
    verbatims = [scrubbed_verbatims(COMPLAINTS[i : i + 3]) for i in range(0, len(COMPLAINTS), 3)]
    assert sum(len(texts) for texts in verbatims) == len(COMPLAINTS)
    base = hostile_report(" ".join(HOSTILE))
    flags = [base.flags[0].model_copy(update={"verbatims": verbatims[0]})]
    flags += [flag(flag_id=f"F{i}", verbatims=texts) for i, texts in enumerate(verbatims[1:])]
    data = base.model_copy(update={"flags": flags})
    out = tmp_path_factory.mktemp("report")
    texts = {fmt: write_report(data, fmt, out).read_text(encoding="utf-8") for fmt in FORMATS}
    # Embedded charts are drawings, where any short run of digits may turn up in a coordinate:
    # of a chart only its text is checked.
    texts["html"] = re.sub(r"<svg.*?</svg>", _chart_text, texts["html"], flags=re.DOTALL)
    return texts


def _chart_text(chart: re.Match[str]) -> str:
    return " ".join(re.findall(r"<text[^>]*>(.*?)</text>", chart.group(0), flags=re.DOTALL))


@pytest.mark.parametrize("fmt", ["html", "md", "json"])
def test_no_report_format_holds_a_customer_id_or_contact_detail(
    written: dict[str, str], fmt: str
) -> None:
    text = written[fmt]

    leaked = [value for value in PERSONAL if value in text]

    assert leaked == []
    for placeholder in ("phone", "email", "plate", "name", "id", "vin"):
        # Markdown shows "[phone]" as "\\[phone\\]": the brackets are no link.
        assert (f"\\[{placeholder}\\]" if fmt == "md" else f"[{placeholder}]") in text


def test_reports_show_the_story_around_what_was_removed(written: dict[str, str]) -> None:
    assert "山田です" in written["md"]
    assert "appelez le [phone] ou écrivez à [email]" in written["html"]


def test_hostile_markup_reaches_no_report_as_markup(written: dict[str, str]) -> None:
    for raw in ("<img src=x", "![x](http", "[click](", "\x1b", "\u202e", "\x07"):
        assert raw not in written["md"]
    for raw in ("<img src=x", "\x1b", "\u202e", "\x07"):
        assert raw not in written["html"]
