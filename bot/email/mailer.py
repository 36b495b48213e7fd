"""Sending one email over SMTP (stdlib `smtplib`, STARTTLS and login), at most once.

An email cannot be looked up or taken back once the mail server has it, so the
sender is told just before the message itself is handed over (`before_data`, which
records it in the outbox row and may refuse). What happens after that decides the
outcome:

- the server accepts it (250): sent;
- anything before that point (connection, TLS, login, a 4xx to MAIL/RCPT) and a 4xx
  to DATA: certainly not delivered, `RetryLater`;
- a 5xx (no such mailbox, refused): `PermanentFailure`;
- the connection lost while the server had the message: `EmailUncertain`. It is not
  sent again (it may have arrived); the outbox records it failed for a person to check.

Blocking calls, run in a worker thread by `send`.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate

from bot.email.compose import Mail
from bot.messenger import PermanentFailure, RetryLater
from bot.settings import Settings

AUTH_WAIT = 300.0  # seconds before trying again after the server refused our login


class EmailUncertain(Exception):
    """The mail server may have the message: it must not be sent again."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class EmailRefusedHere(Exception):
    """`before_data` said no (the claim was lost, or it was emailed before)."""


class SmtpMailer:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        ca_file: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self._username, self._password = username, password
        self._starttls, self._ca_file, self._timeout = starttls, ca_file, timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpMailer | None:
        """The mailer the QA_BOT_SMTP_* settings describe; None when email is off."""
        if not settings.smtp_host or not settings.smtp_from:
            return None
        password = settings.smtp_password
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            username=settings.smtp_username,
            password=password.get_secret_value() if password is not None else None,
            starttls=settings.smtp_starttls,
            ca_file=settings.smtp_ca_file,
        )

    async def send(self, mail: Mail, before_data: Callable[[], bool]) -> None:
        """Deliver `mail` to the mail server; see the module docstring for the outcomes."""
        await asyncio.to_thread(self._send, mail, before_data)

    def _message(self, mail: Mail) -> EmailMessage:
        message = EmailMessage(policy=SMTP_POLICY)
        message["From"] = self.sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = mail.message_id
        message["Auto-Submitted"] = "auto-generated"  # no out-of-office replies to the bot
        message.set_content(mail.body)
        return message

    def _send(self, mail: Mail, before_data: Callable[[], bool]) -> None:
        try:
            data = self._message(mail).as_bytes()
        except (ValueError, TypeError) as exc:  # e.g. an address that is not one
            raise PermanentFailure(f"email: the message cannot be built ({exc})") from None
        handed_over = False
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self._timeout) as smtp:
                smtp.ehlo()
                if self._starttls:
                    context = ssl.create_default_context(cafile=self._ca_file)
                    smtp.starttls(context=context)
                    smtp.ehlo()
                if self._username and self._password is not None:
                    smtp.login(self._username, self._password)
                _expect(smtp.mail(self.sender), "MAIL FROM")
                _expect(smtp.rcpt(mail.to), "RCPT TO")
                if not before_data():
                    smtp.rset()
                    raise EmailRefusedHere("the message is no longer ours to send")
                handed_over = True
                _expect(smtp.data(data), "DATA")
        except (RetryLater, PermanentFailure, EmailRefusedHere):
            raise
        except smtplib.SMTPAuthenticationError as exc:
            raise RetryLater(
                f"email: the mail server refused our login ({exc.smtp_code}); check "
                "QA_BOT_SMTP_USERNAME and QA_BOT_SMTP_PASSWORD",
                after=AUTH_WAIT,
            ) from None
        except smtplib.SMTPDataError as exc:  # DATA itself refused: nothing handed over
            _expect((exc.smtp_code, exc.smtp_error), "DATA")
            raise RetryLater(f"email: DATA answered {exc.smtp_code}") from None
        except smtplib.SMTPNotSupportedError:
            raise RetryLater(
                "email: the mail server does not offer STARTTLS or login; check "
                "QA_BOT_SMTP_HOST, QA_BOT_SMTP_PORT and QA_BOT_SMTP_STARTTLS",
                after=AUTH_WAIT,
            ) from None
        except (smtplib.SMTPException, OSError) as exc:  # ssl.SSLError is an OSError
            if handed_over:
                raise EmailUncertain(
                    f"email: the connection was lost while the mail server had the message "
                    f"({type(exc).__name__}); it may have arrived, so it is not sent again"
                ) from None
            raise RetryLater(f"email: {type(exc).__name__} before sending") from None


def _expect(answer: tuple[int, bytes | str], step: str) -> None:
    """2xx goes on; 4xx: try later (nothing was delivered); 5xx: refused for good."""
    code, text = answer
    if 200 <= code < 300:
        return
    said = text.decode("utf-8", "replace")[:120] if isinstance(text, bytes) else str(text)[:120]
    if 400 <= code < 500:
        raise RetryLater(f"email: {step} answered {code} {said}")
    raise PermanentFailure(f"email: the mail server refused it at {step} ({code} {said})")
