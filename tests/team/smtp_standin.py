"""A real SMTP server on loopback (aiosmtpd), standing in for the mail provider: the app's mail
goes over the SMTP protocol as it would in production, and the test reads what arrived."""
from __future__ import annotations

import asyncio
import email
import socket
import threading
from email.message import Message

from aiosmtpd.controller import Controller


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    def __init__(self):
        self.messages: list[Message] = []
        # A test may make the server refuse the next messages (an SMTP error reply such as
        # "451 4.3.0 Try again later") or answer slowly (seconds), as a busy provider does.
        self.refuse: str | None = None
        self.delay: float = 0
        self.data_started = threading.Event()  # set when a message's DATA first arrives

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        self.data_started.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.refuse:
            return self.refuse
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


class SmtpStandin:
    def __init__(self):
        self.inbox = Inbox()
        self.port = _free_port()  # aiosmtpd's start() connects to its own port, so it must be known
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[Message]:
        return self.inbox.messages
