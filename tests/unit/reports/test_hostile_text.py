"""Hostile names and texts: charts never read them as math; Markdown and HTML show them as typed."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

from pipeline.common.output import printable
from pipeline.reports.charts import all_charts, dealers_svg, nps_svg, pareto_svg, rates_svg
from pipeline.reports.model import (
    CustomerVoice,
    KpiLine,
    ModelPareto,
    ParetoBar,
    RecallMatch,
    RepeatRate,
    VoicePoint,
)
from pipeline.reports.present import md_text
from pipeline.reports.render import render_html, render_markdown
from tests.unit.reports.test_render import flag, report

# Fragments that break or hijack a renderer when passed through as markup.
HOSTILE = (
    r"Cool $\frac{1$ 3000",
    r"$x^2$ \alpha",
    "[/]",
    "[bold red]x[/]",
    "![x](http://evil/track.png)",
    "[click](javascript:alert(1))",
    "<img src=x onerror=alert(1)>",
    "`code` | pipe | ~~gone~~ *em* __strong__",
    "# heading",
    "- item",
    "1. first",
    "---",
    "> quote",
    "&lt;b&gt; &amp;",
    "line one\nline two\r\n| row |",
    "\x1b[31mred\x1b[0m \x9b2J \x07bell back\x08space",
    "\u202eevil\u202c \u2066isolate\u2069 \u200f",
    "\x00nul \x7fdel \u2028sep",
    "https://evil.example/x www.evil.example",
)
hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=40),
    st.lists(st.sampled_from(HOSTILE), min_size=1, max_size=3).map(" ".join),
)
CHARTS = settings(
    max_examples=15,
    deadline=None,
    database=None,  # no .hypothesis directory in the working tree
    suppress_health_check=[HealthCheck.too_slow],
)
TEXTS = settings(max_examples=300, deadline=None, database=None)
MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def kpi(key: str, label: str, rate: float, **kw: Any) -> KpiLine:
    fields: dict[str, Any] = {
        "by": "dealer", "key": key, "label": label, "dealers": 1, "repairs": 5,
        "repairs_with_serial": 5, "repeat_repair_rate": rate, "first_time_fix_rate": 0.6,
        "genuine_parts_ratio": 0.9 - rate, "csat_mean": 4.0, "nps": -20.0, "responses": 3,
        "open_cases": 1, "overdue_cases": 0,
    }  # fmt: skip
    fields.update(kw)
    return KpiLine(**fields)


def hostile_report(text: str) -> Any:
    """A report with ``text`` in every name and label a chart or a template shows."""
    pareto = ModelPareto(
        brand=text,
        model=text,
        total=3,
        bars=[ParetoBar(component=text, failure_mode=text, count=3, cumulative_share=1.0)],
    )
    voice = CustomerVoice(
        responses=2, csat_mean=4.0, nps=0.0, themes=[],
        by_market=[VoicePoint(key=text, month="2024-05", responses=2, csat_mean=4.0, nps=0.0)],
        by_dealer=[VoicePoint(key=text, month="2024-05", responses=2, csat_mean=4.0, nps=0.0)],
    )  # fmt: skip
    recall = RecallMatch(
        recall_id=text, kind=text, market=text, announced_on=date(2024, 5, 1), variants=[text],
        component=text, units_affected=10, summary=text,
    )  # fmt: skip
    hostile_flag = flag(
        brand=text, model=text, variant=text, component=text, method=text, severity=text,
        status=text, markets=[text], variants=[text], lots=[text], verbatims=[text],
        recalls=[recall], evidence={"note": text},
    )  # fmt: skip
    base = report()
    return report(
        flags=[hostile_flag],
        pareto=[pareto],
        voice=voice,
        repeat_repairs=base.repeat_repairs.model_copy(
            update={"by_part": [RepeatRate(key=text, repairs=4, repeated=1, rate=0.25)]}
        ),
        kpis=[kpi(text, text, 0.4), kpi("D2", f"{text} (D2)", 0.1, by="dealer")],
    )


def literal(text: str) -> str:
    """What a reader must see of ``text`` on one line: printable, whitespace collapsed."""
    return " ".join(printable(text, newlines=False).split())


def test_chart_text_with_dollar_signs_and_backslashes_is_drawn_not_parsed() -> None:
    name = r"Cool $\frac{1$ 3000"

    charts = all_charts(hostile_report(name))

    assert {"flag-0", "pareto-0", "repeat-part", "voice-nps", "dealers"} <= set(charts)
    assert all(svg.startswith("<?xml") and "</svg>" in svg for svg in charts.values())
    assert r"<text" in charts["pareto-0"]
    assert r"Cool $\frac{1$ 3000" in charts["pareto-0"]


@CHARTS
@given(text=hostile_text)
@example(text="line one\nline two\r\n| row | line one\nline two\r\n| row |" * 3)
def test_charts_draw_any_text_in_titles_ticks_legends_and_annotations(text: str) -> None:
    data = hostile_report(text)

    assert rates_svg(data.repeat_repairs.by_part, text) is not None
    assert pareto_svg(data.pareto[0]) is not None
    assert nps_svg(data.voice) is not None
    assert dealers_svg(data.kpis_by("dealer")) is not None


@TEXTS
@given(text=hostile_text)
def test_markdown_text_renders_as_exactly_the_text_in_a_paragraph_quote_and_table(
    text: str,
) -> None:
    shown = literal(text)
    escaped = md_text(text)

    assert "\n" not in escaped
    if not shown:
        return
    paragraph = f"<p>{escapeHtml(shown)}</p>\n"
    assert MARKDOWN.render(escaped) == paragraph
    assert MARKDOWN.render(f"> {escaped}") == f"<blockquote>\n{paragraph}</blockquote>\n"
    table = MARKDOWN.render(f"| a | b |\n|---|---|\n| {escaped} | x |\n")
    assert f"<td>{escapeHtml(shown)}</td>\n<td>x</td>" in table


@TEXTS
@given(text=st.text(max_size=60))
def test_printable_text_has_no_control_or_format_characters(text: str) -> None:
    cleaned = printable(text)

    assert all(ch.isprintable() or ch == "\n" for ch in cleaned)
    assert printable(cleaned) == cleaned


def test_markdown_report_shows_hostile_values_as_text() -> None:
    markdown = render_markdown(hostile_report(" ".join(HOSTILE)), {"flag-0": "r_charts/flag-0.svg"})

    for raw in ("![x](", "[click](", "<img", "`code`", "$\\frac", "\x1b", "\u202e", "\x07", "\r"):
        assert raw not in markdown
    assert "!\\[x\\](http\\://evil/track.png)" in markdown
    assert "&lt;img src=x onerror=alert(1)&gt;" in markdown
    assert "![Weekly failures against expected](r_charts/flag-0.svg)" in markdown
    html = MARKDOWN.render(markdown)
    assert '<img src="r_charts/flag-0.svg"' in html
    assert html.count("<img") == 1
    assert "<a " not in html
    assert "<code>" not in html
    assert "<del>" not in html


def test_every_markdown_table_row_keeps_its_columns_whatever_the_values() -> None:
    markdown = render_markdown(hostile_report(" ".join(HOSTILE)), {})

    tables: list[list[str]] = []
    for line, previous in zip(markdown.splitlines(), ["", *markdown.splitlines()], strict=False):
        if line.startswith("|"):
            if not previous.startswith("|"):
                tables.append([])
            tables[-1].append(line)
    assert len(tables) >= 8
    for rows in tables:
        assert len({_cells(row) for row in rows}) == 1, rows


def _cells(line: str) -> int:
    """Cells of a table row: pipes not escaped with a backslash."""
    count, escaped = 0, False
    for ch in line:
        if ch == "|" and not escaped:
            count += 1
        escaped = ch == "\\" and not escaped
    return count - 1


def test_html_report_escapes_hostile_values_and_drops_control_characters() -> None:
    html = render_html(hostile_report(" ".join(HOSTILE)), {})

    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    for raw in ("\x1b", "\x9b", "\x07", "\x08", "\x00", "\x7f", "\u202e", "\u2066", "\r"):
        assert raw not in html
    assert "[click](javascript:alert(1))" in html  # shown as typed, not a link
    assert '<a href="javascript' not in html
