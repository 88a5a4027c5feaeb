"""A stand-in for Meta's Instagram Platform (OAuth, Graph API, Send API, echo webhooks).

It answers like graph.instagram.com, api.instagram.com and instagram.com/oauth/authorize
so that demo mode, the test suite, browser tests and benchmarks exercise the inbox's real
HTTP code without a Meta app. Three ways to use it:

- mounted in the inbox (demo mode): `init_standin(app)` or
  `app.register_blueprint(create_blueprint())` serves /_meta/graph, /_meta/api and
  /_meta/authorize, configured from app.config (see `context.Settings`);
- `create_standin_app(...)`: a standalone WSGI app at /graph, /api, /authorize;
- `StandinServer`: that app on a free local port in a thread, with `.control` for faults.
"""

from .blueprint import DEFAULT_PREFIXES, create_blueprint, init_standin
from .control import EchoDelivery, FaultRule, RecordedRequest, StandinControl
from .errors import StandinError
from .messages import new_mid
from .profiles import (
    BusinessAccount,
    CustomerProfile,
    business_account,
    customer_igsid,
    customer_profile,
    username_of_igsid,
)
from .server import DEFAULT_SCOPES, StandinServer, create_standin_app
from .signing import Signer
from .webhooks import deliver, echo_event, encode_payload, inbound_event, messaging_event, signature_256

__all__ = [
    "DEFAULT_PREFIXES",
    "DEFAULT_SCOPES",
    "BusinessAccount",
    "CustomerProfile",
    "EchoDelivery",
    "FaultRule",
    "RecordedRequest",
    "Signer",
    "StandinControl",
    "StandinError",
    "StandinServer",
    "business_account",
    "create_blueprint",
    "create_standin_app",
    "customer_igsid",
    "customer_profile",
    "deliver",
    "echo_event",
    "encode_payload",
    "inbound_event",
    "init_standin",
    "messaging_event",
    "new_mid",
    "signature_256",
    "username_of_igsid",
]
