"""Render a ReportData as one self-contained HTML file, Markdown with PNGs beside it, or JSON."""

from __future__ import annotations

import base64
import json
from functools import cache
from pathlib import Path
from typing import Any, Final, Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from pipeline.errors import PipelineError
from pipeline.output import printable
from pipeline.reports import present
from pipeline.reports.charts import all_charts
from pipeline.reports.model import ReportData

ReportFormat = Literal["html", "md", "json"]
TEMPLATES: Final = Path(__file__).with_name("templates")
SUFFIXES: Final[dict[str, str]] = {"html": ".html", "md": ".md", "json": ".json"}


class UnknownReportFormat(PipelineError):
    """The report format is not one of html, md, json."""


def write_report(data: ReportData, fmt: ReportFormat, out_dir: Path) -> Path:
    """Write the report into ``out_dir`` (created if needed) and return the main file's path.

    Markdown puts its charts in ``<report_id>_charts/`` beside the ``.md`` and links them
    relatively, so the folder can be attached to a ticket or committed to a wiki as is.
    """
    if fmt not in SUFFIXES:
        raise UnknownReportFormat(f"unknown report format {fmt!r}: use one of html, md, json")
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{data.report_id}{SUFFIXES[fmt]}"
    if fmt == "json":
        path.write_text(render_json(data), encoding="utf-8")
    elif fmt == "html":
        path.write_text(render_html(data, all_charts(data)), encoding="utf-8")
    else:
        charts_dir = out_dir / f"{data.report_id}_charts"
        links: dict[str, str] = {}
        for name, png in all_charts(data).items():
            charts_dir.mkdir(exist_ok=True)
            (charts_dir / f"{name}.png").write_bytes(png)
            links[name] = f"{charts_dir.name}/{name}.png"
        path.write_text(render_markdown(data, links), encoding="utf-8")
    return path


def render_json(data: ReportData) -> str:
    return json.dumps(data.model_dump(mode="json"), indent=2, ensure_ascii=False, sort_keys=False)


def render_html(data: ReportData, charts: dict[str, bytes]) -> str:
    """One HTML document: inline CSS, charts as data URIs, nothing fetched from anywhere."""
    uris = {
        name: "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        for name, png in charts.items()
    }
    return _environment("html").get_template("report.html.j2").render(**_context(data), charts=uris)


def render_markdown(data: ReportData, chart_links: dict[str, str]) -> str:
    """Markdown in which every value from the warehouse is literal text (see ``present.md_text``).

    Only the chart links, which this module makes, are written as they are.
    """
    links = {name: _Written(link) for name, link in chart_links.items()}
    return _environment("md").get_template("report.md.j2").render(**_context(data), charts=links)


def _context(data: ReportData) -> dict[str, Any]:
    return {
        "data": data,
        "head": present.headline(data),
        "market_pivot": present.pivot(data.voice.by_market),
        "dealer_pivot": present.pivot(
            data.voice.by_dealer, labels={k.key: k.label for k in data.kpis_by("dealer")}
        ),
        "worst_dealers": present.worst_dealers(data.kpis_by("dealer")),
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
        ratio=present.ratio,
        rate_class=present.rate_class,
        nps_class=present.nps_class,
    )
    return env
