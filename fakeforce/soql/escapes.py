"""SOQL's backslash escapes in string literals, as Salesforce documents them: pure text in, text out."""

from __future__ import annotations

import re

ESCAPED = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'"}
_UNICODE = re.compile(r"[0-9A-Fa-f]{4}")


class EscapeError(ValueError):
    """A backslash sequence SOQL does not define; ``offset`` is where it starts in the literal's text."""

    def __init__(self, sequence: str, offset: int) -> None:
        super().__init__(sequence)
        self.sequence, self.offset = sequence, offset


def unescape(text: str, like: bool = False) -> str:
    """SOQL's escape sequences in a string literal's text as written: ``\\n \\r \\t \\b \\f`` (either
    case), ``\\" \\' \\\\`` and ``\\uXXXX``. In a LIKE pattern ``\\\\``, ``\\%`` and ``\\_`` stay for the
    pattern matcher; anywhere else a backslash is an error (EscapeError), as Salesforce's docs say."""
    if "\\" not in text:
        return text
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            nxt = text[i + 1] if i + 1 < len(text) else ""
            if nxt in ESCAPED or (nxt.lower() in ESCAPED and nxt.isalpha()):
                out.append(ESCAPED[nxt.lower()] if nxt.isalpha() else ESCAPED[nxt])
                i += 2
                continue
            if nxt == "u" and _UNICODE.fullmatch(text, i + 2, i + 6):
                out.append(chr(int(text[i + 2: i + 6], 16)))
                i += 6
                continue
            if nxt == "\\" and not like:
                out.append("\\")
                i += 2
                continue
            if like and nxt in "\\%_" and nxt:
                out.append(text[i: i + 2])
                i += 2
                continue
            raise EscapeError(text[i: i + 2], i)
        out.append(ch)
        i += 1
    return "".join(out)
