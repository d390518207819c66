"""Certificates of the managed CockroachDB: issued from one CA, valid for the names nodes
are reached by, and good for a real mutual-TLS handshake on loopback."""

from __future__ import annotations

import asyncio
import base64
import functools
import ssl
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from design_examples import EXTERNAL_CLUSTER, archive

from archivestream.operator.builders import certificates


@functools.cache
def _issued() -> tuple[dict[str, Any], ...]:
    return tuple(certificates.missing_secrets(archive(), existing={}))


def _by_name() -> dict[str, dict[str, str]]:
    return {secret["metadata"]["name"]: secret["data"] for secret in _issued()}


def _certificate(data: dict[str, str], key: str = "tls.crt") -> x509.Certificate:
    return x509.load_pem_x509_certificate(base64.b64decode(data[key]))


def _common_name(certificate: x509.Certificate) -> str:
    return str(certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)


def test_four_tls_secrets_are_issued_when_none_exist() -> None:
    assert [secret["metadata"]["name"] for secret in _issued()] == [
        "main-cockroachdb-ca",
        "main-cockroachdb-node",
        "main-cockroachdb-client-root",
        "main-cockroachdb-client-archivestream",
    ]
    for secret in _issued():
        assert secret["type"] == "kubernetes.io/tls"
        assert set(secret["data"]) == {"tls.crt", "tls.key", "ca.crt"}


def test_leaves_are_signed_by_the_ca_with_the_names_cockroach_wants() -> None:
    secrets = _by_name()
    ca = _certificate(secrets["main-cockroachdb-ca"])
    expected = {
        "main-cockroachdb-node": "node",
        "main-cockroachdb-client-root": "root",
        "main-cockroachdb-client-archivestream": "archivestream",
    }
    for name, common_name in expected.items():
        leaf = _certificate(secrets[name])
        leaf.verify_directly_issued_by(ca)
        assert _common_name(leaf) == common_name
        assert _certificate(secrets[name], "ca.crt") == ca
        usages = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert ExtendedKeyUsageOID.CLIENT_AUTH in usages
        assert (ExtendedKeyUsageOID.SERVER_AUTH in usages) == (common_name == "node")


def test_node_certificate_names_every_address_of_a_node() -> None:
    node = _certificate(_by_name()["main-cockroachdb-node"])
    names = node.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    dns = set(names.get_values_for_type(x509.DNSName))
    assert "main-cockroachdb-public.archive.svc.cluster.local" in dns
    assert "*.main-cockroachdb.archive.svc.cluster.local" in dns
    assert "localhost" in dns
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]


def test_existing_ca_is_kept_and_only_absent_leaves_are_issued() -> None:
    secrets = _by_name()
    existing = {
        "main-cockroachdb-ca": secrets["main-cockroachdb-ca"],
        "main-cockroachdb-node": secrets["main-cockroachdb-node"],
        "main-cockroachdb-client-root": None,
    }
    issued = certificates.missing_secrets(archive(), existing)

    assert [s["metadata"]["name"] for s in issued] == [
        "main-cockroachdb-client-root",
        "main-cockroachdb-client-archivestream",
    ]
    ca = _certificate(secrets["main-cockroachdb-ca"])
    for secret in issued:
        _certificate(secret["data"]).verify_directly_issued_by(ca)


def test_nothing_is_issued_when_all_exist() -> None:
    assert certificates.missing_secrets(archive(), _by_name()) == []


def test_without_the_ca_every_certificate_is_issued_again() -> None:
    existing = {name: data for name, data in _by_name().items() if not name.endswith("-ca")}
    issued = certificates.missing_secrets(archive(), existing)
    assert len(issued) == 4
    assert issued[0]["data"]["tls.crt"] != _by_name()["main-cockroachdb-ca"]["tls.crt"]


def test_an_external_database_needs_no_certificates() -> None:
    assert certificates.missing_secrets(archive(EXTERNAL_CLUSTER), existing={}) == []


def _write(folder: Path, data: dict[str, str]) -> tuple[Path, Path, Path]:
    paths = []
    for key in ("tls.crt", "tls.key", "ca.crt"):
        path = folder / key
        path.write_bytes(base64.b64decode(data[key]))
        paths.append(path)
    return paths[0], paths[1], paths[2]


async def test_node_and_client_certificates_complete_a_mutual_tls_handshake(
    tmp_path: Path,
) -> None:
    """As a node and a SQL client would: each verifies the other against the CA."""
    secrets = _by_name()
    client = "main-cockroachdb-client-archivestream"
    (tmp_path / "node").mkdir()
    (tmp_path / "client").mkdir()
    node_cert, node_key, ca = _write(tmp_path / "node", secrets["main-cockroachdb-node"])
    client_cert, client_key, _ = _write(tmp_path / "client", secrets[client])

    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(ca))
    server_context.load_cert_chain(node_cert, node_key)
    server_context.verify_mode = ssl.CERT_REQUIRED
    seen: list[str] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peercert")
        seen.append(dict(item[0] for item in peer["subject"])["commonName"])
        writer.write(b"ok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=server_context)
    port = server.sockets[0].getsockname()[1]
    try:
        client_context = ssl.create_default_context(cafile=str(ca))
        client_context.load_cert_chain(client_cert, client_key)
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=client_context, server_hostname="localhost"
        )
        assert await reader.read() == b"ok"
        writer.close()
    finally:
        server.close()
        await server.wait_closed()
    assert seen == ["archivestream"]
