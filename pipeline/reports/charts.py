"""Report charts as PNG bytes, drawn with matplotlib's Agg canvas; no pyplot, no mathtext."""

from __future__ import annotations

import functools
import io
import warnings
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Final, ParamSpec, TypeVar

from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from pipeline.output import printable
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
ACCENT: Final = "#f59e0b"
ALERT: Final = "#dc2626"
GOOD: Final = "#16a34a"
SERIES: Final = (
    "#2563eb",
    "#f59e0b",
    "#16a34a",
    "#dc2626",
    "#7c3aed",
    "#0891b2",
    "#db2777",
    "#65a30d",
)
DPI: Final = 140
PARETO_BARS: Final = 10
RATE_BARS: Final = 12
VOICE_MARKETS: Final = 8
P = ParamSpec("P")
R = TypeVar("R")


def _plain_text(draw: Callable[P, R]) -> Callable[P, R]:
    """Run a chart function with every text drawn as typed, never parsed as mathtext or LaTeX.

    Names are data: a "$" in a model name or a backslash in a supplier's is no formula. Tick
    labels are made while the figure is drawn, so the settings hold until the PNG is saved.
    """

    @functools.wraps(draw)
    def drawn(*args: P.args, **kwargs: P.kwargs) -> R:
        with rc_context(
            {"text.parse_math": False, "text.usetex": False, "axes.formatter.use_mathtext": False}
        ):
            return draw(*args, **kwargs)

    return drawn


def all_charts(data: ReportData) -> dict[str, bytes]:
    """Every chart of the report by a stable name (``flag-0``, ``pareto-1``, ``cases-age``...)."""
    charts: dict[str, bytes | None] = {}
    for i, flag in enumerate(data.flags):
        charts[f"flag-{i}"] = trend_png(flag)
    for i, model in enumerate(data.pareto):
        charts[f"pareto-{i}"] = pareto_png(model)
    charts["repeat-part"] = rates_png(data.repeat_repairs.by_part, "Repeat rate by part number")
    charts["repeat-supplier"] = rates_png(
        data.repeat_repairs.by_supplier, "Repeat rate by supplier"
    )
    charts["cases-age"] = case_age_png(data.case_book)
    charts["voice-nps"] = nps_png(data.voice)
    charts["dealers"] = dealer_scatter_png(data.kpis_by("dealer"))
    return {name: png for name, png in charts.items() if png is not None}


@_plain_text
def trend_png(flag: FlagSection) -> bytes | None:
    if not any(p.observed for p in flag.trend):
        return None
    fig, ax = _figure(7.5, 2.8)
    # Each bar and expected step spans its week, Monday to Sunday.
    starts = [p.week_start for p in flag.trend]
    edges = date2num([*starts, starts[-1] + timedelta(weeks=1)])
    observed = [p.observed for p in flag.trend]
    ax.bar(edges[:-1], observed, width=6, align="edge", color=PRIMARY, label="observed")
    expected = [p.expected if p.expected is not None else float("nan") for p in flag.trend]
    ax.step(edges, [*expected, expected[-1]], where="post", color=ACCENT, lw=2, label="expected")
    raised = float(date2num(flag.first_raised_at))
    ax.axvline(raised, color=ALERT, linestyle="--", linewidth=1.2)
    ax.annotate(
        "flag raised",
        (raised, 1),
        xycoords=("data", "axes fraction"),
        xytext=(-4, -10),
        ha="right",
        textcoords="offset points",
        color=ALERT,
        fontsize=8,
    )
    locator = AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator, show_offset=False))
    ax.set_ylabel("failures / week")
    ax.legend(loc="upper left", frameon=False, fontsize=8)
    return _png(fig)


@_plain_text
def pareto_png(pareto: ModelPareto) -> bytes | None:
    bars = pareto.bars[:PARETO_BARS]
    if not bars:
        return None
    fig, ax = _figure(7.5, 3.4)
    labels = [_short(f"{b.component}\n{b.failure_mode}", 22, lines=2) for b in bars]
    positions = range(len(bars))
    ax.bar(positions, [b.count for b in bars], color=PRIMARY)
    ax.set_xticks(list(positions), labels, rotation=35, ha="right", fontsize=7)
    ax.set_xlim(-0.6, max(len(bars), 6) - 0.4)
    ax.set_ylabel("failures")
    share = ax.twinx()
    share.plot(positions, [b.cumulative_share for b in bars], color=ACCENT, marker="o", lw=2)
    share.axhline(0.8, color=MUTED, linestyle=":", linewidth=1)
    share.set_ylim(0, 1.05)
    share.yaxis.set_major_formatter(PercentFormatter(1.0))
    share.spines[["top", "left"]].set_visible(False)
    share.tick_params(colors=MUTED, labelsize=8)
    title = _short(f"{pareto.brand} {pareto.model}", 60)
    ax.set_title(f"{title}: {pareto.total} failures", loc="left", fontsize=10)
    return _png(fig)


@_plain_text
def rates_png(rates: Sequence[RepeatRate], title: str) -> bytes | None:
    shown = list(rates[:RATE_BARS])
    if not shown:
        return None
    fig, ax = _figure(5.2, 0.9 + 0.3 * len(shown))
    shown.reverse()
    labels = [f"{_short(r.key, 28)}  ({r.repeated}/{r.repairs})" for r in shown]
    colors = [ALERT if r.rate >= 0.25 else ACCENT if r.rate >= 0.1 else GOOD for r in shown]
    ax.barh(labels, [r.rate for r in shown], color=colors)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.grid(axis="x", color="#e5e7eb", linewidth=0.8)
    ax.grid(axis="y", visible=False)
    ax.set_title(_short(title, 60), loc="left", fontsize=10)
    return _png(fig)


@_plain_text
def case_age_png(book: CaseBookSection) -> bytes | None:
    if not book.open:
        return None
    fig, ax = _figure(5.5, 2.4)
    colors = [GOOD, PRIMARY, ACCENT, ALERT][: len(book.open_by_age)]
    ax.bar(
        [_short(b.label, 16) for b in book.open_by_age],
        [b.count for b in book.open_by_age],
        color=colors,
    )
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("open cases")
    ax.set_title("Open complaint cases by age", loc="left", fontsize=10)
    return _png(fig)


@_plain_text
def nps_png(voice: CustomerVoice) -> bytes | None:
    series: dict[str, list[tuple[str, float]]] = defaultdict(list)
    volume: dict[str, int] = defaultdict(int)
    for point in voice.by_market:
        volume[point.key] += point.responses
        if point.nps is not None:
            series[point.key].append((point.month, point.nps))
    markets = sorted(series, key=lambda m: (-volume[m], m))[:VOICE_MARKETS]
    months = sorted({month for m in markets for month, _ in series[m]})
    if not months:
        return None
    fig, ax = _figure(7.5, 2.8)
    index = {month: i for i, month in enumerate(months)}
    lines = []
    for color, market in zip(SERIES, markets, strict=False):
        xs = [index[month] for month, _ in series[market]]
        ys = [v for _, v in series[market]]
        lines += ax.plot(xs, ys, marker="o", ms=3, lw=1.8, color=color)
    step = max(1, len(months) // 12)
    ticks = [_short(month, 10) for month in months[::step]]
    ax.set_xticks(list(range(0, len(months), step)), ticks, fontsize=8, rotation=0)
    ax.axhline(0, color=MUTED, linewidth=0.8)
    ax.set_ylim(-105, 105)
    ax.set_ylabel("NPS")
    # Labels given outright: matplotlib would hide a market whose name starts with "_".
    labels = [_short(market, 24) for market in markets]
    ax.legend(lines, labels, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
    ax.set_title("NPS by market, per month", loc="left", fontsize=10)
    return _png(fig)


@_plain_text
def dealer_scatter_png(dealers: Sequence[KpiLine]) -> bytes | None:
    """Genuine-parts ratio against repeat-repair rate, one dot per dealer sized by repairs."""
    judged = [
        d for d in dealers if d.genuine_parts_ratio is not None and d.repeat_repair_rate is not None
    ]
    if len(judged) < 2:
        return None
    fig, ax = _figure(6.5, 3.2)
    sizes = [20 + 180 * d.repairs / max(x.repairs for x in judged) for d in judged]
    ax.scatter(
        [d.genuine_parts_ratio or 0.0 for d in judged],
        [d.repeat_repair_rate or 0.0 for d in judged],
        s=sizes,
        color=PRIMARY,
        alpha=0.6,
        edgecolors="white",
    )
    worst = sorted(judged, key=lambda d: -(d.repeat_repair_rate or 0.0))[:3]
    for d in worst:
        ax.annotate(
            _short(d.key, 16),
            (d.genuine_parts_ratio or 0.0, d.repeat_repair_rate or 0.0),
            xytext=(5, 3),
            textcoords="offset points",
            fontsize=7,
            color=INK,
        )
    top = max(d.repeat_repair_rate or 0.0 for d in judged)
    ax.set_xlim(-0.03, 1.05)
    ax.set_ylim(0, max(0.1, top * 1.2))
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("genuine-parts ratio")
    ax.set_ylabel("repeat-repair rate")
    ax.set_title("Dealers: genuine parts vs repeat repairs", loc="left", fontsize=10)
    return _png(fig)


def _figure(width: float, height: float) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    ax.spines[["left", "bottom"]].set_color("#d1d5db")
    ax.tick_params(colors=MUTED, labelsize=8)
    ax.yaxis.label.set_color(MUTED)
    ax.xaxis.label.set_color(MUTED)
    ax.title.set_color(INK)
    ax.grid(axis="y", color="#e5e7eb", linewidth=0.8)
    ax.set_axisbelow(True)
    return fig, ax


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(fig)
    with warnings.catch_warnings():
        # A supplier or dealer name in a script the font lacks is drawn as boxes, not an error.
        warnings.filterwarnings("ignore", message="Glyph .* missing", category=UserWarning)
        fig.savefig(buffer, format="png", facecolor="white", metadata={"Software": None})
    return buffer.getvalue()


def _short(text: str, limit: int, lines: int = 1) -> str:
    """A label of at most ``lines`` lines of ``limit`` characters, control and format characters
    dropped: data with many line breaks would otherwise squeeze the axes to nothing."""
    parts = [printable(part, newlines=False).strip() for part in text.splitlines()] or [""]
    kept = [*parts[: lines - 1], " ".join(p for p in parts[lines - 1 :] if p)]
    return "\n".join(p if len(p) <= limit else p[: limit - 1] + "…" for p in kept)
