"""The chat-completions client: the request it makes, and a readable error for every failure,
with neither the key nor the prompt in any log line."""
import json
import logging

import pytest
import requests
import responses

from app.automation.llm import ModelUnavailable, complete, completions_url, llm_configured

KEY = "sk-test-SECRET-key-123"
PROMPT = "Customer asked about the SECRET-PROMPT-MARKER"
ENDPOINT = "http://llm.test/v1/chat/completions"


@pytest.fixture
def llm(app):
    app.config.update(LLM_API_URL="http://llm.test", LLM_API_KEY=KEY, LLM_MODEL="test-model")
    with responses.RequestsMock() as mock:
        yield mock


def answer(content):
    return {"json": {"id": "c1", "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}}


CHAT = [{"role": "system", "content": "Be nice"}, {"role": "user", "content": PROMPT}]


@pytest.mark.parametrize("base, url", [
    ("https://api.example.com", "https://api.example.com/v1/chat/completions"),
    ("https://api.example.com/", "https://api.example.com/v1/chat/completions"),
    ("https://api.example.com/v1", "https://api.example.com/v1/chat/completions"),
    ("https://api.example.com/v1/", "https://api.example.com/v1/chat/completions"),
    ("https://example.com/openai/v1beta", "https://example.com/openai/v1beta/chat/completions"),
    ("https://example.com/proxy", "https://example.com/proxy/v1/chat/completions"),
    ("https://example.com/x/chat/completions", "https://example.com/x/chat/completions"),
])
def test_the_base_url_works_with_or_without_v1(base, url):
    assert completions_url(base) == url


def test_configured_only_with_all_three_settings(app):
    assert not llm_configured()
    app.config.update(LLM_API_URL="http://llm.test", LLM_API_KEY=KEY)
    assert not llm_configured()
    app.config["LLM_MODEL"] = "m"
    assert llm_configured()


def test_a_successful_answer(llm):
    llm.post(ENDPOINT, **answer("  Sure, it costs 20 €.  "))
    assert complete(CHAT) == "Sure, it costs 20 €."
    request = llm.calls[0].request
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    body = json.loads(request.body)
    assert body["model"] == "test-model" and body["messages"] == CHAT


def test_content_parts_are_joined(llm):
    llm.post(ENDPOINT, **answer([{"type": "text", "text": "Hello "}, {"type": "text", "text": "there"}]))
    assert complete(CHAT) == "Hello there"


@pytest.mark.parametrize("response, message", [
    ({"body": requests.exceptions.ReadTimeout("read timed out")}, "did not answer in time"),
    ({"body": requests.exceptions.ConnectTimeout("connect timed out")}, "did not answer in time"),
    ({"body": requests.exceptions.ConnectionError("refused")}, "could not be reached"),
    ({"status": 500, "json": {"error": {"message": "boom"}}}, r"error \(HTTP 500\)"),
    ({"status": 401, "json": {"error": {"message": "bad key"}}}, r"refused the API key \(HTTP 401\)"),
    ({"status": 429, "json": {}}, "busy"),
    ({"status": 200, "body": "<html>not json</html>"}, "could not read"),
    ({"status": 200, "json": {"choices": []}}, "could not read"),
    ({"status": 200, "json": {"unexpected": True}}, "could not read"),
    ({"status": 200, "json": {"choices": [{"message": {"content": 42}}]}}, "could not read"),
    (answer(""), "empty answer"),
    (answer("   \n "), "empty answer"),
    (answer(None), "empty answer"),
])
def test_failures_are_readable_and_never_log_the_key_or_prompt(llm, caplog, response, message):
    caplog.set_level(logging.DEBUG)
    llm.post(ENDPOINT, **response)
    with pytest.raises(ModelUnavailable, match=message) as excinfo:
        complete(CHAT)
    error = excinfo.value  # never chained to a requests error (whose text a traceback would show)
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    for text in (caplog.text, str(excinfo.value)):
        assert KEY not in text and "SECRET-PROMPT-MARKER" not in text
    assert caplog.records  # the failure itself is logged, by kind


def test_the_timeouts_are_3_seconds_to_connect_and_20_to_read(llm):
    seen = {}

    def record(request):
        seen["timeout"] = request.req_kwargs["timeout"]
        return 200, {}, json.dumps(answer("ok")["json"])

    llm.add_callback(responses.POST, ENDPOINT, callback=record)
    complete(CHAT)
    assert seen["timeout"] == (3, 20)


def test_unconfigured_is_refused_without_a_request(app):
    with responses.RequestsMock() as mock:
        with pytest.raises(ModelUnavailable, match="not set up"):
            complete(CHAT)
        assert not mock.calls
