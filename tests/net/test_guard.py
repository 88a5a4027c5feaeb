"""app.net.guard: which URLs users may make the server call, and the pinned session that connects to
the address that was checked (no DNS rebinding, no redirect elsewhere, no proxy from the environment)."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from app.net import guard
from app.net.guard import Destination, DestinationRefused, check_destination, pinned_session


@pytest.fixture
def dns(monkeypatch):
    """A fake resolver: host -> addresses (nothing here reaches a real DNS server)."""
    table: dict[str, list[str]] = {}

    def resolve(host, port):
        if host not in table:
            raise DestinationRefused(f"{host} cannot be resolved")
        return table[host]

    monkeypatch.setattr(guard, "_resolve", resolve)
    return table


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
    "224.0.0.1", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "240.0.0.1",
])
def test_local_private_and_reserved_addresses_are_refused(app, dns, address):
    dns["crm.example.com"] = [address]
    with app.app_context(), pytest.raises(DestinationRefused, match="private or local address"):
        check_destination("https://crm.example.com/hook")


def test_one_private_address_among_public_ones_is_enough_to_refuse(app, dns):
    dns["crm.example.com"] = ["93.184.216.34", "10.0.0.5"]
    with app.app_context(), pytest.raises(DestinationRefused):
        check_destination("https://crm.example.com/hook")


def test_a_public_https_url_passes_with_the_address_to_connect_to(app, dns):
    dns["crm.example.com"] = ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]
    with app.app_context():
        destination = check_destination("https://crm.example.com:8443/hook?x=1")
    assert (destination.host, destination.port, destination.address) == ("crm.example.com", 8443, "93.184.216.34")


@pytest.mark.parametrize("url, reason", [
    ("http://crm.example.com/hook", "https"),
    ("ftp://crm.example.com/hook", "https"),
    ("https:///hook", "https"),
    ("https://user:pw@crm.example.com/hook", "user name"),
    ("https://[::1/hook", "not valid"),
    ("https://nowhere.invalid/hook", "cannot be resolved"),
])
def test_malformed_and_plain_http_urls_are_refused(app, dns, url, reason):
    with app.app_context(), pytest.raises(DestinationRefused, match=reason):
        check_destination(url)


def test_plain_http_passes_where_the_caller_allows_it_but_the_address_rule_stays(app, dns):
    dns["crm.example.com"] = ["93.184.216.34"]
    dns["intranet.example.com"] = ["10.0.0.7"]
    with app.app_context():
        assert check_destination("http://crm.example.com/h", require_https=False).address == "93.184.216.34"
        with pytest.raises(DestinationRefused):
            check_destination("http://intranet.example.com/h", require_https=False)


def test_hosts_in_outbound_allow_hosts_skip_the_address_check_and_only_they(app, dns):
    app.config["OUTBOUND_ALLOW_HOSTS"] = frozenset({"127.0.0.1", "crm.intranet"})
    dns["crm.intranet"] = ["10.0.0.7"]
    dns["other.intranet"] = ["10.0.0.8"]
    with app.app_context():
        assert check_destination("http://127.0.0.1:9000/hook").address is None
        assert check_destination("https://CRM.intranet/hook").address is None
        with pytest.raises(DestinationRefused):
            check_destination("https://other.intranet/hook")
        with pytest.raises(DestinationRefused):
            check_destination("http://localhost:9000/hook")  # the name, not the address, is allowed


def test_the_allow_list_is_read_from_the_environment():
    from app.config import load_config

    config = load_config("/tmp", {"OUTBOUND_ALLOW_HOSTS": " CRM.intranet, [::1] ,127.0.0.1"})
    assert config["OUTBOUND_ALLOW_HOSTS"] == frozenset({"crm.intranet", "::1", "127.0.0.1"})
    assert load_config("/tmp", {})["OUTBOUND_ALLOW_HOSTS"] == frozenset()


@pytest.fixture
def receiver():
    """A local HTTP server recording each request's Host header; /redirect answers 302 elsewhere."""
    seen: list[tuple[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            seen.append((self.path, self.headers["Host"]))
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path == "/redirect":
                self.send_response(302)
                self.send_header("Location", "http://elsewhere.example/steal")
            else:
                self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port, seen
    server.shutdown()
    server.server_close()


def test_the_pinned_session_connects_to_the_checked_address_whatever_the_name_resolves_to(receiver):
    port, seen = receiver
    # crm.example.com resolves to nothing here: the request reaches the server only through the pin.
    destination = Destination(f"http://crm.example.com:{port}/hook", "crm.example.com", port, "127.0.0.1")
    response = pinned_session(destination).post(destination.url, json={"a": 1}, timeout=5)
    assert response.status_code == 204
    assert seen == [("/hook", f"crm.example.com:{port}")]


def test_the_pinned_session_refuses_a_redirect_to_another_host(receiver):
    port, seen = receiver
    destination = Destination(f"http://crm.example.com:{port}/redirect", "crm.example.com", port, "127.0.0.1")
    with pytest.raises(DestinationRefused, match="redirect"):
        pinned_session(destination).post(destination.url, json={}, timeout=5)
    assert [path for path, _ in seen] == ["/redirect"]


def test_the_pinned_session_ignores_proxies_from_the_environment(receiver, monkeypatch):
    port, seen = receiver
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    destination = Destination(f"http://crm.example.com:{port}/hook", "crm.example.com", port, "127.0.0.1")
    assert pinned_session(destination).post(destination.url, timeout=5).status_code == 204


def test_tls_is_verified_against_the_host_name_not_the_address():
    destination = Destination("https://crm.example.com/hook", "crm.example.com", 443, "93.184.216.34")
    adapter = pinned_session(destination).get_adapter("https://crm.example.com/hook")
    pool_kw = adapter.poolmanager.connection_pool_kw
    assert (pool_kw["server_hostname"], pool_kw["assert_hostname"]) == ("crm.example.com", "crm.example.com")
