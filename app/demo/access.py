"""Where the simulator exists at all, and who may use it.

The simulator fabricates Meta's deliveries, signed with the app secret, so it must never be
reachable where real customers' conversations live. It exists in demo mode (no INSTAGRAM_APP_ID,
which production refuses) and in development (to try flows against a developer's own app); in
production, and in any other environment with a real Meta app, its URLs do not exist (404).
Inside, only workspace admins may use it.
"""
from __future__ import annotations

from collections.abc import Mapping

from flask import abort, current_app
from flask_login import current_user

from app.demo import bp


def simulator_available(config: Mapping) -> bool:
    if config.get("APP_ENV") == "production":
        return False  # whatever else the configuration says
    return bool(config.get("DEMO_MODE")) or config.get("APP_ENV") == "development"


def user_may_simulate() -> bool:
    return (simulator_available(current_app.config) and current_user.is_authenticated
            and current_user.is_admin)


@bp.before_request
def _only_where_available():
    if not simulator_available(current_app.config):
        abort(404)
