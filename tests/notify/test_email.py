"""Email against a real SMTP server (aiosmtpd) that insists on STARTTLS and AUTH, with a certificate from a
private CA the channel is told to trust."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from teslasync.notify.channels import Channel, ChannelKind, DeliveryFailed, build_channel, parse_config
from tests.notify.conftest import make_event
from tests.notify.fake_smtp import SMTP_PASSWORD, SMTP_USER, FakeSmtp, smtp_server
from tests.services import free_port


def email_channel(smtp: FakeSmtp, http: httpx.AsyncClient, **overrides: Any) -> Channel:
    raw = {
        "host": "127.0.0.1",
        "port": smtp.port,
        "username": SMTP_USER,
        "password": SMTP_PASSWORD,
        "from_address": "car@example.org",
        "to_addresses": ["owner@example.org", "partner@example.org"],
        "tls_ca_file": str(smtp.ca_file),
        **overrides,
    }
    config = parse_config(ChannelKind.EMAIL, raw)
    return build_channel(ChannelKind.EMAIL, config, http)


async def test_the_mail_arrives_after_starttls_and_auth(tmp_path: Path, http: httpx.AsyncClient) -> None:
    with smtp_server(tmp_path) as smtp:
        detail = await email_channel(smtp, http).send(make_event(title="Charging\r\ncomplete <80 %>"))
    assert "queued as 7F3A2" in detail
    (mail,) = smtp.received
    assert mail.tls and mail.login == SMTP_USER
    assert mail.mail_from == "car@example.org"
    assert mail.rcpt_tos == ["owner@example.org", "partner@example.org"]
    message = mail.message
    assert message["Subject"] == "Charging complete <80 %>"
    assert message["To"] == "owner@example.org, partner@example.org"
    assert message["X-TeslaSync-Event"] == "charge_complete"
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    assert plain.get_content().replace("\r\n", "\n").startswith("Model 3 reached 80 % (402 km).\n\n-- \n")
    assert "&lt;80 %&gt;</h2>" in html.get_content()


async def test_a_wrong_password_is_permanent_and_not_repeated(
    tmp_path: Path, http: httpx.AsyncClient
) -> None:
    with smtp_server(tmp_path) as smtp:
        wrong = "wrong-password-9a8b7c"
        with pytest.raises(DeliveryFailed) as failed:
            await email_channel(smtp, http, password=wrong).send(make_event())
    assert not failed.value.retryable and "refused the login" in failed.value.message
    assert wrong not in failed.value.message and SMTP_PASSWORD not in failed.value.message
    assert smtp.received == []


async def test_a_server_without_starttls_gets_no_password(tmp_path: Path, http: httpx.AsyncClient) -> None:
    with smtp_server(tmp_path, starttls=False) as smtp, pytest.raises(DeliveryFailed) as failed:
        await email_channel(smtp, http).send(make_event())
    assert not failed.value.retryable and "STARTTLS" in failed.value.message
    assert smtp.received == []


async def test_a_certificate_from_an_unknown_ca_is_refused(tmp_path: Path, http: httpx.AsyncClient) -> None:
    with smtp_server(tmp_path) as smtp, pytest.raises(DeliveryFailed) as failed:
        await email_channel(smtp, http, tls_ca_file=None).send(make_event())
    assert not failed.value.retryable and "not trusted" in failed.value.message
    assert smtp.received == []


@pytest.mark.parametrize(
    ("reply", "retryable"), [("550 5.1.1 unknown user", False), ("451 4.3.0 try again later", True)]
)
async def test_refused_recipients(
    tmp_path: Path, http: httpx.AsyncClient, reply: str, retryable: bool
) -> None:
    with smtp_server(tmp_path) as smtp:
        smtp.refuse.update({"owner@example.org": reply, "partner@example.org": reply})
        with pytest.raises(DeliveryFailed) as failed:
            await email_channel(smtp, http).send(make_event())
    assert failed.value.retryable is retryable
    assert reply.split()[0] in failed.value.message and "owner@example.org" in failed.value.message


async def test_one_refused_recipient_does_not_stop_the_others(
    tmp_path: Path, http: httpx.AsyncClient
) -> None:
    with smtp_server(tmp_path) as smtp:
        smtp.refuse["partner@example.org"] = "550 5.1.1 unknown user"
        detail = await email_channel(smtp, http).send(make_event())
    assert [mail.rcpt_tos for mail in smtp.received] == [["owner@example.org"]]
    assert "refused partner@example.org" in detail


async def test_an_unreachable_server_is_retryable(tmp_path: Path, http: httpx.AsyncClient) -> None:
    nowhere = FakeSmtp(free_port(), tmp_path / "unused.pem", handler=None)  # type: ignore[arg-type]
    with pytest.raises(DeliveryFailed) as failed:
        await email_channel(nowhere, http, tls_ca_file=None).send(make_event())
    assert failed.value.retryable and "could not reach" in failed.value.message
