"""@mentions in private notes: which teammates a note calls in, their `note_mentions` rows and
`mention` notifications (written with the note, in its transaction), a note's text split for
display with each mention as its own part, and the list's Mentions filter.

A mention is explicit. The picker (static/js/mentions.js; in the DM composer's note mode and in a
comments thread's private note) inserts `@Display Name` into
the text and sends the person's id beside it (a hidden `mentions` field); the page keeps only the
ids whose `@Display Name` is still in the text when the note is added, so deleting a mention from
the text before sending un-mentions that person. Typed text alone mentions nobody: a name is not
an identity (two Sams), an id is. The JSON API takes its `mentions` ids as given."""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from app.auth.users import workspace_members
from app.errors import ActionRefused
from app.extensions import db
from app.models import Conversation, Note, NoteMention, User
from app.notifications.create import notify

MAX_MENTIONS = 20  # a note that calls in more people than this is an announcement, not a mention
FIELD = "mentions"


def mentioned_members(workspace_id: int, user_ids) -> list[User]:
    """The active members of the workspace these ids name (each once), or ActionRefused naming
    `mentions`: another workspace's id is refused as if it did not exist (app.auth.users)."""
    user_ids = list(user_ids or ())
    if len(set(user_ids)) > MAX_MENTIONS:
        raise ActionRefused(FIELD, f"a note can mention at most {MAX_MENTIONS} people")
    return workspace_members(workspace_id, user_ids, field=FIELD)


def _names_pattern(people) -> re.Pattern | None:
    """`@Display Name` of each person, longest first so "@Sam Rivera" wins over "@Sam", and not
    running on into a longer word ("@Samuel" is not "@Sam")."""
    names = sorted({f"@{person.display_name}" for person in people}, key=len, reverse=True)
    if not names:
        return None
    return re.compile("(?:" + "|".join(re.escape(name) for name in names) + r")(?!\w)")


def named_in(body: str, people: list[User]) -> list[User]:
    """Those of `people` whose `@Display Name` the text still holds, read as the note will show it:
    "@Sam Rivera" names Sam Rivera, not also a Sam picked and then deleted."""
    pattern = _names_pattern(people)
    named = {match.group(0) for match in pattern.finditer(body)} if pattern else set()
    return [person for person in people if f"@{person.display_name}" in named]


def record(note: Note, people: list[User], author: User, workspace_id: int) -> None:
    """The note's mention rows and one `mention` notification for each person but the author, in
    the caller's transaction (the note must be flushed: its id is needed)."""
    db.session.add_all(NoteMention(note_id=note.id, user_id=person.id) for person in people)
    set_committed_value(note, "mentioned", sorted(people, key=lambda person: person.id))
    if people:
        line = " ".join(note.body.split())
        notify(workspace_id, "mention", [person.id for person in people],
               text_=f"{author.display_name} mentioned you: {line}", conversation_id=note.conversation_id,
               actor_id=author.id)


def prime(notes) -> None:
    """Load who the notes mention, for all of them in one query. Only a note whose text holds an
    "@" can show a mention, so a thread without one costs nothing."""
    wanting = {note.id: note for note in notes if "@" in (note.body or "") and "mentioned" not in note.__dict__}
    if not wanting:
        return
    found: dict[int, list[User]] = {note_id: [] for note_id in wanting}
    rows = db.session.execute(
        select(NoteMention.note_id, User).join(User, User.id == NoteMention.user_id)
        .where(NoteMention.note_id.in_(sorted(wanting))).order_by(NoteMention.note_id, User.id))
    for note_id, user in rows:
        found[note_id].append(user)
    for note_id, note in wanting.items():
        set_committed_value(note, "mentioned", found[note_id])


def note_parts(note: Note) -> list[tuple[str, User | None]]:
    """The note's text as (text, person) parts in order: a person where the text names someone the
    note mentions, None elsewhere. The template escapes each part and styles the mentions."""
    body = note.body or ""
    if "@" not in body:
        return [(body, None)]
    people = {f"@{person.display_name}": person for person in note.mentioned}
    pattern = _names_pattern(people.values())
    if pattern is None:
        return [(body, None)]
    parts, start = [], 0
    for match in pattern.finditer(body):
        if match.start() > start:
            parts.append((body[start:match.start()], None))
        parts.append((match.group(0), people[match.group(0)]))
        start = match.end()
    if start < len(body):
        parts.append((body[start:], None))
    return parts


def mentioned_filter(user_id: int):
    """Conversations with a note that mentions the user: from the person's own mentions
    (ix_note_mentions_user) to their notes' conversations, a set the database builds once."""
    return Conversation.id.in_(
        select(Note.conversation_id).join(NoteMention, NoteMention.note_id == Note.id)
        .where(NoteMention.user_id == user_id))
