"""With MAIL_URL set, invites and password links are mailed (by a job, over real SMTP to a local
stand-in), and "Forgot password?" answers the same whether or not the address has an account."""
from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import PasswordReset
from tests.conftest import csrf_token_from
from tests.team.smtp_standin import SmtpStandin


@pytest.fixture
def smtp(app):
    with SmtpStandin() as server:
        app.config.update(MAIL_URL=server.url, MAIL_FROM="Inbox <inbox@shop.test>")
        yield server


def _body(message) -> str:
    return message.get_payload(decode=True).decode()


def test_an_invite_is_mailed_with_its_link(auth, factory, smtp):
    auth.login(factory.user(name="Ada"))
    page = auth.post("/settings/team/invites", {"email": "nia@shop.test", "role": "agent"}).get_data(as_text=True)
    assert "Mailed to" in page
    (message,) = smtp.messages
    assert message["To"] == "nia@shop.test" and message["From"] == "Inbox <inbox@shop.test>"
    link = re.search(r"(/invite/\S+)", _body(message)).group(1)
    assert link in page  # the same single-use link the admin sees


def test_forgot_password_mails_a_link_only_to_real_accounts_and_says_the_same(app, client, factory, smtp):
    user = factory.user(email="rob@shop.test")
    login_page = client.get("/login").get_data(as_text=True)
    assert "Forgot password?" in login_page
    answers = []
    for address in ("rob@shop.test", "nobody@shop.test"):
        token = csrf_token_from(client.get("/forgot").get_data(as_text=True))
        response = client.post("/forgot", data={"email": address, "csrf_token": token})
        # The CSRF token (in the form and in htmx's headers) is signed with a timestamp: it differs by itself.
        page = re.sub(r'value="[^"]+"|"X-CSRFToken": "[^"]+"', "", response.get_data(as_text=True))
        answers.append((response.status_code, page))
    assert answers[0] == answers[1] and answers[0][0] == 200
    (message,) = smtp.messages
    assert message["To"] == user.email
    link = re.search(r"(/reset/\S+)", _body(message)).group(1)
    assert app.test_client().get(link).status_code == 200
    assert db.session.query(PasswordReset).count() == 1


def test_without_mail_there_is_no_forgot_page_and_links_are_only_shown(app, client, auth, factory):
    assert not app.config.get("MAIL_URL")
    assert "Forgot password?" not in client.get("/login").get_data(as_text=True)
    assert client.get("/forgot").status_code == 404
    auth.login(factory.user())
    page = auth.post("/settings/team/invites", {"email": "nia@shop.test", "role": "agent"}).get_data(as_text=True)
    assert "/invite/" in page and "Mailed to" not in page


def test_mail_settings_are_checked_in_production(tmp_path):
    from app.config import ConfigError, load_config
    from tests.test_config import prod_env

    with pytest.raises(ConfigError, match="MAIL_URL must look like"):
        load_config(tmp_path, prod_env(MAIL_URL="http://mail.example.com"))
    assert load_config(tmp_path, prod_env(MAIL_URL="smtps://u:p@mail.example.com"))["MAIL_URL"]


def test_a_server_across_the_network_without_starttls_gets_nothing(app, smtp, monkeypatch):
    """smtp:// used STARTTLS only when the server offered it: someone on the path who strips the
    offer read the SMTP password and every mailed password link (a security review's finding).
    The stand-in offers no STARTTLS; reached under a name that is not this machine, it is refused
    before the password or the message is sent. On loopback (the other tests) it is a local relay."""
    import smtplib

    from app.mail import MailConfigError, send_mail

    class AcrossTheNetwork(smtplib.SMTP):
        def connect(self, host="localhost", port=0, source_address=None):
            # mail.example is this test's stand-in; the app only knows the name.
            return super().connect("127.0.0.1" if host == "mail.example" else host, port, source_address)

    monkeypatch.setattr(smtplib, "SMTP", AcrossTheNetwork)
    monkeypatch.setitem(app.config, "MAIL_URL", f"smtp://ada:hunter2@mail.example:{smtp.port}")
    with pytest.raises(MailConfigError, match="did not offer STARTTLS"):
        send_mail("nia@shop.test", "Reset your password", "https://inbox.test/reset/SECRET")
    assert smtp.messages == []
    # The same server on this machine is a local relay: mailed.
    monkeypatch.setitem(app.config, "MAIL_URL", f"smtp://127.0.0.1:{smtp.port}")
    send_mail("nia@shop.test", "Reset your password", "https://inbox.test/reset/SECRET")
    assert len(smtp.messages) == 1
