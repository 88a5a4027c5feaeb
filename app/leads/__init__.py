"""Leads: every new customer becomes one, worked through a pipeline."""
from flask import Blueprint

bp = Blueprint("leads", __name__)

from app.leads import board_routes, follow_up_routes, panel_routes, routes  # noqa: E402,F401
