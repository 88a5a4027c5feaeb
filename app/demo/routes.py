"""The simulator page: an admin makes a customer do something, Meta-style."""
from __future__ import annotations

from flask import request

from app.auth import roles
from app.demo import bp
from app.demo.history import seed_history
from app.demo.simulator import (
    EVENT_KINDS,
    POSTS,
    REACTION_TARGETS,
    REACTIONS,
    SimulationRefused,
    simulate,
    simulator_accounts,
    simulator_contacts,
)
from app.htmx_responses import render_page


admin_required = roles.admin_required(why="Only workspace admins can use the simulator.")


FRESH_FORM = {"kind": "text", "reaction": "love", "reaction_target": "ours"}


def _page(status: int = 200, **context):
    # Each form keeps only its own values: the history form once came back with the customer the
    # live form had just simulated, and the other way round.
    context.setdefault("form", FRESH_FORM)
    context.setdefault("history_form", {})
    return render_page(
        "demo/simulator.html",
        block="simulator",
        status=status,
        accounts=simulator_accounts(),
        contacts=simulator_contacts(),
        kinds=EVENT_KINDS,
        reactions=REACTIONS,
        reaction_targets=REACTION_TARGETS,
        posts=POSTS,
        **context,
    )


@bp.get("/demo/simulator")
@admin_required
def simulator():
    return _page()


@bp.post("/demo/simulator")
@admin_required
def simulator_deliver():
    form = request.form.to_dict()
    try:
        result = simulate(form)
    except SimulationRefused as exc:
        return _page(status=422, form=form, error=exc)
    # Keep who and what for the next event; the text was used.
    form.pop("text", None)
    return _page(form=form, result=result)


@bp.post("/demo/simulator/history")
@admin_required
def simulator_history():
    """Put a past conversation into the stand-in's Conversations API (app.demo.history)."""
    form = request.form.to_dict()
    try:
        seeded = seed_history(form)
    except SimulationRefused as exc:
        return _page(status=422, history_form=form, history_error=exc)
    form.pop("history_text", None)
    return _page(history_form=form, history_seed=seeded)
