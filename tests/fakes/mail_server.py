"""A local SMTP server for tests (aiosmtpd): STARTTLS required, login required.

`with MailServer(tmp_path) as mail:` starts it on 127.0.0.1 with a self-signed
certificate for 127.0.0.1 (written to `mail.ca_file`, so the client can check it as
it would a real server's) and one account (`mail.username` / `mail.password`).
`mail.messages` holds what it accepted, parsed; `fail_next("RCPT", "451 ...")` answers
the next RCPT or DATA with that reply instead. `settings()` gives the QA_BOT_SMTP_*
values that point the bot at it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    user: str | None


@dataclass
class _State:
    messages: list[Received] = field(default_factory=list)
    failures: dict[str, list[str]] = field(default_factory=dict)
    logins: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost; (cert file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MailServer:
    username = "qa-bot"
    password = "mail-secret"  # a test account on a test server

    def __init__(self, folder: Path) -> None:
        self.state = _State()
        cert_file, key_file = _certificate(folder)
        self.ca_file = str(cert_file)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_file, key_file)
        self.port = _free_port()
        self._controller = Controller(
            _Handler(self.state),
            hostname="127.0.0.1",
            port=self.port,
            tls_context=context,
            require_starttls=True,
            auth_required=True,
            authenticator=self._authenticate,
            ready_timeout=10,
        )

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.username
            and auth_data.password.decode() == self.password
        )
        if ok:
            with self.state.lock:
                self.state.logins += 1
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    def settings(self) -> dict[str, Any]:
        """Settings keyword arguments (by alias) that send the bot's email here."""
        return {
            "QA_BOT_SMTP_HOST": "127.0.0.1",
            "QA_BOT_SMTP_PORT": self.port,
            "QA_BOT_SMTP_USERNAME": self.username,
            "QA_BOT_SMTP_PASSWORD": self.password,
            "QA_BOT_SMTP_FROM": "qa-bot@testshire.gov.uk",
            "QA_BOT_SMTP_STARTTLS": True,
            "QA_BOT_SMTP_CA_FILE": self.ca_file,
        }

    @property
    def messages(self) -> list[Received]:
        with self.state.lock:
            return list(self.state.messages)

    def to(self, address: str) -> list[EmailMessage]:
        return [r.message for r in self.messages if address in r.rcpt_tos]

    def fail_next(self, step: str, reply: str, times: int = 1) -> None:
        """Answer the next `times` RCPT or DATA commands with `reply` (e.g. "451 busy")."""
        with self.state.lock:
            self.state.failures.setdefault(step.upper(), []).extend([reply] * times)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                return self.messages
            time.sleep(0.02)
        raise AssertionError(f"expected {count} email(s), got {len(self.messages)}")

    def __enter__(self) -> MailServer:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


class _Handler:
    def __init__(self, state: _State) -> None:
        self.state = state

    def _failure(self, step: str) -> str | None:
        with self.state.lock:
            queue = self.state.failures.get(step)
            return queue.pop(0) if queue else None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        failure = self._failure("RCPT")
        if failure:
            return failure
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        failure = self._failure("DATA")
        if failure:
            return failure
        message = message_from_bytes(envelope.content, policy=policy.default)
        login = session.auth_data if session.authenticated else None
        user = login.login.decode() if isinstance(login, LoginPassword) else None
        with self.state.lock:
            self.state.messages.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), message, user)  # type: ignore[arg-type]
            )
        return "250 Message accepted for delivery"
