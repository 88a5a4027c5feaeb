from flask import jsonify

from app.ops import bp
from app.ops.health import health_report


@bp.get("/healthz")
def healthz():
    """Liveness: the process answers; touches no dependency."""
    return jsonify(status="ok")


@bp.get("/health")
def health():
    report, status = health_report()
    return jsonify(report), status
