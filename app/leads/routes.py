from flask_login import login_required
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.htmx_responses import render_page
from app.leads import bp
from app.models import Lead
from app.scoping import scoped


@bp.get("/leads")
@login_required
def index():
    leads = db.session.scalars(
        scoped(Lead).options(joinedload(Lead.contact), joinedload(Lead.owner))
        .order_by(Lead.created_at.desc(), Lead.id.desc()).limit(100)
    ).all()
    return render_page("leads/index.html", block="lead_table", leads=leads)
