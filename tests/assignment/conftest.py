"""Assignment tests deliver real signed webhooks, so Meta's profile lookups are stood in for as in
the webhook tests."""
from tests.webhooks.conftest import graph  # noqa: F401  (autouse fixture)
from tests.api.conftest import api  # noqa: F401,E402  (an admin's token, checked against the OpenAPI document)
