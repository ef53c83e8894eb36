"""Public tip endpoints of the API: submit a tip, read its status by receipt code."""
from __future__ import annotations

from flask import abort
from flask_smorest import Blueprint

from core.permissions import public
from enforcement.tips import services
from enforcement.tips.models import TipChannel
from enforcement.tips.public import limited, limited_any
from enforcement.tips.schemas import ReceiptOut, StatusOut, TipIn
from extensions import csrf, db

blp = Blueprint("tips_api", __name__, url_prefix="/api/v1/tips",
                description="Public tips: submit one, follow its status by receipt code")


@blp.route("", methods=["POST"])
@public
@limited
@blp.arguments(TipIn)
@blp.response(201, ReceiptOut)
def create_tip(data):
    """Submit a tip (no account); the receipt code in the answer is shown this once."""
    tip_input = services.TipInput(**data)
    _tip, code = services.submit_tip(tip_input, channel=TipChannel.web)
    db.session.commit()
    return {"receipt_code": code}, 201, {"Cache-Control": "no-store"}


@blp.route("/status/<string:code>", methods=["GET"])
@public
@limited_any
@blp.response(200, StatusOut)
def get_tip_status(code: str):
    """The status of a tip, and nothing else; 404 for an unknown or wrong code."""
    tip = services.find_by_receipt(code)
    if tip is None:
        abort(404)
    return {"status": services.public_status(tip)["status"]}, 200, {"Cache-Control": "no-store"}


def init_app(api) -> None:
    api.register_blueprint(blp)
    csrf.exempt(blp)


