"""The README's first command, served on another port: `PORT=N flask --app app run` listens on N, the
port the app already builds its own links from (tests/test_config.py pins that side)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_flask_run_serves_on_port(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "INSTAGRAM_", "DATABASE_URL", "REDIS_URL"))}
    env.update(PORT=str(port), APP_ENV="development", DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite3'}")
    env.pop("PUBLIC_URL", None)
    # Exactly as the README runs it: from the repository, `flask --app app run`.
    server = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "run"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
                break
            # Not listening yet, or listening but still loading the app on a busy machine.
            except (requests.ConnectionError, requests.Timeout):
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "flask run never listened on $PORT"
                time.sleep(0.1)
        assert answer.json() == {"status": "ok"}
    finally:
        server.terminate()
        server.wait(timeout=10)
