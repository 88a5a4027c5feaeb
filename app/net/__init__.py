"""Reaching addresses that users give us (outbound webhooks, push endpoints) safely: app.net.guard."""
