"""Running the real Salesforce CLI (``sf``) against a fakeforce: a private HOME, fakeforce's CA, JSON out.

Why a private HOME: ``sf`` keeps its auth files and config under ``~/.sf`` and ``~/.sfdx``; a per-module
folder keeps the tests from reading or clobbering a developer's real orgs. ``NODE_EXTRA_CA_CERTS`` is how
Node trusts fakeforce's local CA. Telemetry, update and version checks are switched off: they would reach
the internet on every command and add seconds.
"""

from __future__ import annotations

import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

COMMAND_TIMEOUT = 120


@dataclass
class SfCli:
    bin_dir: Path
    home: Path
    ca_bundle: str
    alias: str = "ff"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SF_", "SFDX_"))}
        env.update({
            "PATH": f"{self.bin_dir}{os.pathsep}{env.get('PATH', '')}",
            "HOME": str(self.home),
            "NODE_EXTRA_CA_CERTS": self.ca_bundle,
            "SF_DISABLE_TELEMETRY": "true",
            "SF_AUTOUPDATE_DISABLE": "true",
            "SF_SKIP_NEW_VERSION_CHECK": "true",
            "SF_USE_GENERIC_UNIX_KEYCHAIN": "true",
            "NODE_COMPILE_CACHE": str(self.bin_dir.parent.parent / ".compile-cache"),  # faster start, Node 22
            "NO_COLOR": "1",
            "FORCE_COLOR": "0",
            **extra,
        })
        return env

    def raw(self, *args: str, cwd: Path | None = None, **extra_env: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.bin_dir / "sf"), *args], env=self.env(**extra_env), cwd=cwd or self.home,
                              capture_output=True, text=True, timeout=COMMAND_TIMEOUT)

    def json(self, *args: str, org: bool = True, cwd: Path | None = None, **extra_env: str) -> Any:
        """``sf <args> --json [-o alias]``: the ``result``, after checking status 0 (else the whole output)."""
        full = [*args, "--json", *(("--target-org", self.alias) if org else ())]
        proc = self.raw(*full, cwd=cwd, **extra_env)
        try:
            body = json.loads(proc.stdout)
        except json.JSONDecodeError:
            raise AssertionError(f"sf {' '.join(args)}: not JSON (exit {proc.returncode})\n"
                                 f"stdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr[-2000:]}") from None
        assert proc.returncode == 0 and body.get("status") == 0, f"sf {' '.join(args)} failed: {proc.stdout[-3000:]}"
        return body["result"]

    def json_many(self, *commands: tuple[str, ...]) -> list[Any]:
        """Independent read-only commands at once: each ``sf`` start costs ~1.5 s of CPU, mostly loading."""
        with ThreadPoolExecutor(max_workers=len(commands)) as pool:
            return list(pool.map(lambda args: self.json(*args), commands))

    def text(self, *args: str) -> str:
        """Human (table) output; checked for exit 0."""
        proc = self.raw(*args, "--target-org", self.alias)
        assert proc.returncode == 0, f"sf {' '.join(args)} exited {proc.returncode}: {proc.stdout}{proc.stderr}"
        return proc.stdout
