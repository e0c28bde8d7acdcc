"""What may leave the machine: the redaction applied to everything Helix sends a provider.

The owner's data is explained by a model that may run in someone else's cloud, so identifying details are
removed or blurred first, by pattern, in free text (`Redactor.text`) and in JSON (`Redactor.value`):

- VINs (17 characters of the VIN alphabet, with at least one letter and one digit) become pseudonyms,
  `VIN-1`, `VIN-2`, ..., one per distinct VIN for the life of the `Redactor`, so the model can still tell
  two cars apart; `restore` puts the real VINs back into the answer the owner sees (and into the arguments
  of the tools the model calls, which must act on the real car).
- Precise coordinates are rounded to `location_decimals` (2 decimals is about a kilometre): a pair of
  decimals with 4+ places (`52.520008, 13.404954`), or one such decimal next to a word like lat, lon or
  location, or followed by a degree sign or a hemisphere letter; in JSON, numbers under keys named like
  lat/latitude/lon/lng/longitude.
- Street addresses, by a heuristic (see `_ADDRESSES`, `_COMPOUND_STREET`): a house number before a
  capitalised name and a street word (`221B Baker Street`, `10 Downing St`), or a street name ending in a
  street word and followed by a number (`Hauptstraße 5`, `Berliner Straße 12`, `Karl-Marx-Allee 90`, `Kalverstraat 1`), or the
  French/Italian/Spanish forms (`12 rue de Rivoli`, `Via Roma 10`). Its limits: a street with no house
  number, or named without one of the listed street words (`Unter den Linden 77`, `The Mall`), is kept; so
  are post codes and cities, on purpose (city level is what the rounded coordinates reveal anyway); a
  capitalised phrase that looks like an address (`2 Model Y Drive`) is removed although it is none.
- E-mail addresses; phone numbers: international (`+49 30 1234567`, `0049...`), national with a leading 0
  (`030 1234567`, `0171-1234567`) and North American (`(555) 123-4567`), each with 8 to 15 digits. Dates
  (`2024-05-01`, `01.05.2024`), times, odometer readings and other plain numbers without a leading `+`, `00`
  or `0` are kept: a bare `4915112345678` is not recognised as a phone number.
- Tokens and keys: our API tokens (`tsk_...`), OpenAI/Anthropic-style keys (`sk-...`), `Bearer`/`Basic`
  credentials, JWTs (`eyJ...`), AWS access key ids (`AKIA...`), GitHub tokens (`ghp_...`), values of
  `password=`/`api_key=`/`access_token=`-like assignments, hex secrets of 32+ digits and base64-like runs
  of 32+ characters mixing upper case, lower case and digits (unless, having `/`, it reads like a path:
  a segment that is a word or a version such as `Docs` or `v1`). In JSON, strings under keys named
  token, password, secret, api_key, authorization are masked whole.

Patterns cannot promise that nothing private gets through (a name, a street written out unusually); they
remove what the platform itself produces (VINs, positions, account details) and the common cases of what
an owner types.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

PSEUDONYM_PREFIX = "VIN-"
MASK = "[redacted]"
TOKEN_MASK = "[token]"  # noqa: S105 - a placeholder, not a secret
EMAIL_MASK = "[email]"
PHONE_MASK = "[phone]"
ADDRESS_MASK = "[address]"

# --- tokens and keys (first: a token may contain anything the later patterns look for)
_SECRET_ASSIGNMENT = re.compile(
    r"(?i)\b(access_token|refresh_token|id_token|client_secret|api[_-]?key|password|passwd|secret)"
    r"(\"?'?\s*[:=]\s*\"?'?)([^\s\"'&,;]+)"
)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_AUTH_HEADER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")
_KEYS = re.compile(
    r"\btsk_[A-Za-z0-9_-]{8,}"  # our API tokens
    r"|\bsk-[A-Za-z0-9_-]{16,}"  # OpenAI, Anthropic (sk-ant-...), project keys (sk-proj-...)
    r"|\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"  # AWS access key ids
    r"|\bgh[pousr]_[A-Za-z0-9]{30,}"  # GitHub tokens
    r"|\b[0-9a-fA-F]{32,}\b"  # hex secrets, digests
)
_BASE64ISH = re.compile(r"(?<![\w+/=-])[A-Za-z0-9+/_-]{32,}={0,2}(?![\w+/=-])")
_WORDY = re.compile(r"(?:[A-Z]?[a-z]+|[A-Z]+|[0-9]+)(?:[-_][A-Za-z0-9]+)*|(?:[A-Z][a-z]+)+[0-9]*")

# --- e-mail
_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")

# --- VINs: the standard alphabet (no I, O, Q); matched in any case, pseudonymised in upper case
_VIN = re.compile(r"(?<![A-Za-z0-9_-])[A-HJ-NPR-Z0-9]{17}(?![A-Za-z0-9_])", re.IGNORECASE)
_PSEUDONYM = re.compile(r"\bVIN-(\d+)\b")
_PSEUDONYM_PARTIAL = re.compile(r"V(?:I(?:N(?:-\d*)?)?)?$")  # what may be the start of a pseudonym

# --- coordinates
_PRECISE = r"-?\d{1,3}\.\d{4,}"
_COORDINATE_PAIR = re.compile(
    rf"(?<![\w.])({_PRECISE})(°?\s?[NS]?)(\s*[,;/]\s*|\s+)({_PRECISE})(?![\d.]\d)",
)
_PRECISE_NUMBER = re.compile(rf"(?<![\w.])({_PRECISE})(?!\d)")
_LOCATION_WORDS = r"(?:lat|latitude|lon|lng|long|longitude|coord\w*|gps|location|position|breite|l[äa]e?nge)"
_LOCATION_BEFORE = re.compile(rf"(?i)\b{_LOCATION_WORDS}\b[\"'\s:=(]{{0,4}}$")  # lat=52.52, "latitude": 52.52
_LOCATION_AFTER = re.compile(rf"(?i)^(?:°|\s?[NSEW]\b|[\s(]{{1,2}}{_LOCATION_WORDS}\b)")  # 52.52° / N / (lat)

# --- phone numbers: candidates, then 8 to 15 digits, never a date
_PHONES = (
    re.compile(r"(?<![\w+])(?:\+|\b00)[1-9]\d{0,3}(?:[ .\-/]?\(?\d++\)?)+"),  # +49 30 1234567, 0049...
    re.compile(r"(?<![\w.+\-/])\(?0\d{1,5}\)?(?:[ .\-/]?\d{2,}+){1,5}(?!\w)"),  # 030 1234567, 0171-1234567
    re.compile(r"(?<![\w.+\-/])(?:\(\d{3}\)\s?|\d{3}[ .\-])\d{3}[ .\-]\d{4}(?!\w)"),  # (555) 123-4567
)
_DATE = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}")

# --- street addresses (the heuristic and its limits are in the module docstring)
_STREET_WORDS = (
    "Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Way|Court|Ct|Place|Pl|Square|Sq|"
    "Terrace|Parkway|Pkwy|Highway|Hwy|Crescent|Close|Row|Alley"
)
_STREET_SUFFIXES = (
    "straße", "strasse", "str.", "weg", "platz", "allee", "gasse", "damm", "ufer", "chaussee", "straat",
    "laan", "plein", "gracht", "gatan", "vägen", "gade", "vej",
)  # fmt: skip
_STREET_WORDS_DE = "Straße|Strasse|Str\\.|Weg|Platz|Allee|Gasse|Damm|Ufer|Chaussee"
_HOUSE_NUMBER = r"\s+\d{1,4}(?!\d)(?:\s?[a-zA-Z]\b)?"
# Every pattern starts only where a word starts (a lookbehind, not \b, which also holds after each `-`) and
# its runs are possessive (`*+`), so a long run of hyphenated words costs linear time, not quadratic.
_ADDRESSES = (
    # 221B Baker Street, 10 Downing St, 1600 Pennsylvania Avenue
    re.compile(
        rf"(?<![\w.-])\d{{1,5}}[A-Za-z]?,?\s+(?:[A-Z][\w'\u2019.-]*+\s+){{1,4}}(?:{_STREET_WORDS})\b\.?"
    ),
    # Berliner Straße 12a, Alte Gasse 3
    re.compile(rf"(?<![\w'-])[A-ZÄÖÜ][\wÄÖÜäöüß'-]*+\s+(?:{_STREET_WORDS_DE}){_HOUSE_NUMBER}"),
    # 12 rue de Rivoli, 5 avenue des Champs-Élysées
    re.compile(
        r"(?<![\w.-])\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?i:rue|avenue|boulevard|chemin|impasse|allée|quai|place)"
        r"\s+(?:(?:de|du|des|la|le)\s+|[dl]['\u2019])?[A-ZÀ-Ý][\w'\u2019-]*+(?:\s[A-ZÀ-Ý][\w'\u2019-]*+){0,2}"
    ),
    # Via Roma 10, Calle Mayor 5, Avenida da Liberdade 2
    re.compile(
        r"(?<![\w'-])(?:Via|Viale|Piazza|Corso|Calle|Avenida|Rua|Carrer)\s+"
        r"(?:[A-Z][\w'\u2019-]*+\s+|(?:de|del|della|di|da|do|dos)\s+){1,3}\d{1,4}[a-zA-Z]?\b"
    ),
)
# Hauptstraße 5, Hauptstr. 5, Karl-Marx-Allee 90, Kalverstraat 1: a capitalised word ending in a street
# suffix (checked in `_compound_street`, a lookbehind cannot take suffixes of different lengths)
_COMPOUND_STREET = re.compile(rf"(?<![\w'.-])([A-ZÄÖÜ][\wÄÖÜäöüß-]*+\.?){_HOUSE_NUMBER}")

# --- JSON keys
_LAT_LON_KEYS = {"lat", "latitude", "lon", "lng", "long", "longitude"}
_VIN_KEYS = {"vin", "vins"}
_SECRET_KEYS = {"token", "password", "passwd", "secret", "apikey", "authorization", "cookie"}
_SECRET_KEY_SUFFIXES = ("api_key", "api-key", "access_token", "refresh_token", "id_token", "client_secret")
_KEY_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def _last_word(key: str) -> str:
    """`startLatitude` -> `latitude`, `vehicle_vin` -> `vin`: the word a key ends with, lower case."""
    words = _KEY_WORDS.findall(key)
    return words[-1].lower() if words else ""


def _is_secret_key(key: str) -> bool:
    lowered = key.lower()
    return _last_word(key) in _SECRET_KEYS or lowered.endswith(_SECRET_KEY_SUFFIXES)


class Redactor:
    """Redacts text and JSON for one conversation. Keeps the VIN pseudonyms it handed out, so the same VIN
    is the same pseudonym throughout, and `restore` can undo them in the answer. Not shared between
    conversations: a fresh one per provider call numbers the VINs in the order they appear."""

    def __init__(self, location_decimals: int) -> None:
        if not 0 <= location_decimals <= 6:
            raise ValueError(f"location_decimals must be between 0 and 6, not {location_decimals}")
        self.location_decimals = location_decimals
        self._quantum = Decimal(1).scaleb(-location_decimals)
        self._pseudonyms: dict[str, str] = {}  # real VIN (upper case) -> pseudonym
        self._vins: dict[str, str] = {}  # pseudonym -> real VIN

    @property
    def vins(self) -> Mapping[str, str]:
        """The pseudonyms handed out so far, pseudonym -> real VIN."""
        return dict(self._vins)

    def pseudonym(self, vin: str) -> str:
        """The stable pseudonym of `vin` (a new one the first time it is seen)."""
        real = vin.upper()
        found = self._pseudonyms.get(real)
        if found is None:
            found = f"{PSEUDONYM_PREFIX}{len(self._pseudonyms) + 1}"
            self._pseudonyms[real] = found
            self._vins[found] = real
        return found

    # --- free text

    def text(self, s: str) -> str:
        s = _SECRET_ASSIGNMENT.sub(lambda m: f"{m[1]}{m[2]}{MASK}", s)
        s = _JWT.sub(TOKEN_MASK, s)
        s = _AUTH_HEADER.sub(lambda m: f"{m[1]} {TOKEN_MASK}", s)
        s = _KEYS.sub(TOKEN_MASK, s)
        s = _BASE64ISH.sub(_base64_secret, s)
        s = _EMAIL.sub(EMAIL_MASK, s)
        s = _VIN.sub(self._vin_match, s)
        s = self._coordinates(s)
        for phone in _PHONES:
            s = phone.sub(_phone_match, s)
        for address in _ADDRESSES:
            s = address.sub(ADDRESS_MASK, s)
        return _COMPOUND_STREET.sub(_compound_street, s)

    def _vin_match(self, match: re.Match[str]) -> str:
        candidate = match[0]
        if not (any(c.isdigit() for c in candidate) and any(c.isalpha() for c in candidate)):
            return candidate
        return self.pseudonym(candidate)

    def _round(self, number: str) -> str:
        try:
            return str(Decimal(number).quantize(self._quantum, rounding=ROUND_HALF_EVEN))
        except InvalidOperation:
            return number

    def _coordinates(self, s: str) -> str:
        def pair(m: re.Match[str]) -> str:
            lat, lon = float(m[1]), float(m[4])
            if abs(lat) > 90 or abs(lon) > 180:
                return m[0]
            return f"{self._round(m[1])}{m[2]}{m[3]}{self._round(m[4])}"

        s = _COORDINATE_PAIR.sub(pair, s)

        def lone(m: re.Match[str]) -> str:
            if abs(float(m[1])) > 180:
                return m[0]
            before = s[max(0, m.start() - 24) : m.start()]
            after = s[m.end() : m.end() + 16]
            if _LOCATION_BEFORE.search(before) or _LOCATION_AFTER.search(after):
                return self._round(m[1])
            return m[0]

        return _PRECISE_NUMBER.sub(lone, s)

    # --- JSON

    def value(self, obj: Any) -> Any:
        """A redacted copy of JSON-like `obj` (dicts, lists, tuples, strings, numbers): strings through
        `text`, numbers under lat/lon keys rounded, VIN keys pseudonymised, secret keys masked."""
        if isinstance(obj, str):
            return self.text(obj)
        if isinstance(obj, Mapping):
            return {self.text(str(key)): self._field(str(key), item) for key, item in obj.items()}
        if isinstance(obj, list | tuple):
            return [self.value(item) for item in obj]
        return obj

    def _field(self, key: str, item: Any) -> Any:
        word = _last_word(key)
        if word in _LAT_LON_KEYS:
            return self._round_coordinate(item)
        if word in _VIN_KEYS:
            return self._mask_vins(item)
        if _is_secret_key(key) and isinstance(item, str):
            return MASK
        return self.value(item)

    def _round_coordinate(self, item: Any) -> Any:
        if isinstance(item, bool):
            return item
        if isinstance(item, int | float):
            return round(float(item), self.location_decimals)
        if isinstance(item, str):
            try:
                float(item)
            except ValueError:
                return self.text(item)
            return self._round(item.strip())
        return self.value(item)

    def _mask_vins(self, item: Any) -> Any:
        if isinstance(item, str):
            return self.pseudonym(item) if item else item
        if isinstance(item, list | tuple):
            return [self._mask_vins(each) for each in item]
        if item is None:
            return None
        return MASK

    # --- back to the owner

    def restore(self, text: str) -> str:
        """`text` with the pseudonyms this redactor handed out replaced by the real VINs."""
        if not self._vins:
            return text
        return _PSEUDONYM.sub(lambda m: self._vins.get(m[0], m[0]), text)

    def restore_value(self, obj: Any) -> Any:
        """`restore` through JSON-like `obj` (keys and strings)."""
        if isinstance(obj, str):
            return self.restore(obj)
        if isinstance(obj, Mapping):
            return {self.restore(str(key)): self.restore_value(item) for key, item in obj.items()}
        if isinstance(obj, list | tuple):
            return [self.restore_value(item) for item in obj]
        return obj

    def json_text(self, s: str) -> str:
        """A tool result: redacted as JSON when it is JSON (so keys like `latitude` are understood), else as
        text."""
        try:
            parsed = json.loads(s)
        except ValueError:
            return self.text(s)
        if not isinstance(parsed, dict | list):
            return self.text(s)
        return json.dumps(self.value(parsed), ensure_ascii=False)


class StreamRestorer:
    """Restores pseudonyms in a streamed answer, whose pieces may split one (`VI` + `N-1`): the tail that
    could still become a pseudonym is held back until the next piece, or `flush`."""

    def __init__(self, restore: Callable[[str], str]) -> None:
        self._restore = restore
        self._pending = ""

    def feed(self, delta: str) -> str:
        text = self._pending + delta
        held = _PSEUDONYM_PARTIAL.search(text)
        cut = held.start() if held is not None else len(text)
        self._pending = text[cut:]
        return self._restore(text[:cut])

    def flush(self) -> str:
        text, self._pending = self._pending, ""
        return self._restore(text)


def _base64_secret(match: re.Match[str]) -> str:
    """A long run mixing upper case, lower case and digits is a secret, unless it has `/` and reads like a
    path: an empty segment (a leading or doubled slash) or a segment that is a word (`Docs`, `v1`)."""
    candidate = match[0]
    if "/" in candidate and any(not part or _WORDY.fullmatch(part) for part in candidate.split("/")):
        return candidate
    mixed = (
        any(c.isupper() for c in candidate)
        and any(c.islower() for c in candidate)
        and any(c.isdigit() for c in candidate)
    )
    return TOKEN_MASK if mixed else candidate


def _phone_match(match: re.Match[str]) -> str:
    candidate = match[0]
    if _DATE.fullmatch(candidate.strip("()")):
        return candidate
    digits = sum(c.isdigit() for c in candidate)
    return PHONE_MASK if 8 <= digits <= 15 else candidate


def _compound_street(match: re.Match[str]) -> str:
    return ADDRESS_MASK if match[1].lower().endswith(_STREET_SUFFIXES) else match[0]
