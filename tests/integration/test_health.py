"""grpc.health.v1.Health against a running rcid: Check for the whole server
and every served service, NOT_FOUND for unknown names, Watch sends the
current status at once and keeps the stream open; `rcictl health`.
(DESIGN §6 "Health"; grpc-wire.md §8.1.)"""

import unittest

import grpc

import harness
from harness import SERVICE_UNKNOWN, SERVING, health_pb2, health_pb2_grpc


class HealthTest(harness.RcidTestCase):

    def test_check_whole_server(self):
        self.assertEqual(self.rcid.check(""), SERVING)

    def test_check_every_served_service(self):
        for name in sorted(harness.SERVED_SERVICES):
            with self.subTest(service=name):
                self.assertEqual(self.rcid.check(name), SERVING)

    def test_check_unknown_service_is_not_found(self):
        for name in ("no.such.Service", "rci.v1.registryservice", "rci.v1.RegistryService ",
                     "grpc.health.v1", "*", "健康"):
            with self.subTest(service=name):
                e = self.assertRpcError(lambda: self.rcid.check(name), grpc.StatusCode.NOT_FOUND)
                self.assertIsInstance(e.details(), str)

    def test_check_is_answered_with_a_short_deadline(self):
        # Kubernetes probes call Check("") with a short deadline; Check must
        # not wait on the database (grpc-wire.md §8.1).
        ch = self.rcid.channel()
        harness.grpc.channel_ready_future(ch).result(timeout=5)
        stub = health_pb2_grpc.HealthStub(ch)
        for _ in range(20):
            r = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=0.5)
            self.assertEqual(r.status, SERVING)

    def test_watch_sends_current_status_immediately(self):
        ch = self.rcid.channel()
        for name in ("", "rci.v1.RegistryService", "grpc.health.v1.Health"):
            with self.subTest(service=name):
                w = harness.WatchCollector(ch, service=name, timeout=30)
                try:
                    ev = w.next(timeout=5)
                    self.assertEqual(ev, ("msg", SERVING))
                    # Nothing changes, so nothing more arrives and the stream stays open.
                    with self.assertRaises(AssertionError):
                        w.next(timeout=0.3)
                    self.assertTrue(w.call.is_active())
                finally:
                    w.cancel()

    def test_watch_unknown_service_reports_service_unknown_and_stays_open(self):
        ch = self.rcid.channel()
        w = harness.WatchCollector(ch, service="no.such.Service", timeout=30)
        try:
            self.assertEqual(w.next(timeout=5), ("msg", SERVICE_UNKNOWN))
            with self.assertRaises(AssertionError):
                w.next(timeout=0.3)   # not ended: the name may become known later
            self.assertTrue(w.call.is_active())
        finally:
            w.cancel()

    def test_many_watchers_each_get_the_status(self):
        ch = self.rcid.channel()
        watchers = [harness.WatchCollector(ch, timeout=30) for _ in range(20)]
        try:
            for w in watchers:
                self.assertEqual(w.next(timeout=5), ("msg", SERVING))
        finally:
            for w in watchers:
                w.cancel()
        self.assertEqual(self.rcid.check(""), SERVING)

    def test_rcictl_health(self):
        p = self.rcid.rcictl("health")
        self.assertEqual(p.returncode, 0, f"rcictl health: exit {p.returncode}\n{p.stdout}\n{p.stderr}")
        self.assertIn("SERVING", p.stdout)
        self.assertNotIn("NOT_SERVING", p.stdout)

    def test_rcictl_health_without_server_fails(self):
        port = harness.free_port()
        p = harness.run_rcictl([harness.RCICTL, "--server", f"127.0.0.1:{port}", "health"])
        # rcictl --help: exit status 3 = cannot connect.
        self.assertEqual(p.returncode, 3, f"rcictl health against a closed port:\n"
                                          f"{p.stdout}\n{p.stderr}")
        self.assertNotEqual(p.stderr.strip(), "", "rcictl gave no error message")


if __name__ == "__main__":
    unittest.main()
