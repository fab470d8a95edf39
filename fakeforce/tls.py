"""A local certificate authority (trustme) and a server certificate for 127.0.0.1/localhost.

simple-salesforce always speaks https, so this is what lets it connect: point ``REQUESTS_CA_BUNDLE``
(or ``session.verify``) at the CA bundle that :func:`make_certificates` writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass
class Certificates:
    ca_bundle: Path
    cert_chain: Path
    private_key: Path


def make_certificates(folder: str | Path, hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")) -> Certificates:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="fakeforce local CA")
    cert = ca.issue_cert(*hosts)
    out = Certificates(folder / "fakeforce-ca.pem", folder / "fakeforce-cert.pem", folder / "fakeforce-key.pem")
    ca.cert_pem.write_to_path(str(out.ca_bundle))
    cert.private_key_pem.write_to_path(str(out.private_key))
    for i, blob in enumerate(cert.cert_chain_pems):
        blob.write_to_path(str(out.cert_chain), append=i > 0)
    out.private_key.chmod(0o600)
    return out
