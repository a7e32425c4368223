"""Render a ReportData as one self-contained HTML file, Markdown with PNGs beside it, or JSON."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final, Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from pipeline.casebook.kpis import worst_dealers
from pipeline.common.errors import PipelineError
from pipeline.common.output import printable
from pipeline.reports import present, words
from pipeline.reports.charts import all_charts, inline_svg
from pipeline.reports.model import ReportData

ReportFormat = Literal["html", "md", "json"]
TEMPLATES: Final = Path(__file__).with_name("templates")
SUFFIXES: Final[dict[str, str]] = {"html": ".html", "md": ".md", "json": ".json"}
FLAG_DETAILS: Final = "flags"


class UnknownReportFormat(PipelineError):
    """The report format is not one of html, md, json."""


@dataclass(frozen=True)
class KpiTable:
    """A table of KPI rows to show in the report: plain values, formatted as they come."""

    title: str
    columns: Sequence[tuple[str, str]]
    """(key in each row, column header) in display order."""
    rows: Sequence[Mapping[str, object]]
    percent: Collection[str] = ()
    """Keys whose values are fractions to show as percentages."""


@dataclass(frozen=True)
class Extras:
    """What other parts of the product add to a report: KPI tables and per-flag JSON files.

    ``flag_detail(flag_id)`` returns one flag's self-contained, JSON-ready detail; the HTML and
    Markdown reports write it to ``flags/<flag_id>.json`` beside themselves and link it.
    Detail files already in that folder are linked as well.
    """

    kpi_tables: Sequence[KpiTable] = ()
    flag_detail: Callable[[str], Mapping[str, Any]] | None = None


def write_report(
    data: ReportData,
    fmt: ReportFormat,
    out_dir: Path,
    *,
    extras: Extras | None = None,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Write the report into ``out_dir`` (created if needed) and return the main file's path.

    Markdown puts its charts in ``<report_id>_charts/`` beside the ``.md`` and links them
    relatively, so the folder can be attached to a ticket or committed to a wiki as is.
    """
    if fmt not in SUFFIXES:
        raise UnknownReportFormat(f"unknown report format {fmt!r}: use one of html, md, json")
    extras = extras or Extras()
    step = progress or (lambda _: None)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{data.report_id}{SUFFIXES[fmt]}"
    if fmt == "json":
        path.write_text(render_json(data), encoding="utf-8")
        return path
    step(f"charts ({len(data.flags)} flags, {len(data.pareto)} models)")
    charts = all_charts(data)
    details = _flag_details(data, out_dir, extras)
    step("writing " + path.name)
    if fmt == "html":
        path.write_text(render_html(data, charts, extras, details), encoding="utf-8")
    else:
        charts_dir = out_dir / f"{data.report_id}_charts"
        links: dict[str, str] = {}
        for name, svg in charts.items():
            charts_dir.mkdir(exist_ok=True)
            (charts_dir / f"{name}.svg").write_text(svg, encoding="utf-8")
            links[name] = f"{charts_dir.name}/{name}.svg"
        path.write_text(render_markdown(data, links, extras, details), encoding="utf-8")
    return path


def _flag_details(data: ReportData, out_dir: Path, extras: Extras) -> dict[str, str]:
    """Relative links to ``flags/<flag_id>.json`` for the listed flags that have one."""
    folder = out_dir / FLAG_DETAILS
    links: dict[str, str] = {}
    for flag in data.flags:
        file = folder / f"{flag.flag_id}.json"
        if extras.flag_detail is not None:
            folder.mkdir(exist_ok=True)
            detail = extras.flag_detail(flag.flag_id)
            file.write_text(json.dumps(detail, indent=2, ensure_ascii=False, default=str), "utf-8")
        if file.is_file():
            links[flag.flag_id] = f"{FLAG_DETAILS}/{file.name}"
    return links


def render_json(data: ReportData) -> str:
    return json.dumps(data.model_dump(mode="json"), indent=2, ensure_ascii=False, sort_keys=False)


def render_html(
    data: ReportData,
    charts: Mapping[str, str],
    extras: Extras | None = None,
    details: Mapping[str, str] | None = None,
) -> str:
    """One HTML document: inline CSS, charts as inline SVG, nothing fetched from anywhere."""
    inline = {name: Markup(inline_svg(svg, name)) for name, svg in charts.items()}  # noqa: S704
    return (
        _environment("html")
        .get_template("report.html.j2")
        .render(**_context(data, extras, details), charts=inline)
    )


def render_markdown(
    data: ReportData,
    chart_links: Mapping[str, str],
    extras: Extras | None = None,
    details: Mapping[str, str] | None = None,
) -> str:
    """Markdown in which every value from the warehouse is literal text (see ``present.md_text``).

    Only the chart and detail links, which this module makes, are written as they are.
    """
    links = {name: _Written(link) for name, link in chart_links.items()}
    written = {flag_id: _Written(link) for flag_id, link in (details or {}).items()}
    return (
        _environment("md")
        .get_template("report.md.j2")
        .render(**_context(data, extras, written), charts=links)
    )


def _context(
    data: ReportData, extras: Extras | None, details: Mapping[str, str] | None
) -> dict[str, Any]:
    return {
        "kpi_tables": (extras or Extras()).kpi_tables,
        "details": details or {},
        "glossary": words.GLOSSARY,
        "methods": sorted({f.method for f in data.flags}),
        "data": data,
        "head": present.headline(data),
        "market_pivot": present.pivot(data.voice.by_market),
        "dealer_pivot": present.pivot(
            data.voice.by_dealer, labels={k.key: k.label for k in data.kpis_by("dealer")}
        ),
        "worst_dealers": worst_dealers(data.kpis_by("dealer"), 20),
        "overdue_dealers": present.overdue_dealers(data.kpis_by("dealer")),
        "evidence_json": [
            json.dumps(f.evidence, indent=2, sort_keys=True, default=str) for f in data.flags
        ],
    }


def _html_value(value: object) -> object:
    """Every ``{{ }}`` of the HTML template before autoescaping: no control characters."""
    return value if isinstance(value, Markup) or not isinstance(value, str) else printable(value)


class _Written(str):
    """Markdown this module wrote itself (a chart link), to be written as it is."""

    __slots__ = ()


def _md_value(value: object) -> object:
    """Every ``{{ }}`` of the Markdown template: literal text, unless this module wrote it."""
    return value if isinstance(value, _Written) else present.md_text(value)


@cache
def _environment(kind: Literal["html", "md"]) -> Environment:
    """HTML escapes every value as HTML, Markdown as Markdown: a template cannot forget one."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        finalize=_html_value if kind == "html" else _md_value,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        pct=present.pct,
        num=present.num,
        when=present.when,
        signature=present.signature,
        rate_class=present.rate_class,
        nps_class=present.nps_class,
        method_name=words.method_name,
        method_meaning=words.method_meaning,
        cell=present.cell,
    )
    return env
