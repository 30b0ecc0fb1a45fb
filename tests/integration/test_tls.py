"""rcid over TLS with ALPN h2: a self-signed certificate made with openssl,
python3-grpcio over a secure channel, ALPN checked with Python's ssl and
`openssl s_client`, clients that misbehave at the TLS layer, `rcictl --tls`.
(Issue 2 "gRPC server": TLS with ALPN h2, --tls-cert / --tls-key.)"""

import os
import shutil
import socket
import subprocess
import tempfile
import unittest

import grpc

import harness
from harness import health_pb2, registry_pb2


def make_cert(d):
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", key, "-out", cert, "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    os.chmod(key, 0o600)
    with open(cert, "rb") as f:
        return cert, key, f.read()


class TlsTest(harness.RcidTestCase):

    @classmethod
    def setUpClass(cls):
        cls.certdir = tempfile.mkdtemp(prefix="rci-tls-", dir="/tmp")
        cls.addClassCleanup(shutil.rmtree, cls.certdir, True)
        cls.cert, cls.key, cls.tls_ca = make_cert(cls.certdir)
        cls.rcid_args = ("--tls-cert", cls.cert, "--tls-key", cls.key)
        super().setUpClass()

    def test_secure_channel(self):
        self.assertEqual(self.rcid.check(""), harness.SERVING)
        rs = self.rcid.list_regions(kind=registry_pb2.REGION_KIND_CITY).regions
        self.assertIn("440300", [r.code for r in rs])

    def test_secure_channel_by_host_name(self):
        ch = self.rcid.channel(target=f"localhost:{self.rcid.port}")
        self.assertEqual(self.rcid.check("", ch=ch), harness.SERVING)

    def test_alpn_h2_python_ssl(self):
        ctx = harness.tls_client_context(self.tls_ca, alpn=("h2",))
        with socket.create_connection(("127.0.0.1", self.rcid.port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                self.assertEqual(s.selected_alpn_protocol(), "h2")
                self.assertGreaterEqual(s.version(), "TLSv1.2")

    def test_alpn_h2_openssl_s_client(self):
        p = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{self.rcid.port}",
                            "-alpn", "h2", "-servername", "localhost", "-CAfile", self.cert,
                            "-verify_return_error"],
                           input=b"", capture_output=True, timeout=20)
        # The server's first HTTP/2 frames are printed too: binary.
        out = (p.stdout + p.stderr).decode("utf-8", "replace")
        self.assertRegex(out, r"ALPN protocol: h2", out)

    def test_alpn_preference_order(self):
        # A client offering http/1.1 first still gets h2.
        ctx = harness.tls_client_context(self.tls_ca, alpn=("http/1.1", "h2"))
        with socket.create_connection(("127.0.0.1", self.rcid.port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                self.assertEqual(s.selected_alpn_protocol(), "h2")

    @harness.need_h2
    def test_raw_h2_over_tls(self):
        ctx = harness.tls_client_context(self.tls_ca)
        with harness.H2Client(self.rcid.port, ssl_context=ctx, server_hostname="localhost") as c:
            st = c.call("/grpc.health.v1.Health/Check", harness.frame(b""),
                        scheme=b"https")
            self.assertEqual(st.http_status, 200, repr(st))
            self.assertEqual(st.grpc_status, 0, repr(st))
            [(_, body)] = st.messages()
            self.assertEqual(health_pb2.HealthCheckResponse.FromString(body).status, harness.SERVING)

    def test_plaintext_client_is_refused_and_server_goes_on(self):
        ch = grpc.insecure_channel(self.rcid.target, options=harness.BASE_CHANNEL_OPTIONS)
        try:
            with self.assertRaises(grpc.RpcError) as cm:
                harness.health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(),
                                                             timeout=3)
            self.assertIn(cm.exception.code(), (grpc.StatusCode.UNAVAILABLE,
                                                grpc.StatusCode.DEADLINE_EXCEEDED))
        finally:
            ch.close()
        self.assertServerHealthy()

    def test_untrusted_certificate_is_rejected_by_client(self):
        other = tempfile.mkdtemp(prefix="rci-tls2-", dir="/tmp")
        self.addCleanup(shutil.rmtree, other, True)
        _, _, wrong_ca = make_cert(other)
        creds = grpc.ssl_channel_credentials(root_certificates=wrong_ca)
        ch = grpc.secure_channel(self.rcid.target, creds, options=harness.BASE_CHANNEL_OPTIONS)
        try:
            with self.assertRaises(grpc.RpcError) as cm:
                harness.health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(),
                                                             timeout=3)
            self.assertEqual(cm.exception.code(), grpc.StatusCode.UNAVAILABLE)
        finally:
            ch.close()

    def test_abrupt_disconnects_do_not_hurt(self):
        # Peers that vanish mid-handshake or without close_notify (OpenSSL 3
        # reports unexpected EOF as an error: grpc-wire.md §7).
        ctx = harness.tls_client_context(self.tls_ca)
        for i in range(20):
            raw = socket.create_connection(("127.0.0.1", self.rcid.port), timeout=10)
            if i % 2 == 0:
                raw.sendall(b"\x16\x03\x01\x00\x10garbage")   # a broken ClientHello
                raw.close()
                continue
            s = ctx.wrap_socket(raw, server_hostname="localhost")
            s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
            s.close()   # Python sends no close_notify
        self.assertServerHealthy()

    def test_rcictl_tls(self):
        p = self.rcid.rcictl("health")   # adds --tls --ca cert.pem
        self.assertEqual(p.returncode, 0, f"exit {p.returncode}\n{p.stdout}\n{p.stderr}")
        self.assertIn("SERVING", p.stdout)
        p = self.rcid.rcictl("ls")
        self.assertEqual(p.returncode, 0, f"exit {p.returncode}\n{p.stdout}\n{p.stderr}")
        self.assertIn("rci.v1.RegistryService", p.stdout)

    def test_rcictl_tls_by_host_name(self):
        p = harness.run_rcictl([harness.RCICTL, "--server", f"localhost:{self.rcid.port}", "--tls",
                                "--ca", self.cert, "health"])
        self.assertEqual(p.returncode, 0, f"exit {p.returncode}\n{p.stdout}\n{p.stderr}")
        self.assertIn("SERVING", p.stdout)

    def test_rcictl_tls_untrusted_fails(self):
        p = harness.run_rcictl([harness.RCICTL, "--server", self.rcid.target, "--tls", "health"])
        self.assertNotEqual(p.returncode, 0,
                            f"rcictl trusted a self-signed certificate without --ca:\n{p.stdout}")


if __name__ == "__main__":
    unittest.main()
