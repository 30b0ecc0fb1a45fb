"""PostgreSQL stopped and started again under a running rcid: calls fail
fast with UNAVAILABLE, health turns NOT_SERVING (Check, Watch, /healthz),
and rcid reconnects by itself when the database returns — no restart.
(Issue 2 "PostgreSQL store"; DESIGN §4.)"""

import hashlib
import secrets
import time
import unittest

import grpc

import harness
from harness import NOT_SERVING, SERVING, registry_pb2
from reflectionpb import reflection_pb2, reflection_pb2_grpc

FAST = 1.5   # "fails fast": each call answered within this many seconds


class PgRestartTest(harness.RcidTestCase):
    admin = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.secret = "rci_" + secrets.token_urlsafe(32)
        digest = hashlib.sha256(cls.secret.encode()).hexdigest()
        cls.pg.psql("INSERT INTO tokens (agency_code, admin, hash, prefix) VALUES "
                    f"('hz-eeb', false, decode('{digest}', 'hex'), '{cls.secret[:8]}')")

    def setUp(self):
        self.addCleanup(self.restore)

    def restore(self):
        """Whatever a test did, the next one starts with PostgreSQL up and rcid SERVING."""
        if not self.pg.running:
            self.pg.start()
        harness.wait_for(lambda: self.rcid.check("", timeout=1) == SERVING, 30, interval=0.2,
                         what="SERVING before the next test")

    def timed_list_indicators(self):
        """One ListIndicators call (a query every time: ListRegions may be
        answered from the loop's cache); returns (code, seconds)."""
        t0 = time.monotonic()
        try:
            self.rcid.registry().ListIndicators(
                registry_pb2.ListIndicatorsRequest(), timeout=10,
                metadata=(("authorization", "Bearer " + self.secret),))
            code = grpc.StatusCode.OK
        except grpc.RpcError as e:
            code = e.code()
        return code, time.monotonic() - t0

    def outage(self, mode):
        rcid_pid = self.rcid.proc.pid
        ch = self.rcid.channel()
        watch = harness.WatchCollector(ch, timeout=120)
        self.addCleanup(watch.cancel)
        self.assertEqual(watch.next(timeout=5), ("msg", SERVING))
        self.assertEqual(self.rcid.check("", ch=ch), SERVING)
        self.assertEqual(len(self.rcid.list_regions(ch=ch).regions), 19)

        self.pg.stop(mode)

        # Every call from now on fails fast with UNAVAILABLE.
        for i in range(5):
            code, took = self.timed_list_indicators()
            self.assertEqual(code, grpc.StatusCode.UNAVAILABLE,
                             f"call {i} with PostgreSQL down ({mode}): {code.name}\n"
                             f"--- rcid log ---\n{self.rcid.log_tail(20)}")
            self.assertLess(took, FAST, f"call {i} took {took:.2f}s: not failing fast")

        # Health follows: Check (answered at once), Watch, /healthz.
        harness.wait_for(lambda: self.rcid.check("", ch=ch, timeout=1) == NOT_SERVING, 5,
                         what="Health/Check NOT_SERVING")
        self.assertEqual(self.rcid.check("rci.v1.RegistryService", ch=ch, timeout=1), NOT_SERVING)
        watch.wait_status(NOT_SERVING, timeout=5)
        status, _, body = self.rcid.http_get("/healthz")
        self.assertEqual(status, 503, body)
        p = self.rcid.rcictl("health")
        self.assertIn("NOT_SERVING", p.stdout + p.stderr)
        self.assertEqual(p.returncode, 4, "rcictl --help: exit status 4 = answered, not SERVING")

        # Reflection needs no database and keeps working.
        stub = reflection_pb2_grpc.ServerReflectionStub(ch)
        [resp] = list(stub.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="*")]), timeout=5))
        self.assertEqual({s.name for s in resp.list_services_response.service},
                         harness.SERVED_SERVICES)

        self.pg.start()

        harness.wait_for(lambda: self.rcid.check("", ch=ch, timeout=1) == SERVING, 30,
                         interval=0.2, what="Health/Check SERVING again after PostgreSQL returned")
        watch.wait_status(SERVING, timeout=5)
        self.assertEqual(len(self.rcid.list_regions(ch=ch).regions), 19)
        status, _, _ = self.rcid.http_get("/healthz")
        self.assertEqual(status, 200)
        # Every pooled connection is back: many calls in a row all succeed.
        stub = self.rcid.registry(ch)
        futures = [stub.ListRegions.future(registry_pb2.ListRegionsRequest(), timeout=10)
                   for _ in range(50)]
        self.assertEqual({len(f.result().regions) for f in futures}, {19})
        # The same process all along.
        self.assertTrue(self.rcid.alive())
        self.assertEqual(self.rcid.proc.pid, rcid_pid)
        watch.cancel()

    def test_1_fast_shutdown(self):
        self.outage("fast")
        m = self.rcid.metrics()
        self.assertGreater(harness.metric_sum(m, "rci_grpc_calls_total",
                                              method="/rci.v1.RegistryService/ListIndicators",
                                              code="UNAVAILABLE"), 0)

    def test_2_crash(self):
        # immediate = PostgreSQL's crash stop: no goodbye to the clients.
        self.outage("immediate")

    def test_3_calls_during_reconnect_backoff(self):
        # Down for a while (several reconnect attempts), then back.
        self.pg.stop("fast")
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            code, took = self.timed_list_indicators()
            self.assertEqual(code, grpc.StatusCode.UNAVAILABLE)
            self.assertLess(took, FAST)
            time.sleep(0.2)
        self.pg.start()
        harness.wait_for(lambda: self.rcid.check("", timeout=1) == SERVING, 30, interval=0.2,
                         what="SERVING after a longer outage")
        self.assertEqual(len(self.rcid.list_regions().regions), 19)


if __name__ == "__main__":
    unittest.main()
