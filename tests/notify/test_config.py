"""Channel settings: strict, each bad field named, secrets known, masked in listings and never echoed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from teslasync.notify.channels import (
    ChannelConfigError,
    ChannelKind,
    build_channel,
    describe,
    dump_config,
    parse_config,
    secret_fields,
)
from teslasync.notify.channels.base import MASK
from tests.notify.conftest import HTTP_KINDS, SECRET, VAPID_PRIVATE, raw_config
from tests.notify.fakes import TELEGRAM_TOKEN, WEBHOOK_SECRET, FakeProviders

EMAIL = {
    "host": "smtp.example.org",
    "username": "car@example.org",
    "password": "app-password-1a2b3c",
    "from_address": "car@example.org",
    "to_addresses": ["owner@example.org"],
}


def problem(kind: ChannelKind | str, raw: Any) -> ChannelConfigError:
    with pytest.raises(ChannelConfigError) as failed:
        parse_config(kind, raw)
    return failed.value


def test_secret_fields_of_each_kind() -> None:
    assert {kind: secret_fields(kind) for kind in ChannelKind} == {
        ChannelKind.EMAIL: {"password"},
        ChannelKind.SMS: {"auth_token"},
        ChannelKind.WEBPUSH: {"vapid_private_key", "auth"},
        ChannelKind.WEBHOOK: {"secret"},
        ChannelKind.SLACK: {"webhook_url"},
        ChannelKind.DISCORD: {"webhook_url"},
        ChannelKind.TELEGRAM: {"bot_token"},
        ChannelKind.MATRIX: {"access_token"},
    }


@pytest.mark.parametrize("kind", HTTP_KINDS)
def test_settings_round_trip_and_list_without_secrets(kind: ChannelKind, fake: FakeProviders) -> None:
    config = parse_config(kind, raw_config(kind, fake))
    assert parse_config(kind, dump_config(config)) == config
    listed = describe(config)
    assert listed.startswith(f"{kind.value}: ") and MASK in listed
    assert SECRET[kind] not in listed and SECRET[kind] not in repr(config)


def test_a_secret_url_is_listed_by_its_origin(fake: FakeProviders) -> None:
    config = parse_config(ChannelKind.SLACK, raw_config(ChannelKind.SLACK, fake))
    assert describe(config) == f"slack: webhook_url={fake.base_url}/{MASK}"


def test_email_defaults_and_listing() -> None:
    config = parse_config("email", EMAIL)
    assert dump_config(config) | {"password": "-"} == {
        **EMAIL,
        "password": "-",
        "port": 587,
        "starttls": True,
        "implicit_tls": False,
        "tls_ca_file": None,
        "allow_insecure": False,
    }
    assert describe(config) == (
        f"email: host=smtp.example.org; username=car@example.org; password={MASK}; "
        "from_address=car@example.org; to_addresses=owner@example.org"
    )


def test_a_missing_field_is_named() -> None:
    error = problem("webhook", {"secret": WEBHOOK_SECRET})
    assert error.field == "url" and error.message == "url: is required"


def test_an_unknown_field_is_named() -> None:
    error = problem("webhook", {"url": "https://example.org/hook", "secret": WEBHOOK_SECRET, "colour": "red"})
    assert error.field == "colour" and "not a setting" in error.message


def test_types_are_strict() -> None:
    error = problem("email", {**EMAIL, "port": "587"})
    assert error.field == "port" and "integer" in error.message


def test_every_bad_field_is_reported() -> None:
    error = problem("email", {**EMAIL, "port": 0, "to_addresses": ["owner@example.org", "not an address"]})
    assert error.field == "port"
    assert "to_addresses[1]: is not an email address" in error.message and "port:" in error.message


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://example.org/hook", "must use https"),
        ("ftp://example.org/hook", "http(s)"),
        ("https://user:pw@example.org/hook", "credentials"),
        ("https:///hook", "host"),
        ("https://example.org:99999/hook", "not a valid URL"),
    ],
)
def test_a_url_must_be_https_and_plain(url: str, reason: str) -> None:
    error = problem("webhook", {"url": url, "secret": WEBHOOK_SECRET})
    assert error.field == "url" and reason in error.message


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/hook", "http://localhost/hook", "http://[::1]:9/hook"]
)
def test_plain_http_to_loopback_is_allowed(url: str) -> None:
    assert parse_config("webhook", {"url": url, "secret": WEBHOOK_SECRET}).url == url  # type: ignore[attr-defined]


def test_plain_http_to_a_lan_host_needs_allow_insecure() -> None:
    raw = {"url": "http://nas.lan:8123/api/webhook/x", "secret": WEBHOOK_SECRET}
    assert problem("webhook", raw).field == "url"
    assert parse_config("webhook", {**raw, "allow_insecure": True})


def test_a_refused_secret_url_is_not_repeated() -> None:
    error = problem("slack", {"webhook_url": "http://hooks.slack.com/services/T0/B0/SeCrEt123456"})
    assert error.field == "webhook_url" and "https" in error.message
    assert "SeCrEt123456" not in error.message


def test_a_malformed_token_is_refused_without_showing_it() -> None:
    error = problem("telegram", {"bot_token": "not-a-token-SeCrEt", "chat_id": 42})
    assert error.field == "bot_token" and "SeCrEt" not in error.message


@pytest.mark.parametrize(
    ("chat_id", "ok"), [(42, True), (-1001234567890, True), ("@teslanews", True), ("me", False)]
)
def test_telegram_chat_ids(chat_id: object, ok: bool) -> None:
    raw = {"bot_token": TELEGRAM_TOKEN, "chat_id": chat_id}
    if ok:
        assert parse_config("telegram", raw).chat_id == str(chat_id)  # type: ignore[attr-defined]
    else:
        assert problem("telegram", raw).field == "chat_id"


def test_email_needs_tls_to_a_remote_server() -> None:
    assert problem("email", {**EMAIL, "starttls": False}).field == "starttls"
    assert parse_config("email", {**EMAIL, "starttls": False, "implicit_tls": True, "port": 465})
    assert problem("email", {**EMAIL, "implicit_tls": True}).field == "implicit_tls"
    local = {**EMAIL, "host": "127.0.0.1", "starttls": False}
    assert parse_config("email", local)


def test_email_login_needs_both_halves() -> None:
    assert problem("email", {**EMAIL, "password": None}).field == "password"
    no_login = {key: value for key, value in EMAIL.items() if key not in ("username", "password")}
    assert parse_config("email", no_login)


def test_email_ca_file_must_exist() -> None:
    assert problem("email", {**EMAIL, "tls_ca_file": "/nonexistent/ca.pem"}).field == "tls_ca_file"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("p256dh", "AAAA"),
        ("auth", "c2hvcnQ"),
        ("vapid_private_key", "bm90IGEga2V5"),
        ("vapid_subject", "owner@example.org"),
        ("endpoint", "http://push.example.org/x"),
    ],
)
def test_webpush_fields_are_checked(field: str, value: str, fake: FakeProviders) -> None:
    error = problem("webpush", {**raw_config(ChannelKind.WEBPUSH, fake), field: value})
    assert error.field == field
    assert VAPID_PRIVATE not in error.message


def test_matrix_needs_a_room_id_not_an_alias() -> None:
    raw = {
        "homeserver_url": "https://matrix.example.org",
        "access_token": "syt_x",
        "room_id": "#cars:example.org",
    }
    assert problem("matrix", raw).field == "room_id"


def test_sms_numbers_are_e164() -> None:
    raw = {
        "account_sid": "AC" + "0" * 32,
        "auth_token": "t",
        "from_number": "+15005550006",
        "to_number": "0151 234",
    }
    assert problem("sms", raw).field == "to_number"
    assert (
        problem("sms", {**raw, "to_number": "+4915123456789", "account_sid": "AC123"}).field == "account_sid"
    )


def test_an_unknown_kind_or_a_non_object_is_refused() -> None:
    assert problem("pager", {}).field == "kind"
    assert "object" in problem("webhook", ["url"]).message


async def test_a_channel_needs_the_config_of_its_kind(http: httpx.AsyncClient) -> None:
    config = parse_config("webhook", {"url": "https://example.org/hook", "secret": WEBHOOK_SECRET})
    assert build_channel("webhook", config, http).kind == ChannelKind.WEBHOOK
    with pytest.raises(TypeError):
        build_channel("slack", config, http)


def test_a_webhook_secret_must_be_long() -> None:
    error = problem("webhook", {"url": "https://example.org/hook", "secret": "short-s3cret"})
    assert error.message == "secret: must be at least 16 characters (a long random string)"
