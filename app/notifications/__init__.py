"""Notifications: the bell, @mentions, preferences, desktop alerts, Web Push and email alerts.

- `kinds`: the types, channels (a bitmask) and defaults;
- `create`: rows written in the event's own transaction (ingestion, assignment, notes, accounts).
"""
