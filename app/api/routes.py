from flask import jsonify

from app.api import bp
from app.api.serializers import account_json
from app.extensions import db
from app.models import InstagramAccount
from app.scoping import scoped


@bp.get("/accounts")
def list_accounts():
    accounts = db.session.scalars(scoped(InstagramAccount).order_by(InstagramAccount.id)).all()
    return jsonify(data=[account_json(a) for a in accounts])
