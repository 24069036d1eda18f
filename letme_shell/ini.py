"""A byte-preserving, line-level editor for the AWS INI files.

Why not configupdater (which the project would otherwise prefer): it attaches
the comments and blank lines that follow a section's last key to that section,
so deleting letme's `[acct]` would also delete a user's comment written below it,
and a key added to a section lands after those comments. The AWS files need
less than a general INI library offers and more care than it gives: letme only
replaces, adds or removes whole sections it owns, and every other byte of the
file stays exactly where it was. configparser (stdlib) still vets the file
first, so letme never edits a file the SDKs could not read either.
"""

from __future__ import annotations

import re
from collections import namedtuple

_HEADER = re.compile(r"^[ \t]*\[(?P<name>[^\]\r\n]*)\][ \t]*(?:[;#].*)?$")
_OPTION = re.compile(r"^(?P<key>[^=:\s;#\[][^=:]*?)[ \t]*[=:][ \t]*(?P<value>.*?)[ \t]*$")
# The comment the original letme (Go, go-ini) wrote on the line before each section it owned. Only this
# exact line counts: at the start of its line, nothing else in it, directly above the header.
LEGACY_MARKER = "; letme managed"


class InvalidIni(ValueError):
    pass


class Span(namedtuple("Span", "name start end")):
    """A section: its name, the index of its header line, and one past its last key (or continuation) line."""

    __slots__ = ()


class IniText:
    def __init__(self, text: str):
        self.lines = text.splitlines(keepends=True)
        # Sections letme writes follow the file's own line ending (a Windows-edited file stays CRLF).
        self.newline = "\r\n" if self.lines and self.lines[0].endswith("\r\n") else "\n"

    def __str__(self) -> str:
        return "".join(self.lines)

    def spans(self) -> list[Span]:
        spans: list[Span] = []
        current: tuple[str, int] | None = None
        last_body = 0
        for index, line in enumerate(self.lines):
            match = _HEADER.match(line.rstrip("\r\n"))
            if match:
                if current:
                    spans.append(Span(current[0], current[1], last_body))
                current = (match["name"].strip(), index)
                last_body = index + 1
            elif current and line.strip() and not line.lstrip().startswith(("#", ";")):
                last_body = index + 1
        if current:
            spans.append(Span(current[0], current[1], last_body))
        return spans

    def find(self, name: str) -> Span | None:
        matches = [span for span in self.spans() if span.name == name]
        if len(matches) > 1:
            raise InvalidIni(f"section [{name}] appears {len(matches)} times")
        return matches[0] if matches else None

    def options(self, name: str) -> dict[str, str] | None:
        span = self.find(name)
        if span is None:
            return None
        found: dict[str, str] = {}
        for line in self.lines[span.start + 1 : span.end]:
            match = _OPTION.match(line.rstrip("\r\n"))
            if match and not line[:1].isspace():
                found[match["key"].strip().lower()] = match["value"]
        return found

    def legacy_marked(self, span: Span) -> bool:
        """Whether the line directly above `span`'s header is the original letme's `; letme managed`."""
        if span.start == 0:
            return False
        return self.lines[span.start - 1].rstrip("\r\n").rstrip(" \t") == LEGACY_MARKER

    def _first_line(self, span: Span) -> int:
        """Where the section begins for replacing or removing it: its header, or the marker line above it."""
        return span.start - 1 if self.legacy_marked(span) else span.start

    def render(self, name: str, options: dict[str, str]) -> list[str]:
        nl = self.newline
        return [f"[{name}]{nl}"] + [f"{key} = {value}{nl}" for key, value in options.items()]

    def put(self, name: str, options: dict[str, str]) -> None:
        """Replace section `name` with exactly `options`, or append it at the end."""
        new = self.render(name, options)
        span = self.find(name)
        if span is not None:
            self.lines[self._first_line(span) : span.end] = new  # the original's marker goes with it
            return
        if self.lines and not self.lines[-1].endswith("\n"):
            self.lines[-1] += self.newline
        # Always one blank line before an appended section, even after a blank line already
        # there: `remove` takes exactly one back, so put-then-remove gives the original bytes.
        if self.lines:
            new.insert(0, self.newline)
        self.lines.extend(new)

    def insert_options(self, name: str, options: dict[str, str]) -> None:
        """Add `options` as the first lines of section `name` (which must exist); every other line stays.
        `drop_options` of the same keys gives back the original bytes."""
        span = self.find(name)
        assert span is not None
        self.lines[span.start + 1 : span.start + 1] = [f"{key} = {value}{self.newline}"
                                                       for key, value in options.items()]

    def drop_options(self, name: str, keys: tuple[str, ...]) -> bool:
        """Delete the lines of section `name` that set one of `keys` (and nothing else); whether any went."""
        span = self.find(name)
        if span is None:
            return False
        doomed = [index for index in range(span.start + 1, span.end)
                  if (match := _OPTION.match(self.lines[index].rstrip("\r\n"))) and not self.lines[index][:1].isspace()
                  and match["key"].strip().lower() in keys]
        for index in reversed(doomed):
            del self.lines[index]
        return bool(doomed)

    def remove(self, name: str) -> bool:
        span = self.find(name)
        if span is None:
            return False
        start = self._first_line(span)
        # Take back the blank line `put` added before the section: when it is the last one, or
        # when a blank line follows it too (later sections were appended after it).
        blank_before = start > 0 and not self.lines[start - 1].strip()
        blank_after = span.end == len(self.lines) or not self.lines[span.end].strip()
        if blank_before and blank_after:
            start -= 1
        del self.lines[start : span.end]
        return True


def parse(text: str, where: str) -> IniText:
    """`text` as an editable file; InvalidIni when the AWS SDKs could not read it either."""
    import configparser

    checker = configparser.RawConfigParser(strict=False, interpolation=None)
    try:
        checker.read_string(text, source=where)
    except configparser.Error as exc:
        first = str(exc).splitlines()[0]
        raise InvalidIni(first) from None
    return IniText(text)
