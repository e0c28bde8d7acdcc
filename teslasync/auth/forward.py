"""Forward-auth: a reverse proxy (Authentik, Authelia, oauth2-proxy) signs the user in and passes who they
are in request headers. Anyone can send such headers, so they are believed only from the proxies' own
addresses (`TESLASYNC_TRUSTED_PROXIES`); from anywhere else the request is refused and logged.

The client's address is the TCP peer. Behind a trusted proxy it is the right-most `X-Forwarded-For` hop that
is not itself a trusted proxy, so the audit log names the user's machine, not the proxy.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from teslasync.config import ForwardAuthPreset, Settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class HeaderNames:
    user: str
    email: str | None = None
    name: str | None = None
    groups: str | None = None
    group_separator: str = ","


# What each proxy sends by default (Authentik's proxy outpost, Authelia's forward-auth endpoints, and
# oauth2-proxy with --pass-user-headers / --set-xauthrequest mapped by the ingress).
PRESETS: dict[ForwardAuthPreset, HeaderNames] = {
    ForwardAuthPreset.AUTHENTIK: HeaderNames(
        user="X-authentik-username",
        email="X-authentik-email",
        name="X-authentik-name",
        groups="X-authentik-groups",
        group_separator="|",
    ),
    ForwardAuthPreset.AUTHELIA: HeaderNames(
        user="Remote-User", email="Remote-Email", name="Remote-Name", groups="Remote-Groups"
    ),
    ForwardAuthPreset.OAUTH2_PROXY: HeaderNames(
        user="X-Forwarded-User",
        email="X-Forwarded-Email",
        name="X-Forwarded-Preferred-Username",
        groups="X-Forwarded-Groups",
    ),
}

MAX_HEADER_CHARS = 1024  # a username, an address or a group list; anything longer is not from a proxy


class ForwardAuthRefused(Exception):
    """The identity headers cannot be believed or the user may not sign in; the message says why."""


@dataclass(frozen=True)
class Identity:
    username: str
    email: str | None
    display_name: str | None
    groups: tuple[str, ...]


def _networks(cidrs: Sequence[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def _address(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not text:
        return None
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


@dataclass(frozen=True)
class ForwardAuth:
    headers: HeaderNames
    trusted: tuple[Network, ...]
    allowed_groups: frozenset[str] = frozenset()
    admin_groups: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, settings: Settings) -> ForwardAuth | None:
        trusted = _networks(settings.trusted_proxies)
        if settings.forward_auth is ForwardAuthPreset.NONE:
            return None
        base = PRESETS.get(settings.forward_auth, HeaderNames(user=settings.forward_auth_user_header or ""))
        headers = HeaderNames(
            user=settings.forward_auth_user_header or base.user,
            email=settings.forward_auth_email_header or base.email,
            name=settings.forward_auth_name_header or base.name,
            groups=settings.forward_auth_groups_header or base.groups,
            group_separator=base.group_separator,
        )
        return cls(
            headers,
            trusted,
            frozenset(settings.forward_auth_allowed_groups),
            frozenset(settings.forward_auth_admin_groups),
        )

    def trusts(self, peer: str | None) -> bool:
        return peer is not None and _is_trusted(peer, self.trusted)

    def names(self) -> list[str]:
        headers = self.headers
        return [name for name in (headers.user, headers.email, headers.name, headers.groups) if name]

    def carries_identity(self, headers: Mapping[str, str]) -> bool:
        return any(name in headers for name in self.names())

    def identity(self, headers: Mapping[str, str]) -> Identity | None:
        """Who the proxy says this is, or None if it says nothing. Raises `ForwardAuthRefused` for a user
        outside the allowed groups or headers no proxy would send."""
        username = self._value(headers, self.headers.user)
        if username is None:
            return None
        groups: tuple[str, ...] = ()
        raw_groups = self._value(headers, self.headers.groups)
        if raw_groups:
            separator = self.headers.group_separator
            groups = tuple(sorted({g.strip() for g in raw_groups.split(separator) if g.strip()}))
        if self.allowed_groups and not self.allowed_groups.intersection(groups):
            raise ForwardAuthRefused(f"{username} is in none of the allowed groups")
        return Identity(
            username=username,
            email=self._value(headers, self.headers.email),
            display_name=self._value(headers, self.headers.name),
            groups=groups,
        )

    def is_admin(self, identity: Identity) -> bool | None:
        """Whether the groups make the user an administrator; None when no admin groups are configured (the
        flag is then managed in TeslaSync)."""
        if not self.admin_groups:
            return None
        return bool(self.admin_groups.intersection(identity.groups))

    @staticmethod
    def _value(headers: Mapping[str, str], name: str | None) -> str | None:
        if name is None:
            return None
        value = headers.get(name)
        if value is None or not value.strip():
            return None
        if len(value) > MAX_HEADER_CHARS or any(ord(char) < 32 for char in value):
            raise ForwardAuthRefused(f"the {name} header is not something a proxy sends")
        return value.strip()


def client_address(peer: str | None, forwarded_for: str | None, trusted: tuple[Network, ...]) -> str | None:
    """The client's address: the peer, or behind trusted proxies the last untrusted `X-Forwarded-For` hop."""
    if peer is None or forwarded_for is None or not trusted:
        return peer
    if not _is_trusted(peer, trusted):
        return peer
    for hop in reversed([part.strip() for part in forwarded_for.split(",")]):
        if _address(hop) is None:
            break
        if not _is_trusted(hop, trusted):
            return hop
    return peer


def _is_trusted(text: str, trusted: tuple[Network, ...]) -> bool:
    address = _address(text)
    return address is not None and any(address in network for network in trusted)
