"""The variables a saved reply's text may hold, and filling them in for one conversation.

`{first_name}`, `{username}`, `{agent_name}` and `{account}` are replaced; anything else in braces
is left exactly as typed (the settings page warns about it on save, `unknown_variables`). A
variable with no value (a customer whose name and username are not known yet) becomes nothing,
and the spaces around it close up, so "Hi {first_name}, thanks!" reads "Hi, thanks!" rather than
"Hi , thanks!".
"""
from __future__ import annotations

import re

from app.models import Conversation, User

VARIABLES = {
    "first_name": "the customer's first name (the first word of their name, else their username)",
    "username": "the customer's Instagram username, without the @",
    "agent_name": "your display name",
    "account": "the name of the Instagram account the conversation is with",
}

# A brace pair with something short inside, on one line: what a person means as a variable.
PLACEHOLDER = re.compile(r"\{([^{}\n]{1,40})\}")
# After a variable that came out empty, these close up to the word before ("Hi {first_name}!").
CLOSING_PUNCTUATION = tuple(",.!?;:)")
SPACES = " \t"


def first_name(name: str | None, username: str | None) -> str:
    for word in (name or "").split():
        if any(ch.isalnum() for ch in word):  # skip an emoji or a dash before the name
            return word
    return username or ""


def values_for(conversation: Conversation, agent: User) -> dict[str, str]:
    contact, account = conversation.contact, conversation.account
    return {
        "first_name": first_name(contact.name, contact.username),
        "username": contact.username or "",
        "agent_name": agent.display_name,
        "account": account.name or account.username or "",
    }


def unknown_variables(text: str) -> list[str]:
    """The `{...}` in `text` that are not variables, each once, as typed."""
    seen: list[str] = []
    for match in PLACEHOLDER.finditer(text or ""):
        if match.group(1) not in VARIABLES and match.group(0) not in seen:
            seen.append(match.group(0))
    return seen


def render(text: str, values: dict[str, str]) -> str:
    """`text` with its variables filled in from `values` (a missing key counts as no value)."""
    out = ""
    close_up = False  # an empty variable was just passed: the spaces after it go
    position = 0
    for match in PLACEHOLDER.finditer(text):
        out, close_up = _literal(out, text[position:match.start()], close_up)
        position = match.end()
        name = match.group(1)
        if name not in VARIABLES:
            out, close_up = _literal(out, match.group(0), close_up)
            continue
        value = values.get(name) or ""
        if value:
            out, close_up = _literal(out, value, close_up)
        elif not out or out.endswith("\n") or out.endswith(tuple(SPACES)):
            close_up = True
        # Glued to a word ("{first_name}'s"): nothing around it to tidy.
    out, close_up = _literal(out, text[position:], close_up)
    return out.rstrip(SPACES) if close_up else out


def _literal(out: str, piece: str, close_up: bool) -> tuple[str, bool]:
    """Append `piece`; after an empty variable (`out` then ends in spaces or a line start), drop
    the spaces that would double up, and those before closing punctuation."""
    if not close_up or not piece:
        return out + piece, close_up
    piece = piece.lstrip(SPACES)
    if (not out or out.endswith("\n")) and piece[:1] in (",", ";", ":"):
        piece = piece[1:].lstrip(SPACES)  # "{first_name}, your order…" → "your order…"
    if not piece:
        return out, True  # only spaces so far: keep closing up
    if piece.startswith(CLOSING_PUNCTUATION) or piece.startswith("\n"):
        out = out.rstrip(SPACES)
    return out + piece, False
