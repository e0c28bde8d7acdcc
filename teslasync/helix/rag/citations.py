"""Does an answer say only what its cited sections say? A deterministic, lexical check run on every
answer before it is shown, so a model that invents a default, a limit or a setting name is caught.

The heuristic, sentence by sentence:

1. The answer is cut into sentences (and list items, and lines of a code block). Only *factual* ones are
   checked: those holding a number, an identifier (a `TESLASYNC_*` setting, an error code such as
   `STEP_UP_REQUIRED`, a `teslasync ...` command, a `code span`, a camelCase or snake_case name, a file
   name), or a citation marker `[n]`. Prose without any of these ("Here is how.") is not a claim to check.
2. A sentence with markers is checked against the chunks it cites (`[2]` is the second, counted from 1; a
   marker past the end is unsupported); one without, against all the cited chunks together.
3. It is supported when (a) every number and every identifier in it occurs in those chunks (numbers
   compared without thousands separators, so "4000" matches "4,000"; identifiers case-insensitively), and
   (b) at least `MIN_OVERLAP` of its content words (stop words dropped, crudely stemmed) occur there too.

It flags fabricated specifics reliably and paraphrase only rarely; it cannot tell a true sentence from a
false one made of the cited words ("exports are kept 900 hours" passes if both 900 and hours are cited).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

MIN_OVERLAP = 0.5


class Cited(Protocol):
    """A retrieved section: a `Hit` or a `Chunk`."""

    @property
    def heading(self) -> str: ...

    @property
    def content(self) -> str: ...


@dataclass(frozen=True)
class SupportVerdict:
    supported: bool
    unsupported_sentences: list[str] = field(default_factory=list)


_MARKER = re.compile(r"\[(\d{1,3})\]")
_NUMBER = re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\w])|(?<![\w.])\d+(?:\.\d+)?")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_IDENTIFIER = re.compile(
    r"\b(?:TESLASYNC_\w+"  # settings
    r"|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+"  # error codes, enum values
    r"|[a-z]+(?:[A-Z][a-z0-9]*)+"  # camelCase: GraphQL fields and mutations
    r"|[a-z][a-z0-9]*(?:_[a-z0-9]+)+"  # snake_case: commands, fields, settings in JSON
    r"|[\w-]+\.(?:md|py|json|yaml|yml|toml|conf|pem|tar|sh)"  # file names
    r"|[A-Za-z]+\d+[A-Za-z0-9]*"  # letters with digits: SHA256, HMAC-SHA256's parts, mqtt5
    r")\b"
)
_COMMAND = re.compile(r"\bteslasync(?:\s+[a-z][a-z-]+){1,2}")
_WORD = re.compile(r"[a-z][a-z']+")
_STOP_WORDS = """
a about above after again all also an and any are as at be because been before being below between both but by
can could did do does doing done down during each either else even every few for from further get gets had has
have having here how however i if in into is it its itself just may me might more most must my need needs
no nor
not now of off on once one only or other our out over own per same shall she should so some such than that the
their them then there these they this those through to too under until up upon us use used uses using very via
was we were what when where whether which while who whom why will with within without would yes yet you your
"""
_STOP = frozenset(_STOP_WORDS.split())


def _stem(word: str) -> str:
    """A crude suffix stripper, enough to match "exports"/"exported"/"export" and "changes"/"change":
    plural and verb endings, then a final e."""
    word = word.strip("'")
    for suffix, replacement in (("ies", "y"), ("ied", "y"), ("ing", ""), ("ed", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + replacement
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def _numbers(text: str) -> set[str]:
    return {match.replace(",", "") for match in _NUMBER.findall(text)}


def _identifiers(text: str) -> set[str]:
    found = {match.lower() for match in _IDENTIFIER.findall(text)}
    found |= {" ".join(match.lower().split()) for match in _COMMAND.findall(text)}
    for span in _CODE_SPAN.findall(text):
        span = " ".join(span.lower().split())
        if span and not _NUMBER.fullmatch(span):
            found.add(span)
    return found


def _content_words(text: str) -> set[str]:
    return {_stem(word) for word in _WORD.findall(text.lower()) if word not in _STOP and len(word) > 2}


def sentences(answer: str) -> list[str]:
    """The answer cut into sentences, list items and code lines."""
    parts: list[str] = []
    in_code = False
    for line in answer.splitlines():
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            in_code = not in_code
            continue
        if not stripped:
            continue
        if in_code:
            parts.append(stripped)
            continue
        stripped = re.sub(r"^(?:[-*+]|\d+[.)])\s+", "", stripped)  # list markers are not numbers
        parts += [p.strip() for p in re.split(r"(?<=[.!?])\s+(?=[A-Z`\[*\"(])", stripped) if p.strip()]
    return parts


def _is_factual(sentence: str) -> bool:
    return bool(_MARKER.search(sentence) or _numbers(sentence) or _identifiers(sentence))


def _corpus(cited: Sequence[Cited | str]) -> list[str]:
    return [item if isinstance(item, str) else f"{item.heading}\n{item.content}" for item in cited]


def _occurs(term: str, text: str) -> bool:
    """`term` in `text` as a whole token: `set_charge` is not in `set_charge_limit`."""
    return re.search(rf"(?<![\w]){re.escape(term)}(?![\w])", text) is not None


def _supported(sentence: str, sources: Sequence[str]) -> bool:
    if not sources:
        return False
    claim = _MARKER.sub(" ", sentence)
    body = "\n".join(sources)
    lowered = " ".join(body.lower().split())
    numbers = _numbers(body)
    if any(number not in numbers for number in _numbers(claim)):
        return False
    if not all(_occurs(identifier, lowered) for identifier in _identifiers(claim)):
        return False
    words = _content_words(_CODE_SPAN.sub(" ", claim))
    if not words:
        return True
    known = _content_words(body)
    return len(words & known) >= MIN_OVERLAP * len(words)


def check_support(answer: str, cited: Sequence[Cited | str]) -> SupportVerdict:
    """Which factual sentences of `answer` the cited chunks (hits, or their texts) do not support."""
    sources = _corpus(cited)
    unsupported: list[str] = []
    for sentence in sentences(answer):
        if not _is_factual(sentence):
            continue
        markers = [int(n) for n in _MARKER.findall(sentence)]
        if markers and any(not 1 <= n <= len(sources) for n in markers):
            unsupported.append(sentence)
            continue
        relevant = [sources[n - 1] for n in markers] if markers else sources
        if not _supported(sentence, relevant):
            unsupported.append(sentence)
    return SupportVerdict(not unsupported, unsupported)
