"""The refusal staff actions raise: `ActionRefused(field, message)` names the field that is wrong
and says why in a sentence for the person who sent it. The pages and the JSON API show it as a 4xx
answer with that message (on a page, next to the field); it lives here, in no feature, because
inbox, leads, automation and the API all raise or translate it."""
from __future__ import annotations


class ActionRefused(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
