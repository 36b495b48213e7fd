"""Email for people chat cannot reach: the last resort of the outbox sender.

When Slack or Teams says a person cannot be reached (no account, deactivated, blocked
the app) the sender (bot/sender.py) renders the same template as plain text and hands
it to `SmtpMailer` (`mailer.py`), built by `compose.py` with a link to open the chat.
Nothing here runs unless `QA_BOT_SMTP_HOST` is set.
"""
