"""Deadlines and cancellation against a running rcid (with --admin-listen,
so /metrics shows the streams): expired deadlines, a server-side deadline on
a stream that would otherwise stay open, client cancellation and dropped
connections, and that none of them leaks a stream.
(Issue 2 "gRPC server": grpc-timeout deadlines, RST_STREAM → cancellation;
grpc-wire.md §5.)"""

import time
import unittest

import grpc

import harness
from harness import frame, need_h2, registry_pb2

WATCH = "/grpc.health.v1.Health/Watch"
CHECK = "/grpc.health.v1.Health/Check"
LIST_REGIONS = "/rci.v1.RegistryService/ListRegions"
CITY_REQ = registry_pb2.ListRegionsRequest(kind=registry_pb2.REGION_KIND_CITY).SerializeToString()


class DeadlineCancelTest(harness.RcidTestCase):
    admin = True

    def active_streams(self):
        return harness.metric_sum(self.rcid.metrics(), "rci_grpc_active_streams")

    def calls(self, method, code):
        return harness.metric_sum(self.rcid.metrics(), "rci_grpc_calls_total",
                                  method=method, code=code)

    def wait_no_streams(self, timeout=10):
        harness.wait_for(lambda: self.active_streams() == 0, timeout,
                         what="rci_grpc_active_streams back to 0")

    def tearDown(self):
        self.assertTrue(self.rcid.alive(), "rcid died\n" + self.rcid.log_tail())

    # -- deadlines --

    def test_tiny_deadline(self):
        stub = self.rcid.registry()
        # A deadline over before the call starts: grpcio fails it locally,
        # or sends it rounded up ("grpc-timeout: 1m", as grpcio 1.51 does for
        # 0.0), which a ListRegions answered from the loop's cache may
        # legitimately meet. Either way the server stays well. Deadlines
        # already over on arrival, "0n"/"1n", are checked exactly on the wire
        # in test_expired_deadline_on_arrival.
        for timeout in (1e-6, 0.0):
            with self.subTest(timeout=timeout):
                try:
                    stub.ListRegions(registry_pb2.ListRegionsRequest(), timeout=timeout)
                except grpc.RpcError as e:
                    self.assertEqual(e.code(), grpc.StatusCode.DEADLINE_EXCEEDED)
        self.assertServerHealthy()
        self.wait_no_streams()

    @need_h2
    def test_expired_deadline_on_arrival(self):
        # An already-expired deadline arrives as 1n (C-core) or 0n (grpc-go):
        # the call is answered DEADLINE_EXCEEDED (or reset with CANCEL) and
        # never served.
        # Repeated: a server that lets a fast database answer race its
        # deadline timer answers OK now and then.
        with harness.H2Client(self.rcid.port) as c:
            for v in (b"1n", b"0n", b"0S", b"1u"):
                with self.subTest(timeout=v):
                    outcomes = []
                    for _ in range(10):
                        st = c.call(LIST_REGIONS, frame(CITY_REQ), extra=[(b"grpc-timeout", v)])
                        if st.reset is not None:
                            outcomes.append(f"RST_STREAM {st.reset}")
                        else:
                            outcomes.append(f"grpc-status {st.grpc_status}"
                                            + (" with a response" if st.data else ""))
                    good = {"grpc-status 4", "RST_STREAM 8"}
                    self.assertTrue(set(outcomes) <= good,
                                    f"grpc-timeout {v.decode()}, 10 calls: {outcomes}")
            st = c.call(CHECK, frame(b""))
            self.assertEqual(st.grpc_status, 0, repr(st))
        self.wait_no_streams()
        self.assertGreater(self.calls(LIST_REGIONS, "DEADLINE_EXCEEDED"), 0)

    def test_deadline_ends_a_watch_stream(self):
        # A Watch would stay open for ever; its deadline ends it.
        ch = self.rcid.channel()
        w = harness.WatchCollector(ch, timeout=0.5)
        self.assertEqual(w.next(timeout=5), ("msg", harness.SERVING))
        ev = w.next(timeout=5)
        self.assertEqual(ev[:2], ("end", grpc.StatusCode.DEADLINE_EXCEEDED))
        self.wait_no_streams()
        self.assertServerHealthy()

    @need_h2
    def test_server_enforces_deadline(self):
        # The client never cancels: the server itself must end the Watch at
        # its grpc-timeout, with status 4 (or RST_STREAM CANCEL).
        with harness.H2Client(self.rcid.port) as c:
            t0 = time.monotonic()
            sid = c.start(WATCH, frame(b""), extra=[(b"grpc-timeout", b"300m")])
            st = c.wait(sid, timeout=5)
            took = time.monotonic() - t0
            self.assertTrue(st.reset == 8 or st.grpc_status == 4, repr(st))
            self.assertGreaterEqual(took, 0.25)
            self.assertLess(took, 3.0, "deadline enforced late")
            msgs = st.messages()
            self.assertGreaterEqual(len(msgs), 1, "Watch sent no current status first")
            self.assertEqual(c.call(CHECK, frame(b"")).grpc_status, 0)
        self.wait_no_streams()
        self.assertGreater(self.calls(WATCH, "DEADLINE_EXCEEDED"), 0)

    # -- cancellation --

    def test_cancelled_watch_is_closed_on_the_server(self):
        before = self.calls(WATCH, "CANCELLED")
        ch = self.rcid.channel()
        w = harness.WatchCollector(ch, timeout=60)
        self.assertEqual(w.next(timeout=5), ("msg", harness.SERVING))
        harness.wait_for(lambda: self.active_streams() >= 1, 5, what="the Watch stream counted")
        w.cancel()
        self.wait_no_streams()
        harness.wait_for(lambda: self.calls(WATCH, "CANCELLED") > before, 5,
                         what="the cancelled Watch counted as CANCELLED")
        # The same connection and the server go on.
        self.assertEqual(self.rcid.check("", ch=ch), harness.SERVING)
        self.assertServerHealthy()

    @need_h2
    def test_rst_stream_cancel(self):
        with harness.H2Client(self.rcid.port) as c:
            sid = c.start(WATCH, frame(b""))
            c.wait(sid, until=lambda s: len(s.data) >= 5)
            c.reset(sid)
            # In flight unary calls cancelled before the answer too.
            sids = [c.start(LIST_REGIONS, frame(CITY_REQ)) for _ in range(20)]
            for s in sids:
                c.reset(s)
            st = c.call(LIST_REGIONS, frame(CITY_REQ))
            self.assertEqual(st.grpc_status, 0, repr(st))
        self.wait_no_streams()
        self.assertServerHealthy()

    @need_h2
    def test_dropped_connection_with_open_streams(self):
        self.rcid.close_channels()
        harness.wait_for(lambda: harness.metric_sum(self.rcid.metrics(), "rci_connections") == 0,
                         10, what="rci_connections at 0 before the test")
        for _ in range(5):
            c = harness.H2Client(self.rcid.port)
            sids = [c.start(WATCH, frame(b"")) for _ in range(10)]
            c.wait(sids[-1], until=lambda s: len(s.data) >= 5)
            for _ in range(10):
                c.start(LIST_REGIONS, frame(CITY_REQ), end_stream=False)  # half-sent
            c.close()   # TCP close, no GOAWAY, no RST_STREAM
        self.wait_no_streams()
        harness.wait_for(lambda: harness.metric_sum(self.rcid.metrics(), "rci_connections") == 0,
                         10, what="rci_connections back to 0")
        self.assertServerHealthy()

    def test_many_cancelled_streams_do_not_leak(self):
        channels = [self.rcid.channel(separate=True) for _ in range(4)]
        for round_ in range(5):
            ws = [harness.WatchCollector(channels[i % 4], timeout=60) for i in range(40)]
            for w in ws:
                self.assertEqual(w.next(timeout=10), ("msg", harness.SERVING))
            futures = [self.rcid.registry(channels[i % 4]).ListRegions.future(
                registry_pb2.ListRegionsRequest(), timeout=30) for i in range(40)]
            for f in futures:
                f.cancel()
            for w in ws:
                w.cancel()
        self.wait_no_streams(timeout=15)
        self.assertServerHealthy()
        self.wait_no_streams()


if __name__ == "__main__":
    unittest.main()
