"""Email over SMTP (aiosmtplib): a plain-text message with a short HTML alternative, subject = event title.

STARTTLS is required by default (port 587) and is not opportunistic: a server that does not offer it is an
error, so a stripped STARTTLS cannot downgrade the login to plain text. `implicit_tls` is SMTPS (port 465).
Plain SMTP only to a loopback relay or with `allow_insecure`. `tls_ca_file` trusts a private CA (and only it).

A 4xx SMTP reply, a timeout or a dropped connection is retryable; a refused login, a 5xx reply, a missing
STARTTLS and an untrusted certificate are not. The login password never appears in a message.
"""

from __future__ import annotations

import email.utils
import html
import re
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import ClassVar, Self

import aiosmtplib
import httpx
from pydantic import Field, SecretStr, field_validator, model_validator

from teslasync.notify.channels.base import (
    Channel,
    ChannelConfig,
    ChannelKind,
    DeliveryFailed,
    FieldProblem,
    is_loopback_host,
    scrub,
    shorten,
)
from teslasync.notify.events import Event

TIMEOUT_S = 30.0
MAX_SUBJECT = 200
MAX_ERROR_TEXT = 300
_ADDRESS = re.compile(r"[^@\s<>()\[\],;:\"\\]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")
_HOST = re.compile(r"[A-Za-z0-9.:\[\]-]+")


def _check_address(value: str) -> str:
    if not _ADDRESS.fullmatch(value):
        raise ValueError("is not an email address (name@example.com)")
    return value


class EmailConfig(ChannelConfig):
    kind: ClassVar[ChannelKind] = ChannelKind.EMAIL

    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    from_address: str
    to_addresses: list[str] = Field(min_length=1, max_length=50)
    starttls: bool = True
    implicit_tls: bool = False
    tls_ca_file: str | None = None
    allow_insecure: bool = False

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        if not _HOST.fullmatch(value):
            raise ValueError("must be a host name or IP address, without a scheme or port")
        return value

    @field_validator("from_address")
    @classmethod
    def _from(cls, value: str) -> str:
        return _check_address(value)

    @field_validator("to_addresses")
    @classmethod
    def _to(cls, value: list[str]) -> list[str]:
        for index, address in enumerate(value):
            if not _ADDRESS.fullmatch(address):
                raise FieldProblem(f"to_addresses[{index}]", "is not an email address (name@example.com)")
        return value

    @field_validator("tls_ca_file")
    @classmethod
    def _ca_file(cls, value: str | None) -> str | None:
        if value is not None and not Path(value).is_file():
            raise ValueError("is not a readable file (a PEM bundle of the CA certificates to trust)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.username is None) != (self.password is None):
            missing = "password" if self.password is None else "username"
            raise FieldProblem(missing, "is required when the other login field is set")
        if self.starttls and self.implicit_tls:
            raise FieldProblem("implicit_tls", "cannot be combined with starttls: choose one")
        if not (self.starttls or self.implicit_tls or self.allow_insecure or is_loopback_host(self.host)):
            raise FieldProblem(
                "starttls",
                "is required for a remote server (or implicit_tls, or allow_insecure for a LAN relay)",
            )
        return self


def _one_line(text: str) -> str:
    return " ".join(text.split())


def message(config: EmailConfig, event: Event) -> EmailMessage:
    when = event.at if event.at.tzinfo is not None else datetime.now(UTC)
    footer = " · ".join(
        part for part in (event.vin, when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")) if part
    )
    mail = EmailMessage()
    mail["Subject"] = shorten(_one_line(event.title), MAX_SUBJECT)
    mail["From"] = config.from_address
    mail["To"] = ", ".join(config.to_addresses)
    mail["Date"] = email.utils.format_datetime(when)
    mail["Message-ID"] = email.utils.make_msgid(domain=config.from_address.rpartition("@")[2])
    mail["X-TeslaSync-Event"] = event.kind.value
    mail.set_content(f"{event.body}\n\n-- \nTeslaSync · {footer}\n")
    paragraphs = html.escape(event.body).replace("\n", "<br>\n")
    mail.add_alternative(
        f"<!doctype html><html><body><h2>{html.escape(event.title)}</h2><p>{paragraphs}</p>"
        f'<p style="color:#666;font-size:12px">TeslaSync · {html.escape(footer)}</p></body></html>\n',
        subtype="html",
    )
    return mail


class EmailChannel(Channel):
    kind: ClassVar[ChannelKind] = ChannelKind.EMAIL

    def __init__(self, config: EmailConfig, http: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self._password = config.password.get_secret_value() if config.password is not None else None
        self._tls: ssl.SSLContext | None = None

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            try:
                self._tls = ssl.create_default_context(cafile=self.config.tls_ca_file)
            except (OSError, ssl.SSLError) as error:
                raise DeliveryFailed(f"cannot load tls_ca_file: {error}", retryable=False) from None
        return self._tls

    def _failed(self, text: str, *, retryable: bool) -> DeliveryFailed:
        said = shorten(scrub(text, [self._password or ""]), MAX_ERROR_TEXT)
        return DeliveryFailed(said, retryable=retryable)

    async def send(self, event: Event) -> str:
        config = self.config
        try:
            errors, reply = await aiosmtplib.send(
                message(config, event),
                hostname=config.host,
                port=config.port,
                username=config.username,
                password=self._password,
                start_tls=config.starttls,
                use_tls=config.implicit_tls,
                tls_context=self._tls_context() if config.starttls or config.implicit_tls else None,
                timeout=TIMEOUT_S,
            )
        except aiosmtplib.SMTPAuthenticationError as error:
            raise self._failed(
                f"the SMTP server refused the login: {error.code} {error.message}", retryable=False
            ) from None
        except aiosmtplib.SMTPRecipientsRefused as error:
            refused = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in error.recipients)
            temporary = all(400 <= r.code < 500 for r in error.recipients)
            raise self._failed(
                f"the SMTP server refused every recipient: {refused}", retryable=temporary
            ) from None
        except aiosmtplib.SMTPResponseException as error:
            raise self._failed(
                f"the SMTP server answered {error.code} {error.message}", retryable=400 <= error.code < 500
            ) from None
        except aiosmtplib.SMTPTimeoutError:
            raise self._failed("the SMTP server did not answer in time", retryable=True) from None
        except ssl.SSLCertVerificationError as error:
            raise self._failed(
                f"the SMTP server's certificate is not trusted: {error}", retryable=False
            ) from None
        except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPServerDisconnected) as error:
            raise self._failed(f"could not reach the SMTP server: {error}", retryable=True) from None
        except aiosmtplib.SMTPException as error:  # no STARTTLS, no AUTH: the server is not what we expect
            raise self._failed(f"the SMTP server cannot be used: {error}", retryable=False) from None
        except OSError as error:
            raise self._failed(f"could not reach the SMTP server: {error}", retryable=True) from None
        refused = f"; refused {', '.join(sorted(errors))}" if errors else ""
        return f"{_one_line(reply)}{refused}"
