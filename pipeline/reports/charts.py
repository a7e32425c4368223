"""Report charts as SVG text drawn with matplotlib (no pyplot, no mathtext): every label stays
text, set in the reader's own fonts, so any script shows wherever the reader has a font for it."""

from __future__ import annotations

import functools
import html
import io
import re
import warnings
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Final, ParamSpec, TypeVar

from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from pipeline.common.output import printable
from pipeline.reports.model import (
    CaseBookSection,
    CustomerVoice,
    FlagSection,
    KpiLine,
    ModelPareto,
    RepeatRate,
    ReportData,
)

INK: Final = "#1f2937"
MUTED: Final = "#6b7280"
PRIMARY: Final = "#2563eb"
PALE: Final = "#bfdbfe"
ACCENT: Final = "#f59e0b"
ALERT: Final = "#dc2626"
GOOD: Final = "#16a34a"
WIDTH: Final = 4.8
"""Inches: 346 SVG units, shown about 1:1 on a phone, so 11-unit text stays about 10 px there."""
TEXT: Final = 11
TITLE: Final = 12
BAR_ROW: Final = 0.34
PARETO_BARS: Final = 10
SHORT_NAME: Final = 22
RATE_BARS: Final = 12
VOICE_MARKETS: Final = 15
FONTS: Final = (
    'system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK SC","PingFang SC",'
    '"Hiragino Sans","Microsoft YaHei","Malgun Gothic","Helvetica Neue",Arial,sans-serif'
)
STYLE: Final = f"<style>.chart text{{font-family:{FONTS}}}</style>"
_FONT_FAMILY: Final = re.compile(r"; ?font-family: [^;\"]*")
_SIZE: Final = re.compile(r'(<svg[^>]*?) width="[^"]*" height="[^"]*"')
_METADATA: Final = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)
_IDS: Final = re.compile(r'(\bid="|url\(#|xlink:href="#)([^")]+)')
_NAMESPACES: Final = re.compile(r' xmlns(?::xlink)?="[^"]*"')
_GROUP_IDS: Final = re.compile(r'<g id="[^"]*">')
P = ParamSpec("P")
R = TypeVar("R")


def _plain_text(draw: Callable[P, R]) -> Callable[P, R]:
    """Run a chart function with every text drawn as typed, never parsed as mathtext or LaTeX,
    and written into the SVG as text rather than glyph outlines.

    Names are data: a "$" in a model name or a backslash in a supplier's is no formula. Tick
    labels are made while the figure is drawn, so the settings hold until the SVG is saved.
    """

    @functools.wraps(draw)
    def drawn(*args: P.args, **kwargs: P.kwargs) -> R:
        with rc_context(
            {
                "text.parse_math": False,
                "text.usetex": False,
                "axes.formatter.use_mathtext": False,
                "svg.fonttype": "none",
                "svg.hashsalt": "aftersales",
                "font.size": TEXT,
            }
        ):
            return draw(*args, **kwargs)

    return drawn


def all_charts(data: ReportData) -> dict[str, str]:
    """Every chart of the report by a stable name (``flag-0``, ``pareto-1``, ``cases-age``...);
    their number is bounded by the number of flags and models the report lists."""
    charts: dict[str, str | None] = {}
    for i, flag in enumerate(data.flags):
        charts[f"flag-{i}"] = trend_svg(flag)
    for i, model in enumerate(data.pareto):
        charts[f"pareto-{i}"] = pareto_svg(model)
    charts["repeat-part"] = rates_svg(data.repeat_repairs.by_part, "Repeat rate by part number")
    charts["repeat-supplier"] = rates_svg(
        data.repeat_repairs.by_supplier, "Repeat rate by supplier"
    )
    charts["cases-age"] = case_age_svg(data.case_book)
    charts["voice-nps"] = nps_svg(data.voice)
    charts["dealers"] = dealers_svg(data.kpis_by("dealer"))
    return {name: svg for name, svg in charts.items() if svg is not None}


@_plain_text
def trend_svg(flag: FlagSection) -> str | None:
    """Failures per week: dark inside the detector's window (they add up to the header's
    observed count), pale outside it; the step line is the detector's weekly expectation."""
    if not any(p.observed for p in flag.trend):
        return None
    fig, ax = _figure(2.9)
    starts = [p.week_start for p in flag.trend]
    edges = date2num([*starts, starts[-1] + timedelta(weeks=1)])
    inside = [p.in_window for p in flag.trend]
    outside = [p.observed - p.in_window for p in flag.trend]
    window = flag.window_start is not None and flag.window_end is not None
    ax.bar(edges[:-1], inside, width=6, align="edge", color=PRIMARY, label="in window")
    ax.bar(
        edges[:-1],
        outside,
        width=6,
        align="edge",
        bottom=inside,
        color=PALE if window else PRIMARY,
        label="outside window" if window else "failures",
    )
    known = [p.expected for p in flag.trend if p.expected is not None]
    if known:
        expected = [p.expected if p.expected is not None else float("nan") for p in flag.trend]
        per_week = known[0]
        label = (
            f"expected {per_week:.2g}/week" if flag.expected_source == "evidence" else "expected"
        )
        ax.step(edges, [*expected, expected[-1]], where="post", color=ACCENT, lw=2, label=label)
    if flag.window_start is not None and flag.window_end is not None:
        ax.axvspan(
            float(date2num(max(flag.window_start, starts[0]))),
            float(date2num(flag.window_end + timedelta(days=1))),
            color=PRIMARY,
            alpha=0.06,
            lw=0,
        )
    raised = float(date2num(flag.first_raised_at))
    ax.axvline(raised, color=ALERT, linestyle="--", linewidth=1.2, label="flag raised")
    locator = AutoDateLocator(minticks=3, maxticks=5)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator, show_offset=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
    ax.set_ylabel("per week")
    title = (
        f"{_count(flag.shown_observed)} in window · expected {_count(flag.expected)}"
        if flag.shown_observed is not None
        else "failures per week"
    )
    _title(fig, title)
    fig.legend(loc="outside lower center", ncols=2, frameon=False, fontsize=TEXT - 1)
    return _svg(fig, f"Weekly failures of {flag.brand} {flag.model}: {title}")


@_plain_text
def pareto_svg(pareto: ModelPareto) -> str | None:
    """Most frequent failures of one model as horizontal bars (long names fit on a phone)."""
    bars = pareto.bars[:PARETO_BARS]
    if not bars:
        return None
    fig, ax = _figure(0.9 + BAR_ROW * len(bars))
    shown = list(reversed(bars))
    labels = [
        _short(f"{_short_name(b.component_name or b.component)} · {_words(b.failure_mode)}", 26)
        for b in shown
    ]
    ax.barh(range(len(shown)), [b.count for b in shown], color=PRIMARY)
    ax.set_yticks(range(len(shown)), labels)
    for i, b in enumerate(shown):
        ax.annotate(
            f" {b.count} · {b.cumulative_share:.0%}",
            (b.count, i),
            va="center",
            fontsize=TEXT - 1,
            color=MUTED,
        )
    ax.set_xlim(0, max(b.count for b in bars) * 1.35)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#e5e7eb", linewidth=0.8)
    title = _short(f"{pareto.brand} {pareto.model}", 30)
    _title(fig, f"{title}: {pareto.total} failures")
    return _svg(fig, f"Most frequent failures of {pareto.brand} {pareto.model}")


@_plain_text
def rates_svg(rates: Sequence[RepeatRate], title: str) -> str | None:
    shown = list(rates[:RATE_BARS])
    if not shown:
        return None
    fig, ax = _figure(0.9 + BAR_ROW * len(shown))
    shown.reverse()
    labels = [_short(r.key, 18) for r in shown]
    colors = [ALERT if r.rate >= 0.25 else ACCENT if r.rate >= 0.1 else GOOD for r in shown]
    ax.barh(range(len(shown)), [r.rate for r in shown], color=colors)
    ax.set_yticks(range(len(shown)), labels)
    for i, r in enumerate(shown):
        ax.annotate(
            f" {r.repeated}/{r.repairs}", (r.rate, i), va="center", fontsize=TEXT - 1, color=MUTED
        )
    ax.set_xlim(0, 1.15)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xticks([0, 0.5, 1])
    ax.grid(axis="x", color="#e5e7eb", linewidth=0.8)
    ax.grid(axis="y", visible=False)
    _title(fig, _short(title, 40))
    return _svg(fig, title)


@_plain_text
def case_age_svg(book: CaseBookSection) -> str | None:
    if not book.open:
        return None
    fig, ax = _figure(2.4)
    colors = [GOOD, PRIMARY, ACCENT, ALERT][: len(book.open_by_age)]
    ax.bar(
        [_short(b.label, 12) for b in book.open_by_age],
        [b.count for b in book.open_by_age],
        color=colors,
    )
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
    ax.set_ylabel("open cases")
    _title(fig, "Open complaint cases by age")
    return _svg(fig, "Open complaint cases by age")


@_plain_text
def nps_svg(voice: CustomerVoice) -> str | None:
    """NPS of every market over the period (most answers first), one labelled bar each."""
    answers: dict[str, int] = defaultdict(int)
    promoters: dict[str, float] = defaultdict(float)
    for point in voice.by_market:
        if point.nps is not None:
            answers[point.key] += point.responses
            promoters[point.key] += point.nps * point.responses
    markets = sorted(answers, key=lambda m: (-answers[m], m))[:VOICE_MARKETS]
    if not markets:
        return None
    shown = (
        f"{len(markets)} of {len(answers)} with most answers, "
        if len(answers) > len(markets)
        else ""
    )
    fig, ax = _figure(0.9 + BAR_ROW * len(markets))
    markets.reverse()
    scores = [promoters[m] / answers[m] for m in markets]
    colors = [ALERT if s < 0 else ACCENT if s < 30 else GOOD for s in scores]
    ax.barh(range(len(markets)), scores, color=colors)
    ax.set_yticks(range(len(markets)), [_short(m, 14) for m in markets])
    for i, (market, score) in enumerate(zip(markets, scores, strict=True)):
        ax.annotate(
            f" {score:.0f} ({answers[market]})",
            (max(score, 0), i),
            va="center",
            fontsize=TEXT - 1,
            color=MUTED,
        )
    ax.axvline(0, color=MUTED, linewidth=0.8)
    ax.set_xlim(-100, 140)
    ax.set_xticks([-100, -50, 0, 50, 100])
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#e5e7eb", linewidth=0.8)
    _title(fig, f"NPS by market ({shown}answers)")
    return _svg(fig, "NPS by market over the period")


@_plain_text
def dealers_svg(dealers: Sequence[KpiLine]) -> str | None:
    """Dealers with the highest repeat-repair rate, each with its genuine-parts share."""
    judged = [d for d in dealers if d.repeat_repair_rate is not None and d.repairs]
    if len(judged) < 2:
        return None
    worst = sorted(judged, key=lambda d: (-(d.repeat_repair_rate or 0.0), d.key))[:RATE_BARS]
    worst.reverse()
    fig, ax = _figure(0.9 + BAR_ROW * len(worst))
    rates = [d.repeat_repair_rate or 0.0 for d in worst]
    colors = [ALERT if r >= 0.25 else ACCENT if r >= 0.1 else GOOD for r in rates]
    ax.barh(range(len(worst)), rates, color=colors)
    ax.set_yticks(range(len(worst)), [_short(d.key, 14) for d in worst])
    for i, d in enumerate(worst):
        genuine = "–" if d.genuine_parts_ratio is None else f"{d.genuine_parts_ratio:.0%}"
        ax.annotate(
            f" genuine {genuine}", (rates[i], i), va="center", fontsize=TEXT - 1, color=MUTED
        )
    ax.set_xlim(0, max(0.1, *rates) * 1.7)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=3))
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#e5e7eb", linewidth=0.8)
    _title(fig, "Repeat-repair rate, worst dealers")
    return _svg(fig, "Dealers with the highest repeat-repair rate and their genuine-parts share")


def _title(fig: Figure, text: str) -> None:
    """A title from the figure's left edge: long axis labels do not push it off the chart."""
    fig.suptitle(text, x=0.02, ha="left", fontsize=TITLE, color=INK)


def _figure(height: float) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(WIDTH, height), layout="constrained")
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    ax.spines[["left", "bottom"]].set_color("#d1d5db")
    ax.tick_params(colors=MUTED, labelsize=TEXT)
    ax.yaxis.label.set_color(MUTED)
    ax.xaxis.label.set_color(MUTED)
    ax.title.set_color(INK)
    ax.grid(axis="y", color="#e5e7eb", linewidth=0.8)
    ax.set_axisbelow(True)
    return fig, ax


def _svg(fig: Figure, title: str) -> str:
    """A standalone, scalable SVG document: no fixed size (it takes its container's width),
    text in the reader's fonts, a title for screen readers."""
    buffer = io.BytesIO()
    FigureCanvasSVG(fig)
    with warnings.catch_warnings():
        # Layout measures text with matplotlib's own font, which lacks many scripts; the reader's
        # browser draws the text with its fonts, so a glyph missing here is no error.
        warnings.filterwarnings("ignore", message="Glyph .* missing", category=UserWarning)
        fig.savefig(
            buffer, format="svg", facecolor="white", metadata={"Date": None, "Creator": None}
        )
    svg = buffer.getvalue().decode("utf-8")
    svg = _METADATA.sub("", svg)
    svg = _FONT_FAMILY.sub("", svg)
    svg = _GROUP_IDS.sub("<g>", svg)
    label = html.escape(_short(title, 120), quote=True)
    opening = f' class="chart" role="img" aria-label="{label}"'
    svg = _SIZE.sub(lambda m: m.group(1) + opening, svg, count=1)
    return svg.replace("<defs>", f"<title>{label}</title>{STYLE}<defs>", 1)


def inline_svg(svg: str, name: str) -> str:
    """``svg`` for embedding in HTML: no XML prologue, ids prefixed with ``name`` so that many
    charts can share one document."""
    start = svg.index("<svg")
    # HTML knows the SVG namespace; the declarations would only look like addresses.
    svg = _NAMESPACES.sub("", svg[start:])
    return _IDS.sub(lambda m: f"{m.group(1)}{name}-{m.group(2)}", svg)


def _short_name(name: str) -> str:
    """A component name for a tick label: its last part ("Heating … › Fan motor" -> "Fan
    motor"), and a long name up to its first comma or bracket."""
    last = name.rsplit("›", 1)[-1].strip()
    if len(last) <= SHORT_NAME:
        return last
    return re.split(r"[,(]", last, maxsplit=1)[0].strip() or last


def _words(code: str) -> str:
    return code.replace("_", " ")


def _count(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if float(value).is_integer() or value >= 10 else f"{value:.1f}"


def _short(text: str, limit: int, lines: int = 1) -> str:
    """A label of at most ``lines`` lines of ``limit`` characters, control and format characters
    dropped: data with many line breaks would otherwise squeeze the axes to nothing."""
    parts = [printable(part, newlines=False).strip() for part in text.splitlines()] or [""]
    kept = [*parts[: lines - 1], " ".join(p for p in parts[lines - 1 :] if p)]
    return "\n".join(p if len(p) <= limit else p[: limit - 1] + "…" for p in kept)
