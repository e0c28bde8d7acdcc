"""SMS through Twilio's Messages API (or anything that speaks it: `base_url` points elsewhere).

`POST {base_url}/2010-04-01/Accounts/{account_sid}/Messages.json`, form-encoded `To`, `From`, `Body`, with
HTTP basic auth (account SID, auth token). Twilio takes up to 1600 characters and splits them into segments
itself. Errors are JSON `{"code", "message", "more_info", "status"}`, e.g. 401 code 20003 for a wrong token,
400 code 21211 for an invalid `To` number; a 429 (code 20429) carries `Retry-After`.
"""

from __future__ import annotations

import base64
import re
from typing import ClassVar

import httpx
from pydantic import SecretStr, field_validator

from teslasync.notify.channels.base import Channel, ChannelConfig, ChannelKind, shorten
from teslasync.notify.channels.http import deliver, json_body
from teslasync.notify.events import Event

DEFAULT_BASE_URL = "https://api.twilio.com"
MAX_BODY = 1600
_ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")
_E164 = re.compile(r"\+[1-9]\d{6,14}")
_ALPHANUMERIC_SENDER = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}")


class SmsConfig(ChannelConfig):
    kind: ClassVar[ChannelKind] = ChannelKind.SMS
    url_fields: ClassVar[tuple[str, ...]] = ("base_url",)

    account_sid: str
    auth_token: SecretStr
    from_number: str
    to_number: str
    base_url: str = DEFAULT_BASE_URL

    @field_validator("account_sid")
    @classmethod
    def _account_sid(cls, value: str) -> str:
        if not _ACCOUNT_SID.fullmatch(value):
            raise ValueError("must be a Twilio account SID: AC followed by 32 hex digits")
        return value

    @field_validator("to_number")
    @classmethod
    def _to_number(cls, value: str) -> str:
        if not _E164.fullmatch(value):
            raise ValueError("must be a phone number in E.164 form, such as +4915123456789")
        return value

    @field_validator("from_number")
    @classmethod
    def _from_number(cls, value: str) -> str:
        if not (_E164.fullmatch(value) or _ALPHANUMERIC_SENDER.fullmatch(value)):
            raise ValueError("must be an E.164 phone number (+15017122661) or an alphanumeric sender id")
        return value

    @field_validator("base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")


def body(event: Event) -> str:
    return shorten(f"{event.title}\n{event.body}" if event.body else event.title, MAX_BODY)


class SmsChannel(Channel):
    kind: ClassVar[ChannelKind] = ChannelKind.SMS

    def __init__(self, config: SmsConfig, http: httpx.AsyncClient) -> None:
        self.config = config
        self._http = http
        self._token = config.auth_token.get_secret_value()

    async def send(self, event: Event) -> str:
        config = self.config
        url = f"{config.base_url}/2010-04-01/Accounts/{config.account_sid}/Messages.json"
        form = {"To": config.to_number, "From": config.from_number, "Body": body(event)}
        credentials = base64.b64encode(f"{config.account_sid}:{self._token}".encode()).decode()
        headers = {"Authorization": f"Basic {credentials}"}
        request = self._http.build_request("POST", url, data=form, headers=headers)
        response = await deliver(self._http, request, provider="Twilio", secrets=[self._token])
        answer = json_body(response)
        if isinstance(answer, dict) and isinstance(answer.get("sid"), str):
            return f"message {answer['sid']}"
        return f"HTTP {response.status_code}"
