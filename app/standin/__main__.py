"""Run the stand-in on its own: `python -m app.standin --port 8090 --webhook-url URL --app-secret S`.

For benchmarks and manual poking; tests use `StandinServer` instead.
"""

from __future__ import annotations

import argparse
import os

from werkzeug.serving import run_simple

from .server import create_standin_app


def main() -> None:
    parser = argparse.ArgumentParser(description="Local stand-in for Meta's Instagram Platform")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--webhook-url", default=os.environ.get("STANDIN_WEBHOOK_URL"),
                        help="where echo webhooks are posted (default: none)")
    parser.add_argument("--app-secret", default=os.environ.get("INSTAGRAM_APP_SECRET", "standin-app-secret"),
                        help="signs echo webhooks; must match the inbox's INSTAGRAM_APP_SECRET")
    parser.add_argument("--signing-key", default=os.environ.get("STANDIN_SIGNING_KEY", "standin-signing-key"),
                        help="signs tokens; every stand-in sharing it accepts the others' tokens")
    parser.add_argument("--echo", choices=("after", "before", "off"), default="after")
    parser.add_argument("--echo-delay", type=float, default=0.05)
    args = parser.parse_args()

    app = create_standin_app(
        webhook_url=args.webhook_url,
        app_secret=args.app_secret,
        signing_key=args.signing_key,
        config={"STANDIN_ECHO": args.echo, "STANDIN_ECHO_DELAY": args.echo_delay},
    )
    base = f"http://{args.host}:{args.port}"
    print(f"INSTAGRAM_GRAPH_URL={base}/graph\nINSTAGRAM_API_URL={base}/api\nINSTAGRAM_AUTHORIZE_URL={base}/authorize")
    run_simple(args.host, args.port, app, threaded=True)


if __name__ == "__main__":
    main()
