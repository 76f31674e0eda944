"""Reports: one HTML page putting our numbers beside the papers', with figures and environment."""

from seminal.report.html import write_html_report

__all__ = ["write_html_report"]
