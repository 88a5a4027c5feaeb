from flask_login import login_required

from app.accounts import bp
from app.extensions import db
from app.htmx_responses import render_page
from app.models import InstagramAccount
from app.scoping import scoped


@bp.get("/accounts")
@login_required
def index():
    accounts = db.session.scalars(scoped(InstagramAccount).order_by(InstagramAccount.id)).all()
    return render_page("accounts/index.html", block="account_list", accounts=accounts)
