# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Test helpers for TLS and proxies: a throw-away PKI and a recording forward proxy, both local.

The proxy is written here on the standard library because none of the pinned test dependencies
ships a forward proxy, and the few pure-Python ones on PyPI are not kept up; CONNECT tunnelling and
absolute-URI forwarding of small request bodies take about sixty lines.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import http.client
import http.server
import ipaddress
import os
import select
import socket
import threading
import typing as t
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LOOPBACK = '127.0.0.1'
# Headers that concern one hop only (RFC 9110 section 7.6.1): a forwarding proxy does not pass them on.
_HOP_BY_HOP = frozenset({'connection', 'keep-alive', 'proxy-authorization', 'proxy-connection', 'te', 'trailer',
                         'transfer-encoding', 'upgrade'})


@dataclasses.dataclass(frozen=True)
class Pki:
    """PEM files: `ca` signed `cert` (key `key`, for IP 127.0.0.1 and DNS localhost); `other_ca` signed nothing here."""

    ca: str
    cert: str
    key: str
    other_ca: str


def make_pki(directory: str) -> Pki:
    """Write a fresh CA, a server certificate it signed, and an unrelated second CA into `directory`."""
    ca_cert, ca_key = _authority('cicd.pipelines test CA')
    other_cert, _other_key = _authority('cicd.pipelines unrelated CA')
    key = ec.generate_private_key(ec.SECP256R1())
    names = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(LOOPBACK)), x509.DNSName('localhost')])
    cert = (_builder('cicd.pipelines simulator', ca_cert.subject, key)
            .add_extension(names, critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pki = Pki(*(os.path.join(directory, n) for n in ('ca.pem', 'server.pem', 'server.key', 'other-ca.pem')))
    for path, data in ((pki.ca, _pem(ca_cert)), (pki.cert, _pem(cert)), (pki.other_ca, _pem(other_cert)),
                       (pki.key, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()))):
        with open(path, 'wb') as handle:
            handle.write(data)
    return pki


def _authority(name: str) -> t.Tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    usage = x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False, key_agreement=False, encipher_only=False,
                          decipher_only=False)
    cert = (_builder(name, x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]), key)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return cert, key


def _builder(subject: str, issuer: x509.Name, key: ec.EllipticCurvePrivateKey) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(issuer).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1)))


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


class ForwardProxy(http.server.ThreadingHTTPServer):
    """An HTTP forward proxy on 127.0.0.1 that records what passed through it.

    CONNECT host:port opens a tunnel (`seen` gets ('CONNECT', 'host:port')); any other method must carry an
    absolute URI and is forwarded (`seen` gets (METHOD, URI)). Only loopback targets are served. With
    `credentials` ('user', 'secret') set, a request without that Proxy-Authorization is refused with 407.
    """

    daemon_threads = True

    def __init__(self, credentials: t.Optional[t.Tuple[str, str]] = None) -> None:
        super().__init__((LOOPBACK, 0), _ProxyHandler)
        self.credentials = credentials
        self.seen: t.List[t.Tuple[str, str]] = []
        self.lock = threading.Lock()
        self._thread: t.Optional[threading.Thread] = None

    @property
    def url(self) -> str:
        return 'http://%s:%d' % (LOOPBACK, self.server_address[1])

    def start(self) -> 'ForwardProxy':
        self._thread = threading.Thread(target=self.serve_forever, kwargs={'poll_interval': 0.1}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the port (also for a proxy that was never started)."""
        if self._thread is not None:
            self.shutdown()  # waits for serve_forever, so only once it runs
            self._thread.join(5)
            self._thread = None
        self.server_close()


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.0'  # one request (or one tunnel) per connection keeps forwarding simple
    server: ForwardProxy

    def log_message(self, format: str, *args: t.Any) -> None:  # noqa: A002 - no access log
        pass

    def _admitted(self, method: str, target: str) -> bool:
        with self.server.lock:
            self.server.seen.append((method, target))
        wanted = self.server.credentials
        if wanted and self.headers.get('Proxy-Authorization') != 'Basic ' + base64.b64encode(
                ('%s:%s' % wanted).encode()).decode():
            self.send_response(407)
            self.send_header('Proxy-Authenticate', 'Basic realm="test proxy"')
            self.send_header('Content-Length', '0')
            self.end_headers()
            return False
        return True

    def do_CONNECT(self) -> None:  # pylint: disable=invalid-name
        host, _sep, port = self.path.rpartition(':')
        if not self._admitted('CONNECT', self.path):
            return
        if host not in (LOOPBACK, 'localhost'):
            self.send_error(403, 'loopback targets only')
            return
        upstream = socket.create_connection((LOOPBACK, int(port)), timeout=30)
        self.send_response(200, 'Connection Established')
        self.end_headers()
        ends = [self.connection, upstream]
        try:
            while True:
                readable, _w, _x = select.select(ends, [], [], 30)
                if not readable:
                    return
                for end in readable:
                    data = end.recv(65536)
                    if not data:
                        return
                    (upstream if end is self.connection else self.connection).sendall(data)
        except OSError:  # either end hung up abruptly (a client that rejects the certificate): the tunnel is over
            return
        finally:
            upstream.close()

    def do_GET(self) -> None:  # pylint: disable=invalid-name
        if not self._admitted(self.command, self.path):
            return
        target = urllib.parse.urlsplit(self.path)
        if target.scheme != 'http' or target.hostname not in (LOOPBACK, 'localhost'):
            self.send_error(403, 'absolute http:// URIs of loopback targets only')
            return
        body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        upstream = http.client.HTTPConnection(LOOPBACK, target.port or 80, timeout=30)
        try:
            path = target.path + ('?' + target.query if target.query else '')
            upstream.request(self.command, path, body=body or None, headers=headers)
            answer = upstream.getresponse()
            payload = answer.read()
        finally:
            upstream.close()
        self.send_response(answer.status, answer.reason)
        for name, value in answer.getheaders():
            if name.lower() not in _HOP_BY_HOP | {'content-length', 'date', 'server'}:  # send_response wrote these
                self.send_header(name, value)
        self.send_header('Content-Length', str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET
