from flask_login import login_required

from app.htmx_responses import render_page
from app.inbox import bp
from app.inbox.queries import list_conversations, thread_messages
from app.models import Conversation
from app.scoping import get_or_404


@bp.get("/")
@login_required
def index():
    return render_page("inbox/index.html", block="conversation_list",
                       conversations=list_conversations(), current=None, messages=[])


@bp.get("/conversations/<int:conversation_id>")
@login_required
def conversation(conversation_id: int):
    current = get_or_404(Conversation, conversation_id)
    return render_page("inbox/index.html", block="thread",
                       conversations=list_conversations(), current=current, messages=thread_messages(current))
