"""Product-improvement reports (HTML, Markdown, JSON) built from the feedback warehouse."""

from pipeline.reports.build import ReportError, build_report
from pipeline.reports.model import ReportData
from pipeline.reports.render import ReportFormat, UnknownReportFormat, write_report
from pipeline.reports.summary import report_published, report_summary

__all__ = [
    "ReportData",
    "ReportError",
    "ReportFormat",
    "UnknownReportFormat",
    "build_report",
    "report_published",
    "report_summary",
    "write_report",
]
