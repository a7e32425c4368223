"""Product-improvement reports (HTML, Markdown, JSON) built from the warehouse's read side."""

from pipeline.reports.build import ReportError, build_report, report_scope
from pipeline.reports.model import FlagTotals, ParetoTotals, ReportData
from pipeline.reports.render import (
    Extras,
    KpiTable,
    ReportFormat,
    UnknownReportFormat,
    write_report,
)
from pipeline.reports.summary import report_published, report_summary

__all__ = [
    "Extras",
    "FlagTotals",
    "KpiTable",
    "ParetoTotals",
    "ReportData",
    "ReportError",
    "ReportFormat",
    "UnknownReportFormat",
    "build_report",
    "report_published",
    "report_scope",
    "report_summary",
    "write_report",
]
