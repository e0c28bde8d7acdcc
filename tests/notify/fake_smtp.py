"""A real SMTP server (aiosmtpd) on a loopback port that takes mail only as a submission server should:
after STARTTLS (with a certificate from a throwaway CA), after AUTH, which it offers only over TLS.

    with smtp_server(tmp_path) as smtp:
        smtp.port, smtp.ca_file         # where it listens, and the CA that signed its certificate
        smtp.received                   # each message with its envelope, and whether TLS and AUTH came first
        smtp.refuse["x@example.org"] = "550 5.1.1 unknown user"   # a reply to RCPT TO for that address

`starttls=False` serves without TLS (and so without AUTH): what a client that requires STARTTLS must refuse.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.fleet.fake_fleet import write_tls_files
from tests.services import free_port

SMTP_USER = "car@example.org"
SMTP_PASSWORD = "smtp-app-password-4f3e2d1c"


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    tls: bool
    login: str | None


@dataclass
class SmtpHandler:
    received: list[ReceivedMail] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        self.received.append(
            ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), parsed, session.ssl is not None, login)
        )
        return "250 2.0.0 Ok: queued as 7F3A2"


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        SMTP_USER.encode(),
        SMTP_PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


@dataclass
class FakeSmtp:
    port: int
    ca_file: Path
    handler: SmtpHandler

    @property
    def received(self) -> list[ReceivedMail]:
        return self.handler.received

    @property
    def refuse(self) -> dict[str, str]:
        return self.handler.refuse


@contextmanager
def smtp_server(directory: Path, *, starttls: bool = True) -> Iterator[FakeSmtp]:
    tls = write_tls_files(directory / "smtp-tls")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls.cert_file, tls.key_file)
    handler = SmtpHandler()
    port = free_port()
    tls_options: dict[str, Any] = {
        "tls_context": context,
        "require_starttls": True,
        "authenticator": _authenticate,
        "auth_required": True,
        "auth_require_tls": True,
    }
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        server_hostname="mail.test",
        **(tls_options if starttls else {}),
    )
    controller.start()
    try:
        yield FakeSmtp(port, tls.ca_file, handler)
    finally:
        controller.stop()
