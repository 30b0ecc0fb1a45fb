"""The admin endpoint (--admin-listen): /metrics in Prometheus text format
with calls by method and status, the latency histogram, active streams and
the database pool; /healthz.
(Issue 2 "Operations".)"""

import re
import unittest

import grpc

import harness

LIST_REGIONS = "/rci.v1.RegistryService/ListRegions"
CHECK = "/grpc.health.v1.Health/Check"


class AdminTest(harness.RcidTestCase):
    admin = True

    def calls(self, method, code="OK"):
        return harness.metric_sum(self.rcid.metrics(), "rci_grpc_calls_total",
                                  method=method, code=code)

    def test_metrics_is_prometheus_text(self):
        status, ctype, body = self.rcid.http_get("/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(ctype.startswith("text/plain"), ctype)
        self.assertIn("version=0.0.4", ctype)
        m = harness.parse_prometheus(body)     # every line parses
        for name, typ in (("rci_grpc_calls_total", "counter"),
                          ("rci_grpc_call_duration_seconds", "histogram"),
                          ("rci_grpc_active_streams", "gauge")):
            self.assertEqual(m["types"].get(name), typ, f"# TYPE of {name}")
        # Every sample belongs to a declared family.
        for name, _, _ in m["samples"]:
            base = name
            for suffix in ("_bucket", "_sum", "_count"):
                if name.endswith(suffix) and name[:-len(suffix)] in m["types"]:
                    base = name[:-len(suffix)]
            self.assertIn(base, m["types"], f"{name} has no # TYPE")

    def test_calls_counted_by_method_and_status(self):
        before_ok = self.calls(LIST_REGIONS, "OK")
        before_nf = self.calls(LIST_REGIONS, "NOT_FOUND")
        for _ in range(5):
            self.rcid.list_regions()
        self.assertRpcError(lambda: self.rcid.list_regions(circle="nosuch"),
                            grpc.StatusCode.NOT_FOUND)
        harness.wait_for(lambda: self.calls(LIST_REGIONS, "OK") - before_ok == 5, 5,
                         what="5 more OK ListRegions in rci_grpc_calls_total")
        harness.wait_for(lambda: self.calls(LIST_REGIONS, "NOT_FOUND") - before_nf == 1, 5,
                         what="1 more NOT_FOUND ListRegions in rci_grpc_calls_total")
        self.assertEqual(self.calls(LIST_REGIONS, "OK") - before_ok, 5, "counted twice?")

    def test_latency_histogram(self):
        self.rcid.list_regions()
        self.rcid.check("")

        def hist_ok():
            m = self.rcid.metrics()
            buckets = [(l["le"], v) for n, l, v in m["samples"]
                       if n == "rci_grpc_call_duration_seconds_bucket" and l.get("method") == LIST_REGIONS]
            count = harness.metric_sum(m, "rci_grpc_call_duration_seconds_count", method=LIST_REGIONS)
            return buckets, count, m
        buckets, count, m = harness.wait_for(lambda: (lambda r: r if r[1] > 0 else None)(hist_ok()), 5,
                                             what="a ListRegions latency histogram")
        self.assertTrue(buckets)
        self.assertEqual(buckets[-1][0], "+Inf")
        values = [v for _, v in buckets]
        self.assertEqual(values, sorted(values), "buckets must be cumulative")
        self.assertEqual(values[-1], count)
        total_calls = sum(v for n, l, v in m["samples"]
                          if n == "rci_grpc_calls_total" and l.get("method") == LIST_REGIONS)
        self.assertEqual(count, total_calls)

    def test_unknown_methods_share_one_label(self):
        ch = self.rcid.channel()
        for i in range(5):
            self.assertRpcError(
                lambda: ch.unary_unary(f"/no.such.Service{i}/M{i}")(b"", timeout=5),
                grpc.StatusCode.UNIMPLEMENTED)
        m = self.rcid.metrics()
        methods = {l.get("method") for n, l, _ in m["samples"] if n == "rci_grpc_calls_total"}
        self.assertFalse(any("no.such.Service" in (x or "") for x in methods),
                         f"client-chosen paths became labels: {methods}")
        harness.wait_for(lambda: harness.metric_sum(self.rcid.metrics(), "rci_grpc_calls_total",
                                                    code="UNIMPLEMENTED") >= 5, 5,
                         what="UNIMPLEMENTED calls counted")

    def test_gauges_and_pool(self):
        m = self.rcid.metrics()
        self.assertEqual(harness.metric_sum(m, "rci_grpc_active_streams"), 0)
        pool = [n for n, _, _ in m["samples"] if n.startswith("rci_db_")]
        self.assertTrue(pool, "no database pool figures in /metrics")
        # With the database up, some pooled connection is ready (published ~1/s).
        harness.wait_for(lambda: harness.metric_sum(self.rcid.metrics(), "rci_db_pool_connections",
                                                     state="ready") >= 1, 5,
                         what="a ready database connection in /metrics")

    def test_active_streams_counts_open_watch(self):
        ch = self.rcid.channel()
        ws = [harness.WatchCollector(ch, timeout=60) for _ in range(3)]
        try:
            for w in ws:
                w.next(timeout=5)
            harness.wait_for(lambda: harness.metric_sum(self.rcid.metrics(),
                                                        "rci_grpc_active_streams") == 3, 5,
                             what="3 active streams")
        finally:
            for w in ws:
                w.cancel()
        harness.wait_for(lambda: harness.metric_sum(self.rcid.metrics(),
                                                    "rci_grpc_active_streams") == 0, 5,
                         what="0 active streams")

    def test_log_line_per_call(self):
        # One line per call: method, status, duration, peer (issue 2 "Operations").
        self.rcid.list_regions(circle="gfz")
        self.assertRpcError(lambda: self.rcid.list_regions(circle="nosuch"),
                            grpc.StatusCode.NOT_FOUND)
        duration = re.compile(r"\d+(\.\d+)?\s*(ns|us|µs|ms|s)\b")
        peer = re.compile(r"127\.0\.0\.1:\d+")

        def find(status):
            for line in self.rcid.log().splitlines():
                if (LIST_REGIONS in line and re.search(rf"\b{status}\b", line)
                        and duration.search(line) and peer.search(line)):
                    return line
            return None
        harness.wait_for(lambda: find("OK"), 5, what="a log line for the OK ListRegions call")
        harness.wait_for(lambda: find("NOT_FOUND"), 5,
                         what="a log line for the NOT_FOUND ListRegions call")

    def test_healthz(self):
        status, _, body = self.rcid.http_get("/healthz")
        self.assertEqual(status, 200)
        self.assertIn("SERVING", body)

    def test_unknown_path_404(self):
        status, _, _ = self.rcid.http_get("/nope")
        self.assertEqual(status, 404)


class NoAdminByDefaultTest(harness.RcidTestCase):
    """--admin-listen is off unless given (DESIGN §6)."""

    def test_no_admin_listener(self):
        # rcid listens on exactly one TCP port: the gRPC one.
        import os
        pid = self.rcid.proc.pid
        inodes = set()
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
        ports = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with open(table) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    if parts[3] == "0A" and parts[9] in inodes:
                        ports.add(int(parts[1].split(":")[1], 16))
        self.assertEqual(ports, {self.rcid.port})


if __name__ == "__main__":
    unittest.main()
