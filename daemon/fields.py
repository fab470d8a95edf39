"""Field types shared by the event schemas: identifiers and emails that hold exactly what they say.

An id with a trailing newline or a control character would pass a plain ``str`` and then name a
different record (or break a log line, a SOQL literal or a URL) further on; these types refuse it at
ingest, where the sender can still say no. Patterns are anchored by pydantic's regex engine, in which
``$`` is the end of the text (never "before a final newline" as in Python's ``re``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

Identifier = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f\x7f]+$")]
"""A non-empty id of at most 255 characters with no control character (no newline, tab or NUL)."""

Email = Annotated[str, StringConstraints(max_length=255, pattern=r"^(?:[^\s@]+@[^\s@]+\.[^\s@]+)?$")]
"""An email address (local@domain.tld, no whitespace) or "" for none."""

Name = Annotated[str, StringConstraints(max_length=255)]
