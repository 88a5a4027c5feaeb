"""Email alerts (app.notifications.email), mailed over real SMTP to a local stand-in: one mail per
person who is away, batching their pending alerts, only after the workspace's delay, without
customer text when previews are off, with a working unsubscribe link per type and RFC 8058's
one-click header, exactly once with two runs at the same time (PostgreSQL), and a failed send
leaves the alerts pending for the next run."""
from __future__ import annotations

import re
import threading
from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Notification, User, utcnow
from app.notifications.create import notify, preferences
from app.notifications.email import STALE_AFTER, AlertMailFailed, send_email_alerts
from app.notifications.kinds import EMAIL, IN_APP
from tests.team.smtp_standin import SmtpStandin


@pytest.fixture
def smtp(app):
    with SmtpStandin() as server:
        app.config.update(MAIL_URL=server.url, MAIL_FROM="Inbox <inbox@shop.test>")
        yield server


class Team:
    def __init__(self, factory):
        self.workspace = factory.workspace("Shop")
        self.maya = factory.user(self.workspace, email="maya@shop.test", name="Maya", role="agent")
        self.bob = factory.user(self.workspace, email="bob@shop.test", name="Bob", role="agent")
        self.ida = factory.user(self.workspace, email="ida@shop.test", name="Ida")  # who assigns and mentions
        self.account = factory.account(self.workspace, username="shop.boutique")
        self.leo = factory.conversation(self.account, factory.contact(self.account, username="leo.vintage"))
        self.ana = factory.conversation(self.account, factory.contact(self.account, username="ana.runs"))

    def alert(self, type_, user, conversation=None, text="", minutes_ago=15):
        [row] = notify(self.workspace.id, type_, [user.id], text_=text, actor_id=self.ida.id,
                       conversation_id=conversation.id if conversation else None,
                       account_id=self.account.id if type_ == "account_attention" else None,
                       now=utcnow() - timedelta(minutes=minutes_ago))
        db.session.commit()
        return row

    def away(self, user, minutes):
        user.last_seen_at = utcnow() - timedelta(minutes=minutes)
        db.session.commit()


@pytest.fixture
def team(factory, smtp):
    return Team(factory)


def pending() -> list[int]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notification.id).where(Notification.email_pending).order_by(Notification.id)))


def subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def body(message) -> str:
    return message.get_payload(decode=True).decode()


def test_three_alerts_go_out_in_one_mail_with_a_link_each(team, smtp):
    team.alert("mention", team.maya, team.leo, "@Maya can you quote the blue one?", minutes_ago=30)
    team.alert("assigned", team.maya, team.ana, minutes_ago=20)
    team.alert("mention", team.maya, team.ana, "@Maya she asked for Lyon", minutes_ago=2)  # newer: batched too
    team.away(team.maya, 60)
    assert len(pending()) == 3

    run = send_email_alerts()
    (message,) = smtp.messages
    assert (run.mailed, run.alerts) == (1, 3)
    assert message["To"] == "maya@shop.test"
    assert subject(message) == "3 alerts in Shop’s inbox"
    text = body(message)
    assert "Ida mentioned you in a note on the conversation with @leo.vintage" in text
    assert "Ida assigned you the conversation with @ana.runs" in text
    assert "“@Maya can you quote the blue one?”" in text and "“@Maya she asked for Lyon”" in text
    assert text.count(f"http://inbox.test/conversations/{team.ana.id}") == 2
    assert text.count(f"http://inbox.test/conversations/{team.leo.id}") == 1
    # One unsubscribe link per type in the mail, and RFC 8058's headers for all of them.
    assert len(re.findall(r"Stop emails about mentions: http://inbox.test/notifications/unsubscribe/\S+", text)) == 1
    assert len(re.findall(r"Stop emails about conversations assigned to you: \S+", text)) == 1
    assert re.fullmatch(r"<http://inbox.test/notifications/unsubscribe/\S+>", message["List-Unsubscribe"])
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert pending() == []
    send_email_alerts()
    assert len(smtp.messages) == 1  # nothing is mailed twice


def test_nobody_is_mailed_before_the_delay_or_while_in_the_app(team, smtp):
    team.alert("assigned", team.maya, team.leo, minutes_ago=5)  # younger than the workspace's 10 minutes
    team.alert("assigned", team.bob, team.ana, minutes_ago=30)
    team.maya.last_seen_at = None  # never seen: away
    team.away(team.bob, 2)  # in the app two minutes ago: the bell told him
    send_email_alerts()
    assert smtp.messages == [] and len(pending()) == 2

    team.workspace.alert_email_after_minutes = 4
    db.session.commit()
    send_email_alerts()
    assert [m["To"] for m in smtp.messages] == ["maya@shop.test"]  # Bob was seen 2 minutes ago: still waits
    assert len(pending()) == 1

    team.away(team.bob, 5)
    send_email_alerts()
    assert [m["To"] for m in smtp.messages] == ["maya@shop.test", "bob@shop.test"]
    assert pending() == []


def test_with_previews_off_the_mail_has_no_customer_text(team, smtp):
    team.maya.notification_previews = False
    team.alert("mention", team.maya, team.leo, "Leo wrote: my address is 5 Rue Secrète")
    team.alert("assigned", team.maya, team.ana, "do you ship to Lyon?")
    team.away(team.maya, 60)
    send_email_alerts()
    (message,) = smtp.messages
    text = body(message)
    assert "Rue Secrète" not in text and "Lyon" not in text
    assert "Ida mentioned you in a note on the conversation with @leo.vintage" in text
    assert f"http://inbox.test/conversations/{team.leo.id}" in text
    assert subject(message) == "2 alerts in Shop’s inbox"


def test_read_stale_and_deactivated_alerts_are_cleared_without_mail(team, smtp, factory):
    read = team.alert("mention", team.maya, team.leo, "seen in the app")
    team.alert("assigned", team.maya, team.ana, "still unread")
    old = team.alert("assigned", team.bob, team.leo, minutes_ago=int(STALE_AFTER.total_seconds() // 60) + 1)
    gone = factory.user(team.workspace, email="gone@shop.test", role="agent")
    team.alert("assigned", gone, team.ana)
    gone.active = False
    read.read_at = utcnow()
    db.session.commit()
    team.away(team.maya, 60)
    team.away(team.bob, 60 * 24 * 3)

    run = send_email_alerts()
    (message,) = smtp.messages
    assert message["To"] == "maya@shop.test" and subject(message) == "1 alert in Shop’s inbox"
    assert "still unread" in body(message) and "seen in the app" not in body(message)
    assert run.dropped == 3 and pending() == []
    assert db.session.get(Notification, old.id).read_at is None  # cleared for mail only: still in the bell


def test_a_failed_send_leaves_the_alerts_pending_and_the_next_run_sends_them(team, smtp):
    team.alert("mention", team.maya, team.leo, "first")
    team.alert("assigned", team.maya, team.ana, "second")
    team.alert("assigned", team.bob, team.ana, "for Bob")
    team.away(team.maya, 60)
    team.away(team.bob, 60)
    smtp.inbox.refuse = "451 4.3.0 Try again later"
    with pytest.raises(AlertMailFailed, match="2 alert mail"):
        send_email_alerts()
    assert smtp.messages == [] and len(pending()) == 3

    smtp.inbox.refuse = None
    run = send_email_alerts()
    assert (run.mailed, run.alerts, run.failed) == (2, 3, 0)
    assert sorted(m["To"] for m in smtp.messages) == ["bob@shop.test", "maya@shop.test"]
    assert pending() == []


def test_an_unreachable_server_is_a_failed_send_too(team, smtp, app):
    from tests.team.smtp_standin import _free_port

    team.alert("mention", team.maya, team.leo, "hello")
    team.away(team.maya, 60)
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{_free_port()}"  # nothing listens there
    with pytest.raises(AlertMailFailed):
        send_email_alerts()
    assert len(pending()) == 1
    app.config["MAIL_URL"] = smtp.url
    send_email_alerts()
    assert len(smtp.messages) == 1 and pending() == []


def _unsubscribe_links(message) -> dict[str, str]:
    text = body(message)
    return {noun: url.replace("http://inbox.test", "")
            for noun, url in re.findall(r"Stop emails about (.+?): (http://\S+)", text)}


def test_the_unsubscribe_link_asks_on_get_and_stops_only_its_type_on_post(team, smtp, app):
    team.alert("mention", team.maya, team.leo, "one")
    team.alert("assigned", team.maya, team.ana, "two")
    team.away(team.maya, 60)
    send_email_alerts()
    links = _unsubscribe_links(smtp.messages[0])
    mentions = links["mentions"]
    client = app.test_client()  # a phone's mail app: nobody is signed in

    page = client.get(mentions)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Stop these emails?" in html and "maya@shop.test" in html
    assert f'action="{mentions}"' in html and 'method="post"' in html
    assert preferences([team.maya.id], "mention")[team.maya.id] & EMAIL  # a GET changes nothing

    done = client.post(mentions)  # no CSRF token: the signed address is the credential
    assert done.status_code == 200 and "Emails stopped" in done.get_data(as_text=True)
    db.session.expire_all()
    assert not preferences([team.maya.id], "mention")[team.maya.id] & EMAIL
    assert preferences([team.maya.id], "mention")[team.maya.id] & IN_APP  # only the mail stops
    assert preferences([team.maya.id], "assigned")[team.maya.id] & EMAIL
    assert client.post(mentions).status_code == 200  # twice: the same

    # A mention still waiting is not mailed either; an assignment is.
    team.alert("mention", team.maya, team.ana, "after unsubscribing")
    waiting = team.alert("assigned", team.maya, team.leo, "assigned later")
    assert waiting.email_pending
    send_email_alerts()
    assert len(smtp.messages) == 2
    assert "after unsubscribing" not in body(smtp.messages[1]) and "assigned later" in body(smtp.messages[1])
    assert pending() == []


def test_a_tampered_or_foreign_token_is_a_404_and_changes_nothing(team, smtp, app):
    team.alert("mention", team.maya, team.leo, "one")
    team.away(team.maya, 60)
    send_email_alerts()
    link = _unsubscribe_links(smtp.messages[0])["mentions"]
    token = link.rsplit("/", 1)[1]
    client = app.test_client()
    payload, _, signature = token.partition(".")
    from itsdangerous import URLSafeSerializer
    from itsdangerous.encoding import base64_encode

    bobs = base64_encode(f'{{"u":{team.bob.id},"t":["mention"]}}'.encode()).decode()
    middle = len(signature) // 2
    flipped = signature[:middle] + ("A" if signature[middle] != "A" else "B") + signature[middle + 1:]
    other_key = URLSafeSerializer("another-secret", salt="notifications.unsubscribe").dumps(
        {"u": team.bob.id, "t": ["mention"]})
    forged = [f"/notifications/unsubscribe/{payload}.{flipped}",     # a changed signature
              f"/notifications/unsubscribe/{bobs}.{signature}",       # Maya's signature on Bob's id
              f"/notifications/unsubscribe/{payload}.",               # none
              "/notifications/unsubscribe/not-a-token",
              f"/notifications/unsubscribe/{other_key}"]              # signed with another key
    for url in forged:
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url
    db.session.expire_all()
    for user in (team.maya, team.bob):
        assert preferences([user.id], "mention")[user.id] & EMAIL


def test_the_one_click_header_unsubscribes_every_type_of_the_mail(team, smtp, app):
    team.alert("mention", team.maya, team.leo, "one")
    team.alert("assigned", team.maya, team.ana, "two")
    team.away(team.maya, 60)
    send_email_alerts()
    url = smtp.messages[0]["List-Unsubscribe"].strip("<>").replace("http://inbox.test", "")
    # What a mail provider sends (RFC 8058): a POST of this body, with no cookie and no token.
    response = app.test_client().post(url, data="List-Unsubscribe=One-Click",
                                      content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    db.session.expire_all()
    for type_ in ("mention", "assigned"):
        assert not preferences([team.maya.id], type_)[team.maya.id] & EMAIL
    assert db.session.get(User, team.bob.id)  # nobody else's choice changed
    assert preferences([team.bob.id], "mention")[team.bob.id] & EMAIL


def test_only_the_unsubscribe_post_is_exempt_from_csrf_among_the_notification_routes(app):
    from app.extensions import csrf

    exempt = {view for view in csrf._exempt_views if ".notifications." in view}
    assert exempt == {"app.notifications.unsubscribe_routes.unsubscribe"}
    assert not any(getattr(bp, "name", bp).startswith(("notifications", "unsubscribe"))
                   for bp in csrf._exempt_blueprints)


def test_two_runs_at_once_mail_each_alert_exactly_once(app, team, smtp, factory):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks and SKIP LOCKED are PostgreSQL's; SQLite has one writer")
    people = [team.maya, team.bob, factory.user(team.workspace, email="cy@shop.test", role="agent")]
    for person in people:
        for conversation in (team.leo, team.ana):
            team.alert("assigned", person, conversation, f"for {person.email}")
        team.away(person, 60)
    expected = sorted(pending())
    smtp.inbox.delay = 0.5  # a slow provider: the first run holds its claim while the second starts

    results, errors = {}, []

    def run(name):
        with app.app_context():
            try:
                results[name] = send_email_alerts()
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    first = threading.Thread(target=run, args=("first",))
    first.start()
    assert smtp.inbox.data_started.wait(10)  # the first run is in the middle of a send
    second = threading.Thread(target=run, args=("second",))
    second.start()
    first.join(30)
    second.join(30)
    assert not errors, errors
    assert sorted(m["To"] for m in smtp.messages) == sorted(p.email for p in people)  # one mail each
    mailed = [line for m in smtp.messages for line in body(m).splitlines() if line.startswith("• ")]
    assert len(mailed) == len(expected) == 6
    assert results["first"].mailed + results["second"].mailed == 3
    assert results["second"].mailed >= 1  # the second run did work while the first held its claim
    assert pending() == []
