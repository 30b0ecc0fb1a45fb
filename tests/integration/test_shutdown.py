"""SIGTERM/SIGINT with calls in flight: GOAWAY, in-flight unary calls finish
OK, Watch streams end with a status (UNAVAILABLE), rcid exits 0 without
running into its grace period; a second signal stops it at once.
(Issue 2 "gRPC server"; grpc-wire.md §7 "GOAWAY / graceful shutdown", §9.5.)"""

import signal
import time
import unittest

import grpc

import harness
from harness import frame, need_h2, registry_pb2

WATCH = "/grpc.health.v1.Health/Watch"
CHECK = "/grpc.health.v1.Health/Check"
LIST_REGIONS = "/rci.v1.RegistryService/ListRegions"
CITY_REQ = registry_pb2.ListRegionsRequest(kind=registry_pb2.REGION_KIND_CITY).SerializeToString()
GRACE = 10      # rcid's default --shutdown-grace
PROMPT = 5.0    # with every call done, rcid exits well before the grace period


class ShutdownTest(harness.RcidTestCase):
    start_rcid = False

    def setUp(self):
        self.rcid = self.make_rcid()
        self.rcid.start()

    def tearDown(self):
        self.rcid.cleanup()

    def exit_within(self, seconds):
        t0 = time.monotonic()
        code = self.rcid.wait_exit(seconds)
        took = time.monotonic() - t0
        self.assertIsNotNone(code, f"rcid still running {seconds}s after the signal\n"
                                   f"--- rcid log ---\n{self.rcid.log_tail()}")
        return code, took

    @need_h2
    def test_sigterm_with_calls_in_flight(self):
        c = harness.H2Client(self.rcid.port)
        self.addCleanup(c.close)
        # 20 unary calls whose requests are sent but not finished (no END_STREAM yet).
        sids = [c.start(LIST_REGIONS, frame(CITY_REQ), end_stream=False) for _ in range(20)]
        # A Watch on the same connection; its first message proves the
        # server has read every frame sent before it.
        wsid = c.start(WATCH, frame(b""))
        c.wait(wsid, until=lambda s: len(s.data) >= 5)
        # And a Watch through grpcio.
        gw = harness.WatchCollector(self.rcid.channel(), timeout=60)
        self.assertEqual(gw.next(timeout=5), ("msg", harness.SERVING))

        self.rcid.send_signal(signal.SIGTERM)

        # GOAWAY arrives and spares our streams.
        deadline = time.monotonic() + 5
        while not c.goaways and time.monotonic() < deadline and not c.closed:
            c.pump(0.2)
        self.assertTrue(c.goaways, "no GOAWAY after SIGTERM")
        self.assertGreaterEqual(max(last for last, _ in c.goaways), max(sids + [wsid]),
                                f"GOAWAY last-stream-id below the in-flight calls: {c.goaways}")
        self.assertTrue(all(code == 0 for _, code in c.goaways), f"GOAWAY not NO_ERROR: {c.goaways}")

        # The Watch streams end with UNAVAILABLE (a status in trailers, not a dropped connection).
        st = c.wait(wsid, timeout=5)
        self.assertIsNone(st.reset, repr(st))
        self.assertEqual(st.grpc_status, 14, f"Watch at shutdown: {st!r}")
        ev = gw.next(timeout=5)
        while ev[0] == "msg":
            self.assertIn(ev[1], (harness.SERVING, harness.NOT_SERVING))
            ev = gw.next(timeout=5)
        self.assertEqual(ev[1], grpc.StatusCode.UNAVAILABLE, ev)

        # The in-flight unary calls complete normally.
        for sid in sids:
            c.end(sid)
        for sid in sids:
            st = c.wait(sid, timeout=GRACE)
            self.assertEqual(st.grpc_status, 0, f"in-flight call {sid} at shutdown: {st!r}")
            self.assertEqual(len(registry_pb2.ListRegionsResponse.FromString(
                st.messages()[0][1]).regions), 15)

        code, took = self.exit_within(GRACE + 2)
        self.assertEqual(code, 0, self.rcid.log_tail())
        self.assertLess(took, PROMPT, "rcid waited for its grace period with nothing left to do")

    def test_sigterm_with_grpcio_calls_in_flight(self):
        ch = self.rcid.channel(separate=True)
        stub = self.rcid.registry(ch)
        grpc.channel_ready_future(ch).result(timeout=5)
        futures = [stub.ListRegions.future(registry_pb2.ListRegionsRequest(), timeout=30)
                   for _ in range(200)]
        self.rcid.send_signal(signal.SIGTERM)
        ok = 0
        for f in futures:
            try:
                self.assertEqual(len(f.result().regions), 19)
                ok += 1
            except grpc.RpcError as e:
                # Only calls the server never started may fail, and only as UNAVAILABLE.
                self.assertEqual(e.code(), grpc.StatusCode.UNAVAILABLE, e.details())
        code, _ = self.exit_within(GRACE + 2)
        self.assertEqual(code, 0, self.rcid.log_tail())

    def test_sigterm_idle(self):
        self.assertEqual(self.rcid.check(""), harness.SERVING)
        self.rcid.close_channels()
        self.rcid.send_signal(signal.SIGTERM)
        code, took = self.exit_within(GRACE + 2)
        self.assertEqual(code, 0, self.rcid.log_tail())
        self.assertLess(took, PROMPT)
        # Clear start-up and shutdown lines in the log.
        log = self.rcid.log()
        self.assertIn(self.rcid.target, log, "the start-up lines should say where rcid listens")
        last = log.strip().splitlines()[-1]
        self.assertRegex(last, r"(?i)\b(stopped|exit|shut)", "the last line should say rcid stopped")

    def test_sigint(self):
        ch = self.rcid.channel()
        w = harness.WatchCollector(ch, timeout=60)
        self.assertEqual(w.next(timeout=5), ("msg", harness.SERVING))
        self.rcid.send_signal(signal.SIGINT)
        code, took = self.exit_within(GRACE + 2)
        self.assertEqual(code, 0, self.rcid.log_tail())
        self.assertLess(took, PROMPT, "an open Watch held up the shutdown")

    @need_h2
    def test_new_connections_refused_while_draining(self):
        c = harness.H2Client(self.rcid.port)
        self.addCleanup(c.close)
        sid = c.start(LIST_REGIONS, frame(CITY_REQ), end_stream=False)   # holds the drain open
        wsid = c.start(WATCH, frame(b""))
        c.wait(wsid, until=lambda s: len(s.data) >= 5)
        self.rcid.send_signal(signal.SIGTERM)
        harness.wait_for(lambda: not harness.port_accepts(self.rcid.port), 5,
                         what="the listener closed after SIGTERM")
        self.assertTrue(self.rcid.alive(), "rcid did not wait for the in-flight call")
        c.end(sid)
        st = c.wait(sid, timeout=GRACE)
        self.assertEqual(st.grpc_status, 0, repr(st))
        code, _ = self.exit_within(GRACE + 2)
        self.assertEqual(code, 0, self.rcid.log_tail())

    @need_h2
    def test_grace_period_bounds_a_stuck_call(self):
        # A client that never finishes its request cannot hold rcid up
        # beyond --shutdown-grace.
        self.rcid.stop()
        self.rcid = self.make_rcid(extra_args=("--shutdown-grace", "2"))
        self.rcid.start()
        c = harness.H2Client(self.rcid.port)
        self.addCleanup(c.close)
        sid = c.start(LIST_REGIONS, frame(CITY_REQ), end_stream=False)
        wsid = c.start(WATCH, frame(b""))
        c.wait(wsid, until=lambda s: len(s.data) >= 5)
        t0 = time.monotonic()
        self.rcid.send_signal(signal.SIGTERM)
        code = self.rcid.wait_exit(2 + 3)
        took = time.monotonic() - t0
        self.assertIsNotNone(code, "rcid outlived its 2 s grace period by 3 s")
        self.assertGreaterEqual(took, 1.5, "rcid did not give the call its grace period")
        self.assertEqual(code, 0, f"exit code after the grace period: {code}\n{self.rcid.log_tail()}")
        # The stuck call was ended one way or another: a status, a reset, or the connection closed.
        st = c.streams[sid]

        def ended():
            c.pump(0.1)
            return st.reset is not None or st.grpc_status is not None or c.closed
        harness.wait_for(ended, 5, interval=0, what=f"the stuck call to end: {st!r}")

    @need_h2
    def test_second_signal_stops_at_once(self):
        c = harness.H2Client(self.rcid.port)
        self.addCleanup(c.close)
        c.start(LIST_REGIONS, frame(CITY_REQ), end_stream=False)   # the drain waits for it
        wsid = c.start(WATCH, frame(b""))
        c.wait(wsid, until=lambda s: len(s.data) >= 5)
        self.rcid.send_signal(signal.SIGTERM)

        def goaway():
            c.pump(0.1)
            return c.goaways
        harness.wait_for(goaway, 5, interval=0, what="GOAWAY after the first signal")
        self.assertTrue(self.rcid.alive(), "rcid exited although a call was still in flight")
        t0 = time.monotonic()
        self.rcid.send_signal(signal.SIGTERM)
        code = self.rcid.wait_exit(2)
        self.assertIsNotNone(code, "a second SIGTERM did not stop rcid at once")
        self.assertLess(time.monotonic() - t0, 2)


if __name__ == "__main__":
    unittest.main()
