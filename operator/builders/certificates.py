"""Certificates of the managed CockroachDB in secure mode, and the Secrets that hold them.

CockroachDB in secure mode wants a CA, a node certificate (common name `node`, valid for
every name a node is reached by, used both as server and as client between nodes) and a
client certificate per SQL user (common name = user name). The operator creates them once,
when their Secrets are absent, and never rotates them by itself: a Secret edited or
replaced by hand (cert-manager, say) is used as it is.

Generating keys is random and slow-ish, so it is kept apart from the pure part:
`issue_*` functions make key material, `tls_secret` turns key material into a Secret
manifest, and `missing_secrets` decides what to make from what already exists.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from archivestream.operator.builders import labels, naming
from archivestream.operator.models import ArchiveCluster

CA_YEARS = 10
LEAF_YEARS = 5
# The SQL users that get a client certificate: root for the init Job, the application
# user for every archivestream workload.
ROOT_USER = "root"
APP_USER = "archivestream"


@dataclass(frozen=True)
class KeyPair:
    """A PEM certificate and its PEM (PKCS#8) private key."""

    certificate: str
    key: str

    @property
    def x509(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.certificate.encode())


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem_key(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ArchiveStream"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def issue_ca(common_name: str) -> KeyPair:
    """A new self-signed CA."""
    key = _new_key()
    now = _now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    return KeyPair(certificate.public_bytes(serialization.Encoding.PEM).decode(), _pem_key(key))


def issue_leaf(
    ca: KeyPair, common_name: str, *, hosts: Sequence[str] = (), server: bool = False
) -> KeyPair:
    """A certificate signed by `ca`: always a client certificate, a server one too if asked."""
    # Any key type `cryptography` signs with SHA-256 will do: a CA brought by hand (from
    # cert-manager, say) may be ECDSA.
    ca_key: Any = serialization.load_pem_private_key(ca.key.encode(), password=None)
    key = _new_key()
    now = _now()
    usages = [ExtendedKeyUsageOID.CLIENT_AUTH]
    if server:
        usages.insert(0, ExtendedKeyUsageOID.SERVER_AUTH)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca.x509.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=365 * LEAF_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
    )
    if hosts:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([_general_name(host) for host in hosts]), False
        )
    certificate = builder.sign(ca_key, hashes.SHA256())
    return KeyPair(certificate.public_bytes(serialization.Encoding.PEM).decode(), _pem_key(key))


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def node_hosts(cluster: str, namespace: str, domain: str) -> list[str]:
    """Every name a CockroachDB node is reached by: its pod, both Services, localhost."""
    headless = naming.cockroachdb(cluster)
    public = naming.cockroachdb_public(cluster)
    hosts = ["localhost", "127.0.0.1"]
    for service in (public, headless):
        hosts += [
            service,
            f"{service}.{namespace}",
            f"{service}.{namespace}.svc",
            f"{service}.{namespace}.svc.{domain}",
        ]
    hosts += [
        f"*.{headless}",
        f"*.{headless}.{namespace}",
        f"*.{headless}.{namespace}.svc",
        f"*.{headless}.{namespace}.svc.{domain}",
    ]
    return hosts


# --- Secrets ---------------------------------------------------------------------------


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def tls_secret(
    name: str, namespace: str, pair: KeyPair, ca_certificate: str, cluster: str
) -> dict[str, Any]:
    """A kubernetes.io/tls Secret: tls.crt, tls.key and ca.crt, as cert-manager writes it."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/tls",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": labels.labels(cluster, "database-certificates", app="cockroachdb"),
        },
        "data": {
            "tls.crt": _b64(pair.certificate),
            "tls.key": _b64(pair.key),
            "ca.crt": _b64(ca_certificate),
        },
    }


def read_pair(data: Mapping[str, str]) -> KeyPair:
    """Key material back from a Secret's base64 `data`."""
    return KeyPair(
        base64.b64decode(data["tls.crt"]).decode(), base64.b64decode(data["tls.key"]).decode()
    )


def secret_names(cluster: ArchiveCluster) -> list[str]:
    """The certificate Secrets a managed database needs (none for an external one)."""
    if cluster.spec.database.managed is None:
        return []
    name = cluster.name
    return [
        naming.cockroachdb_ca(name),
        naming.cockroachdb_node_certs(name),
        naming.cockroachdb_client_certs(name, ROOT_USER),
        naming.cockroachdb_client_certs(name, APP_USER),
    ]


def missing_secrets(
    cluster: ArchiveCluster, existing: Mapping[str, Mapping[str, str] | None]
) -> list[dict[str, Any]]:
    """Secret manifests to write so that every certificate Secret exists.

    `existing` maps Secret names to their `data` (None or absent: no such Secret). With
    the CA present only the absent leaves are issued, from that CA. Without it a new CA
    is made and every leaf is issued again, since the old ones would no longer verify:
    the answer then names Secrets that exist, to be replaced.
    """
    names = secret_names(cluster)
    if not names:
        return []
    ca_name, node_name, root_name, app_name = names
    name, namespace = cluster.name, cluster.namespace

    ca_data = existing.get(ca_name)
    written = []
    if ca_data and "tls.crt" in ca_data and "tls.key" in ca_data:
        ca = read_pair(ca_data)
        wanted = [leaf for leaf in (node_name, root_name, app_name) if not existing.get(leaf)]
    else:
        # A common name holds 64 characters at most: the Secret's name fits.
        ca = issue_ca(ca_name)
        written.append(tls_secret(ca_name, namespace, ca, ca.certificate, name))
        wanted = [node_name, root_name, app_name]

    for secret_name in wanted:
        if secret_name == node_name:
            hosts = node_hosts(name, namespace, cluster.spec.cluster_domain)
            pair = issue_leaf(ca, "node", hosts=hosts, server=True)
        elif secret_name == root_name:
            pair = issue_leaf(ca, ROOT_USER)
        else:
            pair = issue_leaf(ca, APP_USER)
        written.append(tls_secret(secret_name, namespace, pair, ca.certificate, name))
    return written
