"""API errors: always `{"error": {"code", "message"}}` (app.json_errors), never an HTML page."""
from app.json_errors import json_error


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers = headers or {}

    def response(self):
        return json_error(self.status, self.code, self.message, self.field, self.headers)
