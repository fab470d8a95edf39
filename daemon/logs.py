"""JSON logs, one object a line, that never print a secret or a token.

A secret can reach a log line in more spellings than its own: ``json.dumps`` writes ``é`` as ``\\u00e9``,
``"`` as ``\\"`` and ``\\`` as ``\\\\``; a traceback shows ``repr()`` of a value; a form body shows it
URL-encoded. The redactor removes every one of these spellings from the finished line. Everything
that can print a traceback (uvicorn's error logger, ``sys.excepthook``, ``threading.excepthook``,
asyncio's default exception handler, ``warnings``) is routed through the root logger, so through the
JSON formatter and the redactor; none writes to stderr on its own.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from datetime import datetime, timezone
from types import TracebackType
from urllib.parse import quote, quote_plus

TOKEN_RE = re.compile(r"(00D\w{12,15}![\w.\-]+|whsec_[A-Za-z0-9+/=]+|Bearer\s+[^\s\"'\\]+|5Aep[\w.\-]+)")
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
REDACTED = "[redacted]"


def spellings(secret: str) -> set[str]:
    """The ways ``secret`` can be written into a JSON log line (raw, JSON-escaped, repr, URL-encoded...)."""
    forms = {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1],
             repr(secret)[1:-1], quote(secret, safe=""), quote_plus(secret)}
    # what json.dumps makes of each of those when it writes the line (a repr inside a message, ...)
    forms |= {json.dumps(form)[1:-1] for form in list(forms)}
    forms |= {json.dumps(form, ensure_ascii=False)[1:-1] for form in list(forms)}
    return {form for form in forms if len(form) >= 4}


class Redactor:
    def __init__(self, secrets: list[str] | None = None) -> None:
        self.secrets = [s for s in (secrets or []) if s and len(s) >= 4]

    @property
    def secrets(self) -> list[str]:
        return self._secrets

    @secrets.setter
    def secrets(self, value: list[str]) -> None:
        self._secrets = [s for s in value if s and len(s) >= 4]
        # longest first, so that a spelling which contains another is replaced whole
        self._forms = sorted({form for s in self._secrets for form in spellings(s)}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for form in self._forms:
            if form in text:
                text = text.replace(form, REDACTED)
        return TOKEN_RE.sub(REDACTED, text)


class JsonFormatter(logging.Formatter):
    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        try:
            out = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                   "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
            for key, value in vars(record).items():
                if key not in _STANDARD and not key.startswith("_"):
                    out[key] = value
            if record.exc_info:
                out["exception"] = self.formatException(record.exc_info)
            if record.stack_info:
                out["stack"] = self.formatStack(record.stack_info)
            line = json.dumps(out, default=str)
        except Exception as exc:  # a record that cannot be formatted is still one redacted JSON line
            line = json.dumps({"level": "error", "logger": "syncd.logs", "message": "a log record could not be "
                               f"formatted: {type(exc).__name__}", "original": str(record.msg)[:500]}, default=str)
        return self.redact(line)


def _excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value, tb)
        return
    logging.getLogger("syncd").critical("uncaught exception", exc_info=(kind, value, tb))


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    logging.getLogger("syncd").error("uncaught exception in a thread", exc_info=(
        args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback),
        extra={"thread_name": getattr(args.thread, "name", None)})


def setup(level: str, secrets: list[str]) -> Redactor:
    redactor = Redactor(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(redactor))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # uvicorn's own loggers print to stderr with their own handlers: send them to the root instead
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "asyncio", "py.warnings"):
        named = logging.getLogger(name)
        named.handlers[:] = []
        named.propagate = True
    logging.captureWarnings(True)
    logging.raiseExceptions = False  # a failing handler must not print the record raw to stderr
    sys.excepthook = _excepthook
    threading.excepthook = _thread_excepthook
    return redactor
