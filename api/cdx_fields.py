"""The fields of a CDX line, and the two `/cdx` parameters that work on them as pywb's CDX
server does: `fl` (which fields to write, in which order) and `filter` (which lines to keep).

A filter is `[!][=|~]field:value`: plain means the field contains `value`, `=` equals it,
`~` a regular expression matching from its start; `!` inverts; with no `field:` part the
whole CDXJ line is tested. Several filters must all hold. Unlike pywb, a field name we do
not write is refused rather than read as empty, so a typo cannot silently match nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

FIELDS = ("urlkey", "timestamp", "url", "mime", "status", "digest", "length", "offset", "filename")
# pywb's short and old names, accepted by its filters (not by fl). pywb's table gives `s`
# twice and the later entry wins, so `s` means length there, and here.
ALIASES = {
    "u": "url",
    "original": "url",
    "statuscode": "status",
    "mimetype": "mime",
    "m": "mime",
    "l": "length",
    "s": "length",
    "o": "offset",
    "d": "digest",
    "t": "timestamp",
    "k": "urlkey",
    "f": "filename",
}
MAX_FILTERS = 16
MAX_FILTER_LENGTH = 1000


class BadFields(ValueError):
    """An `fl` or `filter` value that cannot be applied; the message says why."""


@dataclass(frozen=True)
class Filter:
    """One `filter` parameter, parsed."""

    field: str | None
    mode: str  # "contains", "exact" or "regex"
    value: str
    pattern: re.Pattern[str] | None
    invert: bool

    def holds(self, record: dict[str, str], line: Callable[[], str]) -> bool:
        """Whether a capture (its fields, and its CDXJ line made on demand) passes."""
        text = line() if self.field is None else record.get(self.field, "")
        if self.mode == "exact":
            matched = text == self.value
        elif self.mode == "regex":
            assert self.pattern is not None
            matched = self.pattern.match(text) is not None
        else:
            matched = self.value in text
        return matched != self.invert


def field_list(raw: str | None) -> list[str] | None:
    """`fl=urlkey,timestamp,...` as a list of known fields; None (all fields) when absent."""
    if not raw:
        return None
    names = raw.split(",")
    for name in names:
        if name not in FIELDS:
            raise BadFields(f"fl field {name[:40]!r} is not one of {', '.join(FIELDS)}")
    return names


def parse_filter(raw: str) -> Filter:
    """One `filter=` value, as pywb reads it."""
    if len(raw) > MAX_FILTER_LENGTH:
        raise BadFields(f"filter is longer than {MAX_FILTER_LENGTH} characters ({len(raw)})")
    text = raw
    invert = text.startswith("!")
    if invert:
        text = text[1:]
    if text.startswith("="):
        mode, text = "exact", text[1:]
    elif text.startswith("~"):
        mode, text = "regex", text[1:]
    else:
        mode = "contains"

    field: str | None = None
    if ":" in text:
        name, text = text.split(":", 1)
        field = ALIASES.get(name, name)
        if field not in FIELDS:
            raise BadFields(
                f"filter field {name[:40]!r} is not one of {', '.join(FIELDS)}"
                f" (or pywb's short names {', '.join(ALIASES)})"
            )

    pattern = None
    if mode == "regex":
        try:
            pattern = re.compile(text)
        except re.error as error:
            raise BadFields(
                f"filter {raw[:80]!r} is not a valid regular expression: {error}"
            ) from None
    return Filter(field=field, mode=mode, value=text, pattern=pattern, invert=invert)


def filters(raws: list[str]) -> list[Filter]:
    """Every `filter=` parameter, parsed; all of them must hold for a line to be kept."""
    if len(raws) > MAX_FILTERS:
        raise BadFields(f"at most {MAX_FILTERS} filter parameters, got {len(raws)}")
    return [parse_filter(raw) for raw in raws]


def selected(record: dict[str, str], names: list[str] | None) -> dict[str, str]:
    """The fields `fl` names, in its order; a field this capture lacks is left out."""
    if names is None:
        return record
    return {name: record[name] for name in names if name in record}
