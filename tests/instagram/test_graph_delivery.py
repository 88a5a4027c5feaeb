"""Which Graph failures leave a send's delivery uncertain (a retry could send it twice)."""
from __future__ import annotations

import pytest
import requests
import responses
import urllib3

from app.instagram.errors import GraphError, TransientError
from app.instagram.graph import GraphClient
from tests.meta_kit import API_URL, GRAPH_URL, GRAPH_VERSION, graph_url

MESSAGES = graph_url("1784", "messages")


@pytest.fixture
def client():
    with GraphClient(GRAPH_URL, API_URL, GRAPH_VERSION) as graph:
        yield graph


def send(client):
    return client.send_message("TOKEN", "1784", "999", text="hi")


def refused_connection() -> requests.ConnectionError:
    cause = urllib3.exceptions.NewConnectionError(None, "Failed to establish a new connection: refused")
    return requests.ConnectionError(urllib3.exceptions.MaxRetryError(None, f"/{GRAPH_VERSION}/1784/messages", cause))


@pytest.mark.parametrize("failure, uncertain", [
    (requests.exceptions.ConnectTimeout("connect timed out"), False),
    (refused_connection(), False),
    (requests.exceptions.ReadTimeout("read timed out"), True),
    (requests.ConnectionError("('Connection aborted.', RemoteDisconnected('closed'))"), True),
    (requests.exceptions.ChunkedEncodingError("broken"), True),
], ids=["connect-timeout", "refused", "read-timeout", "aborted", "broken-answer"])
def test_transport_failures(client, failure, uncertain):
    with responses.RequestsMock() as meta:
        meta.post(MESSAGES, body=failure)
        with pytest.raises(TransientError) as error:
            send(client)
    assert error.value.delivery_uncertain is uncertain


@pytest.mark.parametrize("answer, uncertain, retryable", [
    ({"status": 500, "json": {"error": {"code": 2, "message": "Service unavailable"}}}, False, True),
    ({"status": 502, "body": "<html>bad gateway</html>"}, False, True),
    ({"status": 504, "body": "<html>gateway timeout</html>"}, True, True),
    ({"status": 200, "json": {"recipient_id": "999"}}, True, False),
    ({"status": 200, "body": "not json"}, True, False),
])
def test_answers(client, answer, uncertain, retryable):
    with responses.RequestsMock() as meta:
        meta.post(MESSAGES, **answer)
        with pytest.raises(GraphError) as error:
            send(client)
    assert (error.value.delivery_uncertain, error.value.retryable) == (uncertain, retryable)


def test_a_real_refused_connection_is_safe_to_retry():
    with GraphClient("http://127.0.0.1:1", "http://127.0.0.1:1", GRAPH_VERSION, timeout=(1, 1)) as graph:
        with pytest.raises(TransientError) as error:
            graph.send_message("TOKEN", "1784", "999", text="hi")
    assert error.value.delivery_uncertain is False
