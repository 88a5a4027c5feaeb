"""The language model behind AI drafts: any OpenAI-compatible chat-completions endpoint.

Configured by LLM_API_URL, LLM_API_KEY and LLM_MODEL (all three, or AI stays off). The URL is the
API's base, with or without its version path: `https://api.openai.com`, `https://api.openai.com/v1`
and `https://api.openai.com/v1/chat/completions` all reach the same endpoint. A base whose last
path segment is not a version (v1, v1beta, …) gets `/v1` added.

Every failure becomes `ModelUnavailable` with one readable sentence for staff. The prompt, the
answer and the key never reach a log or an exception message: logs say only what kind of
failure happened.
"""
from __future__ import annotations

import logging
import re
from typing import Any

import requests
from flask import current_app

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 3
READ_TIMEOUT = 20
MAX_ANSWER_TOKENS = 400
_VERSION_SEGMENT = re.compile(r"^v\d+[a-z0-9]*$")


class ModelUnavailable(Exception):
    """The model gave no usable answer; `str(exc)` is safe to show to staff."""


def llm_configured(config=None) -> bool:
    config = config if config is not None else current_app.config
    return all(config.get(key) for key in ("LLM_API_URL", "LLM_API_KEY", "LLM_MODEL"))


def completions_url(base: str) -> str:
    base = base.strip().rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    last = base.rsplit("/", 1)[-1] if base.count("/") > 2 else ""
    if not _VERSION_SEGMENT.match(last):
        base += "/v1"
    return base + "/chat/completions"


def complete(messages: list[dict[str, str]]) -> str:
    """The model's answer to a chat, stripped; raises ModelUnavailable."""
    config = current_app.config
    if not llm_configured(config):
        raise ModelUnavailable("AI drafts are not set up: LLM_API_URL, LLM_API_KEY and LLM_MODEL must all be set.")
    body = {"model": config["LLM_MODEL"], "messages": messages, "max_tokens": MAX_ANSWER_TOKENS, "temperature": 0.3}
    try:
        response = requests.post(
            completions_url(config["LLM_API_URL"]), json=body, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
            headers={"Authorization": f"Bearer {config['LLM_API_KEY']}", "Accept": "application/json"},
        )
    except requests.Timeout:
        log.warning("AI model request timed out")
        raise ModelUnavailable(f"The AI service did not answer in time (it has {READ_TIMEOUT} seconds). "
                               "Try again in a moment.") from None
    except requests.RequestException as exc:
        log.warning("AI model request failed: %s", type(exc).__name__)
        raise ModelUnavailable("The AI service could not be reached. Try again in a moment.") from None

    if response.status_code in (401, 403):
        log.warning("AI model refused the credentials: HTTP %s", response.status_code)
        raise ModelUnavailable(f"The AI service refused the API key (HTTP {response.status_code}). "
                               "An admin needs to check LLM_API_KEY.")
    if response.status_code == 429:
        log.warning("AI model rate limited: HTTP 429")
        raise ModelUnavailable("The AI service is busy (too many requests). Try again in a minute.")
    if response.status_code >= 400:
        log.warning("AI model error: HTTP %s", response.status_code)
        raise ModelUnavailable(f"The AI service answered with an error (HTTP {response.status_code}). "
                               "Try again in a moment.")
    text = _answer_text(response)
    if not text:
        log.warning("AI model returned an empty answer")
        raise ModelUnavailable("The AI service returned an empty answer. Try again, or write the reply yourself.")
    return text


def _answer_text(response: requests.Response) -> str:
    try:
        data: Any = response.json()
        content = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        log.warning("AI model answer not understood (HTTP %s)", response.status_code)
        raise ModelUnavailable("The AI service sent an answer the inbox could not read.") from None
    if content is None:
        return ""
    if isinstance(content, list):  # some servers send content parts
        content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
    if not isinstance(content, str):
        log.warning("AI model answer not understood (content is %s)", type(content).__name__)
        raise ModelUnavailable("The AI service sent an answer the inbox could not read.")
    return content.strip()
