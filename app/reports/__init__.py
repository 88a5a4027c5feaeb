"""Reports for the manager (/reports): are we answering fast, and what sells. The figures are
defined in app.reports.figures and shared by the page, its CSV files and the report API."""
from flask import Blueprint

bp = Blueprint("reports", __name__)

from app.reports import routes  # noqa: E402,F401
