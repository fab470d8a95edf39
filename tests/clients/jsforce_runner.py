"""Running a jsforce script against a fakeforce: environment in, one JSON object (its last line) out."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from fakeforce.pytest_plugin import CONTROL_TOKEN, FakeforceHandle

JS_DIR = Path(__file__).parent / "js"
NODE = shutil.which("node")
EXT_FIELD = "Fakeforce_Key__c"


def missing() -> str | None:
    """Why the jsforce tests cannot run here, or None."""
    if NODE is None:
        return "node is not installed; the jsforce client tests need Node.js"
    if not (JS_DIR / "node_modules" / "jsforce" / "package.json").is_file():
        return f"jsforce is not installed; run `npm ci` in {JS_DIR}"
    return None


def run_node(ff: FakeforceHandle, script: str, scenario: str, timeout: float, **extra_env: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JSFORCE_", "SF_", "SFDX_"))}
    env.update({
        "FAKEFORCE_URL": ff.url,
        "FAKEFORCE_USERNAME": ff.username,
        "FAKEFORCE_PASSWORD": ff.password,
        "FAKEFORCE_CLIENT_ID": ff.client_id,
        "FAKEFORCE_CLIENT_SECRET": ff.client_secret,
        "FAKEFORCE_CONTROL_TOKEN": CONTROL_TOKEN,
        "FAKEFORCE_EXT_FIELD": EXT_FIELD,
        **extra_env,
    })
    proc = subprocess.run([NODE, str(JS_DIR / script), scenario], cwd=JS_DIR, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, f"node exited {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}"
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert lines, f"no output from node\nstderr: {proc.stderr}"
    return json.loads(lines[-1])
