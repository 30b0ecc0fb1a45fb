"""Every error status issue 2 lists, and the wire rules behind them, against a
running rcid: first through python3-grpcio (what users see), then through a
raw HTTP/2 client (python3-h2) for what stock clients never send.
(Issue 2 "gRPC server"; grpc-wire.md §1-§4, §6.)"""

import gzip
import struct
import unittest

import grpc

import harness
from harness import frame, health_pb2, need_h2, registry_pb2

MiB = 1024 * 1024
LIMIT = 4 * MiB   # default --max-message-bytes

LIST_REGIONS = "/rci.v1.RegistryService/ListRegions"
CHECK = "/grpc.health.v1.Health/Check"
CITY_REQ = registry_pb2.ListRegionsRequest(kind=registry_pb2.REGION_KIND_CITY).SerializeToString()

# The interop suite's special_status_message (grpc-wire.md §3).
SPECIAL = "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n"


def raw(channel, path):
    """A unary callable sending and receiving bytes as they are."""
    return channel.unary_unary(path, request_serializer=None, response_deserializer=None)


class GrpcioErrorsTest(harness.RcidTestCase):
    """Error statuses as a stock client sees them."""

    def tearDown(self):
        self.assertTrue(self.rcid.alive(), "rcid died\n" + self.rcid.log_tail())

    def test_unknown_service(self):
        ch = self.rcid.channel()
        for path in ("/rci.v1.NoSuchService/ListRegions", "/no.such.Service/Method",
                     "/grpc.health.v2.Health/Check"):
            with self.subTest(path=path):
                self.assertRpcError(lambda: raw(ch, path)(b"", timeout=5),
                                    grpc.StatusCode.UNIMPLEMENTED)

    def test_unknown_method(self):
        ch = self.rcid.channel()
        for path in ("/rci.v1.RegistryService/NoSuchMethod", "/rci.v1.RegistryService/listRegions",
                     "/grpc.health.v1.Health/List"):
            with self.subTest(path=path):
                self.assertRpcError(lambda: raw(ch, path)(b"", timeout=5),
                                    grpc.StatusCode.UNIMPLEMENTED)

    def test_message_over_limit(self):
        ch = self.rcid.channel(options=[("grpc.max_send_message_length", -1)])
        req = registry_pb2.ListRegionsRequest(circle="x" * (LIMIT + 1))
        self.assertGreater(req.ByteSize(), LIMIT)
        stub = self.rcid.registry(ch)
        self.assertRpcError(lambda: stub.ListRegions(req, timeout=20),
                            grpc.StatusCode.RESOURCE_EXHAUSTED)
        # Twice the limit as well, and the server goes on.
        req = registry_pb2.ListRegionsRequest(circle="x" * (2 * LIMIT))
        self.assertRpcError(lambda: stub.ListRegions(req, timeout=20),
                            grpc.StatusCode.RESOURCE_EXHAUSTED)
        self.assertServerHealthy()

    def test_message_at_limit_is_read(self):
        # Exactly --max-message-bytes is allowed: the call gets past framing
        # (4 MiB uploaded under HTTP/2 flow control) to validation.
        ch = self.rcid.channel(options=[("grpc.max_send_message_length", -1)])
        req = registry_pb2.ListRegionsRequest(circle="x" * (LIMIT - 5))
        self.assertEqual(req.ByteSize(), LIMIT)
        self.assertRpcError(lambda: self.rcid.registry(ch).ListRegions(req, timeout=20),
                            (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT))

    def test_decompressed_size_over_limit(self):
        # A small gzip message that inflates past the limit (zip bomb).
        ch = self.rcid.channel(options=[("grpc.max_send_message_length", -1)])
        req = registry_pb2.ListRegionsRequest(circle="a" * (LIMIT + 4096))
        self.assertRpcError(
            lambda: self.rcid.registry(ch).ListRegions(req, timeout=20,
                                                      compression=grpc.Compression.Gzip),
            grpc.StatusCode.RESOURCE_EXHAUSTED)
        self.assertServerHealthy()

    def test_unparsable_request(self):
        ch = self.rcid.channel()
        bad = {
            "unterminated varint": b"\x08\xff\xff\xff",
            "length past end": b"\x12\x05ab",
            "wire type 7": b"\x0f\x01",
            "field number 0": b"\x00\x01",
            "tag only": b"\x08",
        }
        for path in (LIST_REGIONS, CHECK):
            for name, body in bad.items():
                with self.subTest(path=path, case=name):
                    self.assertRpcError(lambda: raw(ch, path)(body, timeout=5),
                                        (grpc.StatusCode.INTERNAL,
                                         grpc.StatusCode.INVALID_ARGUMENT))
        self.assertServerHealthy()

    def test_invalid_utf8_string(self):
        # proto3 strings are UTF-8; a bad one must not reach PostgreSQL as is.
        ch = self.rcid.channel()
        body = b"\x12\x02\xff\xfe"
        self.assertRpcError(lambda: raw(ch, LIST_REGIONS)(body, timeout=5),
                            (grpc.StatusCode.INTERNAL, grpc.StatusCode.INVALID_ARGUMENT))
        self.assertServerHealthy()

    def test_nul_in_string(self):
        ch = self.rcid.channel()
        body = registry_pb2.ListRegionsRequest(circle="szdghz\x00x").SerializeToString()
        self.assertRpcError(lambda: raw(ch, LIST_REGIONS)(body, timeout=5),
                            (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND))
        self.assertServerHealthy()

    def test_unknown_fields_are_ignored(self):
        # Forward compatibility: fields from a newer client are skipped.
        ch = self.rcid.channel()
        body = CITY_REQ + b"\x78\x01" + b"\x82\x01\x03abc"   # field 15 varint, field 16 bytes
        resp = registry_pb2.ListRegionsResponse.FromString(raw(ch, LIST_REGIONS)(body, timeout=5))
        self.assertEqual(len(resp.regions), 15)

    def test_gzip_request(self):
        plain = self.rcid.list_regions(kind=registry_pb2.REGION_KIND_CITY)
        stub = self.rcid.registry()
        resp = stub.ListRegions(registry_pb2.ListRegionsRequest(kind=registry_pb2.REGION_KIND_CITY),
                                timeout=10, compression=grpc.Compression.Gzip)
        self.assertEqual(resp, plain)
        # Whole channel compressed, including Health.
        ch = self.rcid.channel(options=[("grpc.default_compression_algorithm", 2)])
        self.assertEqual(self.rcid.check("", ch=ch), harness.SERVING)
        self.assertEqual(self.rcid.registry(ch).ListRegions(
            registry_pb2.ListRegionsRequest(kind=registry_pb2.REGION_KIND_CITY), timeout=10), plain)

    def test_grpc_message_utf8_and_newlines(self):
        # Errors whose message may quote the client's input: the text must
        # arrive as valid UTF-8, not mojibake, whatever it contains.
        for text in (SPECIAL, "深莞惠 ☺", "100%"):
            with self.subTest(text=text):
                e = self.assertRpcError(lambda: self.rcid.check(text), grpc.StatusCode.NOT_FOUND)
                d = e.details()
                self.assertIsInstance(d, str)
                self.assertNotIn("Ã", d)
                self.assertNotIn("\ufffd", d)
                if text == SPECIAL and "Unicode BMP" in d:
                    # The message quotes the name: it must come back byte for byte.
                    self.assertIn(SPECIAL, d)
                e = self.assertRpcError(lambda: self.rcid.list_regions(circle=text),
                                        (grpc.StatusCode.NOT_FOUND,
                                         grpc.StatusCode.INVALID_ARGUMENT))
                d = e.details()
                self.assertNotIn("Ã", d)
                self.assertNotIn("\ufffd", d)

    def test_metadata(self):
        md = [("x-rci-test", "hello world"), ("x-rci-empty", ""),
              ("x-rci-trace-bin", b"\x00\x01\xfe\xff"), ("authorization", "Bearer abc")]
        resp, call = self.rcid.registry().ListRegions.with_call(
            registry_pb2.ListRegionsRequest(kind=registry_pb2.REGION_KIND_CIRCLE),
            metadata=md, timeout=10)
        self.assertEqual(len(resp.regions), 3)
        self.assertEqual(call.code(), grpc.StatusCode.OK)
        # Reserved names never leak into the metadata the application sees.
        for k, _ in call.trailing_metadata() or ():
            self.assertNotIn(k, ("grpc-status", "grpc-message"))

    def test_big_metadata_within_limit(self):
        md = [("x-rci-pad", "p" * 4000)]
        self.assertEqual(self.rcid.health().Check(health_pb2.HealthCheckRequest(), metadata=md,
                                                  timeout=5).status, harness.SERVING)


@need_h2
class RawHttp2Test(harness.RcidTestCase):
    """The wire as rcid writes it, and requests grpc libraries never make."""

    def tearDown(self):
        self.assertTrue(self.rcid.alive(), "rcid died\n" + self.rcid.log_tail())

    def client(self, **kw):
        c = harness.H2Client(self.rcid.port, **kw)
        self.addCleanup(c.close)
        return c

    def assertGrpcStatus(self, st, codes, what=""):
        """A well-formed gRPC answer (:status 200, application/grpc) whose
        grpc-status is in codes."""
        if isinstance(codes, int):
            codes = (codes,)
        if st.reset is not None:
            # Only RST_STREAM(NO_ERROR) after the status is fine: it frees a
            # stream the client is still uploading on (grpc-wire.md §3).
            kinds = [k for k, _ in st.events]
            self.assertEqual(st.reset, 0, f"{what}: stream reset instead of a status: {st!r}")
            self.assertIn("end", kinds, f"{what}: reset before the status: {st!r}")
            self.assertLess(kinds.index("end"), kinds.index("reset"), f"{what}: {st!r}")
        self.assertEqual(st.http_status, 200, f"{what}: {st!r}")
        self.assertTrue((st.header("content-type") or b"").startswith(b"application/grpc"),
                        f"{what}: {st!r}")
        self.assertIsNotNone(st.grpc_status, f"{what}: no grpc-status: {st!r}")
        self.assertIn(st.grpc_status, codes, f"{what}: {st!r} message={st.grpc_message!r}")
        return st

    def assertCleanError(self, st, what=""):
        """Any non-OK grpc-status, sent properly."""
        self.assertGrpcStatus(st, tuple(range(1, 17)), what)

    def assertStillWorks(self, c):
        st = c.call(CHECK, frame(b""))
        self.assertGrpcStatus(st, 0, "follow-up call on the same connection")

    # -- the shape of a good answer --

    def test_ok_response_shape(self):
        c = self.client()
        st = c.call(CHECK, frame(b""))
        self.assertGrpcStatus(st, 0)
        self.assertIsNotNone(st.trailers, "grpc-status must be in trailers after the data")
        self.assertIsNone(st.header("grpc-status"), "grpc-status in the initial headers of an OK call")
        kinds = [k for k, _ in st.events]
        self.assertEqual(kinds[0], "headers", kinds)
        self.assertEqual(kinds[-2:], ["trailers", "end"], kinds)
        self.assertTrue(set(kinds[1:-2]) <= {"data"}, kinds)
        msgs = st.messages()
        self.assertEqual(len(msgs), 1)
        self.assertEqual(msgs[0][0], 0)
        self.assertEqual(health_pb2.HealthCheckResponse.FromString(msgs[0][1]).status,
                         harness.SERVING)
        self.assertEqual(st.trailer("grpc-status"), b"0")   # decimal, no leading zeros

    def test_list_regions_raw(self):
        c = self.client()
        st = c.call(LIST_REGIONS, frame(CITY_REQ))
        self.assertGrpcStatus(st, 0)
        [(flag, body)] = st.messages()
        self.assertEqual(len(registry_pb2.ListRegionsResponse.FromString(body).regions), 15)

    def test_content_type_variants_accepted(self):
        c = self.client()
        for ct in (b"application/grpc", b"application/grpc+proto"):
            with self.subTest(content_type=ct):
                self.assertGrpcStatus(c.call(CHECK, frame(b""), content_type=ct), 0)

    def test_trailers_only_error_shape(self):
        c = self.client()
        st = c.call("/rci.v1.RegistryService/NoSuchMethod", frame(b""))
        self.assertGrpcStatus(st, 12)
        self.assertTrue(st.trailers_only, f"an immediate error should be trailers-only: {st!r}")
        self.assertEqual(st.data, b"")

    # -- request headers --

    def test_wrong_content_type_is_415(self):
        c = self.client()
        for ct in (b"application/json", b"text/plain"):
            with self.subTest(content_type=ct):
                st = c.call(CHECK, frame(b""), content_type=ct)
                self.assertIsNone(st.reset, repr(st))
                self.assertEqual(st.http_status, 415, repr(st))
        st = c.call(CHECK, frame(b""), content_type=None)
        self.assertIsNone(st.reset, repr(st))
        self.assertEqual(st.http_status, 415, f"missing content-type: {st!r}")
        self.assertStillWorks(c)

    def test_undecodable_grpc_subtype(self):
        c = self.client()
        st = c.call(CHECK, frame(b"{}"), content_type=b"application/grpc+json")
        self.assertGrpcStatus(st, (12, 13))

    def test_missing_te(self):
        # Either served (Java/Go) or refused with a status (C++): never a reset or a hang.
        c = self.client()
        st = c.call(CHECK, frame(b""), te=False)
        self.assertGrpcStatus(st, tuple(range(0, 17)), "missing te")
        self.assertStillWorks(c)

    def test_get_method_is_refused(self):
        c = self.client()
        st = c.call(CHECK, None, method=b"GET")
        self.assertIsNone(st.reset, repr(st))
        self.assertTrue(st.http_status != 200 or (st.grpc_status or 0) != 0, repr(st))
        self.assertStillWorks(c)

    def test_unknown_path_forms(self):
        c = self.client()
        for path in ("/", "/rci.v1.RegistryService", "/rci.v1.RegistryService/",
                     "//ListRegions", "/rci.v1.RegistryService/ListRegions/extra",
                     "/rci.v1.RegistryService/ListRegions?x=1"):
            with self.subTest(path=path):
                self.assertGrpcStatus(c.call(path, frame(b"")), 12, path)

    def test_request_headers_over_limit(self):
        c = self.client(validate=False)
        # One 20 KiB value, then many fields adding up to 24 KiB.
        for extra in ([(b"x-big", b"v" * 20000)],
                      [(f"x-pad-{i}".encode(), b"v" * 200) for i in range(120)]):
            with self.subTest(fields=len(extra)):
                st = c.call(CHECK, frame(b""), extra=extra)
                if st.http_status == 431:
                    pass    # an HTTP answer is clean too
                else:
                    self.assertCleanError(st, "headers over the limit")
        self.assertStillWorks(c)

    def test_padded_and_unpadded_bin_metadata(self):
        c = self.client()
        for v in (b"AAEC/w==", b"AAEC/w", b"AAEC/w==,AAE", b""):
            with self.subTest(value=v):
                self.assertGrpcStatus(c.call(CHECK, frame(b""), extra=[(b"x-trace-bin", v)]), 0)

    def test_grpc_timeout_forms(self):
        c = self.client()
        for v in (b"5S", b"5000m", b"5000000u", b"99999999H", b"1M", b"100000000n"):
            with self.subTest(timeout=v):
                self.assertGrpcStatus(c.call(LIST_REGIONS, frame(CITY_REQ),
                                             extra=[(b"grpc-timeout", v)]), 0)
        for v in (b"", b"abc", b"5", b"S", b"123456789S", b"-1S", b"5s"):
            with self.subTest(malformed=v):
                # Ignored (as C++ does) or refused: a status either way.
                self.assertGrpcStatus(c.call(CHECK, frame(b""), extra=[(b"grpc-timeout", v)]),
                                      tuple(range(0, 17)))

    # -- message framing --

    def test_message_split_across_frames(self):
        c = self.client()
        sid = c.start(LIST_REGIONS, end_stream=False)
        for b in frame(CITY_REQ):
            c.send_data(sid, bytes([b]))
        c.end(sid)
        st = c.wait(sid)
        self.assertGrpcStatus(st, 0)
        self.assertEqual(len(registry_pb2.ListRegionsResponse.FromString(st.messages()[0][1]).regions), 15)

    def test_end_stream_on_empty_data_frame(self):
        c = self.client()
        sid = c.start(CHECK, body=frame(b""), end_stream=False)
        c.send_data(sid, b"", end_stream=True)
        self.assertGrpcStatus(c.wait(sid), 0)

    def test_truncated_message(self):
        c = self.client()
        for name, body in (("body short", b"\x00\x00\x00\x00\x0a\x08\x03"),
                           ("prefix short", b"\x00\x00"),
                           ("one byte", b"\x00")):
            with self.subTest(case=name):
                self.assertGrpcStatus(c.call(LIST_REGIONS, body), 13, name)
        self.assertStillWorks(c)

    def test_zero_messages_to_unary(self):
        c = self.client()
        st = c.call(CHECK, None)      # END_STREAM on HEADERS
        self.assertCleanError(st, "no request message")

    def test_two_messages_to_unary(self):
        c = self.client()
        st = c.call(CHECK, frame(b"") + frame(b""))
        self.assertCleanError(st, "two request messages")
        st = c.call(LIST_REGIONS, frame(CITY_REQ) + frame(CITY_REQ))
        self.assertCleanError(st, "two request messages")
        self.assertStillWorks(c)

    def test_declared_length_over_limit_answered_at_once(self):
        # Only the 5-byte prefix is sent, announcing 5 MiB: the server must
        # answer RESOURCE_EXHAUSTED without waiting for the body, then free
        # the stream with RST_STREAM(NO_ERROR) (grpc-wire.md §2, §3).
        c = self.client()
        sid = c.start(LIST_REGIONS, body=struct.pack(">BI", 0, 5 * MiB), end_stream=False)
        st = c.wait(sid, timeout=5, until=lambda s: s.grpc_status is not None or s.reset is not None)
        self.assertGrpcStatus(st, 8)
        st = c.wait(sid, timeout=5, until=lambda s: s.reset is not None)
        self.assertEqual(st.reset, 0, "RST_STREAM after early trailers must be NO_ERROR")
        self.assertStillWorks(c)

    def test_early_error_while_uploading_then_rst_no_error(self):
        c = self.client()
        sid = c.start("/rci.v1.RegistryService/NoSuchMethod", end_stream=False)
        st = c.wait(sid, timeout=5, until=lambda s: s.grpc_status is not None or s.reset is not None)
        self.assertGrpcStatus(st, 12)
        st = c.wait(sid, timeout=5, until=lambda s: s.reset is not None)
        self.assertEqual(st.reset, 0)
        self.assertStillWorks(c)

    # -- compression --

    def test_gzip_message(self):
        c = self.client()
        st = c.call(LIST_REGIONS, frame(gzip.compress(CITY_REQ), compressed=True),
                    extra=[(b"grpc-encoding", b"gzip")])
        self.assertGrpcStatus(st, 0)
        flag, body = st.messages()[0]
        if flag == 1:
            self.assertEqual(st.header("grpc-encoding"), b"gzip")
            body = gzip.decompress(body)
        self.assertEqual(len(registry_pb2.ListRegionsResponse.FromString(body).regions), 15)

    def test_gzip_encoding_with_uncompressed_message(self):
        c = self.client()
        st = c.call(LIST_REGIONS, frame(CITY_REQ), extra=[(b"grpc-encoding", b"gzip")])
        self.assertGrpcStatus(st, 0)

    def test_no_response_compression_unless_accepted(self):
        c = self.client()
        st = c.call(LIST_REGIONS, frame(CITY_REQ), extra=[(b"grpc-accept-encoding", b"identity")])
        self.assertGrpcStatus(st, 0)
        self.assertIn(st.header("grpc-encoding"), (None, b"identity"))
        self.assertEqual(st.messages()[0][0], 0)

    def test_compressed_flag_with_identity(self):
        c = self.client()
        body = frame(CITY_REQ, compressed=True)
        self.assertGrpcStatus(c.call(LIST_REGIONS, body), 13, "no grpc-encoding")
        self.assertGrpcStatus(c.call(LIST_REGIONS, body, extra=[(b"grpc-encoding", b"identity")]),
                              13, "identity")

    def test_bad_flag_byte(self):
        c = self.client()
        self.assertGrpcStatus(c.call(CHECK, b"\x02\x00\x00\x00\x00"), 13)

    def test_corrupt_gzip(self):
        c = self.client()
        good = gzip.compress(CITY_REQ)
        for name, body in (("garbage", b"not gzip at all"), ("truncated", good[:-6])):
            with self.subTest(case=name):
                self.assertGrpcStatus(c.call(LIST_REGIONS, frame(body, compressed=True),
                                             extra=[(b"grpc-encoding", b"gzip")]), 13, name)

    def test_unsupported_encoding(self):
        c = self.client()
        st = c.call(LIST_REGIONS, frame(b"\x01\x02\x03", compressed=True),
                    extra=[(b"grpc-encoding", b"br")])
        self.assertGrpcStatus(st, 12)
        block = st.headers if st.trailers_only else (st.headers or []) + (st.trailers or [])
        accept = dict(block).get(b"grpc-accept-encoding")
        self.assertIsNotNone(accept, f"UNIMPLEMENTED for an encoding must list grpc-accept-encoding: {st!r}")
        algs = [a.strip() for a in accept.split(b",")]
        self.assertIn(b"gzip", algs)
        self.assertNotIn(b"br", algs)

    # -- grpc-message --

    def test_grpc_message_is_percent_encoded(self):
        c = self.client()
        for path, body in ((CHECK, frame(health_pb2.HealthCheckRequest(service=SPECIAL)
                                         .SerializeToString())),
                           (LIST_REGIONS, frame(registry_pb2.ListRegionsRequest(circle="深莞惠\n%")
                                                .SerializeToString()))):
            with self.subTest(path=path):
                st = c.call(path, body)
                self.assertCleanError(st)
                raw_msg = st.grpc_message_raw
                self.assertIsNotNone(raw_msg, "an error should say why")
                self.assertTrue(all(0x20 <= b <= 0x7E for b in raw_msg),
                                f"grpc-message not percent-encoded: {raw_msg!r}")
                for i, b in enumerate(raw_msg):
                    if b == 0x25:   # every % starts an uppercase %XX
                        self.assertRegex(raw_msg[i:i + 3].decode(), r"^%[0-9A-F]{2}$",
                                         f"bad escape in {raw_msg!r}")
                self.assertValidUtf8Message(st)

    def assertValidUtf8Message(self, st):
        raw_msg = st.grpc_message_raw or b""
        decoded = harness.pct_decode(raw_msg)
        try:
            return decoded.decode("utf-8")
        except UnicodeDecodeError as e:
            self.fail(f"grpc-message is not UTF-8 once decoded ({e}): {raw_msg!r}")

    def test_grpc_message_always_valid_utf8(self):
        # grpc-message is UTF-8 text: a message that quotes bad input, or is
        # cut to a length cap, must still be valid UTF-8 (never half a character).
        c = self.client()
        cases = {
            "invalid UTF-8 service name": (CHECK, b"\x0a\x02\xe2\x98"),
            "long Chinese service name": (CHECK, health_pb2.HealthCheckRequest(
                service="深" * 3000).SerializeToString()),
            "Chinese circle cut at a cap": (LIST_REGIONS, registry_pb2.ListRegionsRequest(
                circle="深" * 30).SerializeToString()),
            "circle cut at a cap, odd offset": (LIST_REGIONS, registry_pb2.ListRegionsRequest(
                circle="ab" + "深" * 30).SerializeToString()),
        }
        for name, (path, body) in cases.items():
            with self.subTest(case=name):
                st = c.call(path, frame(body))
                self.assertCleanError(st, name)
                self.assertValidUtf8Message(st)
                # The headers stay well under the 8 KiB clients accept.
                size = sum(len(k) + len(v) + 32 for k, v in (st.headers or []) + (st.trailers or []))
                self.assertLess(size, 8192, f"{name}: response headers of {size} bytes")


if __name__ == "__main__":
    unittest.main()
