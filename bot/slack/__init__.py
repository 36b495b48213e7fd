"""Slack: the Bolt app and its listeners (adapter.py), the outbox messenger (messenger.py)."""
