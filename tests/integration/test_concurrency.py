"""Many calls at once against a running rcid: 1,000 concurrent ListRegions
over 10 separate HTTP/2 connections, all OK and identical; more streams on
one connection than MAX_CONCURRENT_STREAMS; mixed unary and streaming.
(Issue 2 "Tests": "1,000 concurrent calls over 10 connections all correct".)"""

import collections
import os
import unittest

import grpc

import harness
from harness import health_pb2, registry_pb2


def established_connections_to(port):
    """Socket inodes of this process's established TCP connections to port."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            link = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    rem_port = int(parts[2].split(":")[1], 16)
                    if rem_port == port and parts[3] == "01" and parts[9] in inodes:
                        found.add(parts[9])
        except OSError:
            pass
    return found


class ConcurrencyTest(harness.RcidTestCase):

    def test_1000_calls_over_10_connections(self):
        before = established_connections_to(self.rcid.port)
        channels = [self.rcid.channel(separate=True) for _ in range(10)]
        for ch in channels:
            grpc.channel_ready_future(ch).result(timeout=10)
        self.assertEqual(len(established_connections_to(self.rcid.port) - before), 10,
                         "the 10 channels should use 10 TCP connections")
        stubs = [self.rcid.registry(ch) for ch in channels]
        req = registry_pb2.ListRegionsRequest()
        futures = [stubs[i % 10].ListRegions.future(req, timeout=60) for i in range(1000)]
        results, errors = [], []
        for f in futures:
            try:
                results.append(f.result().SerializeToString(deterministic=True))
            except grpc.RpcError as e:
                errors.append((e.code().name, e.details()))
        self.assertEqual(errors, [], f"{len(errors)} of 1000 calls failed, e.g. {errors[:5]}\n"
                                     f"--- rcid log ---\n{self.rcid.log_tail(20)}")
        self.assertEqual(len(results), 1000)
        if len(set(results)) != 1:
            counts = collections.Counter(results)
            (a, na), (b, nb) = counts.most_common(2)
            ra = registry_pb2.ListRegionsResponse.FromString(a)
            rb = registry_pb2.ListRegionsResponse.FromString(b)
            diff = [(x, y) for x, y in zip(ra.regions, rb.regions) if x != y][:1]
            self.fail(f"the answers differ: {len(counts)} distinct; {na}× {len(ra.regions)} regions "
                      f"vs {nb}× {len(rb.regions)} regions; first difference: {diff}")
        resp = registry_pb2.ListRegionsResponse.FromString(results[0])
        self.assertEqual(len(resp.regions), 19)
        self.assertIn("440300", [r.code for r in resp.regions])

    def test_answers_identical_under_sustained_load(self):
        # The same read, 4,000 times over 10 connections and both event
        # loops: any state shared between loop threads shows up as a
        # differing answer.
        channels = [self.rcid.channel(separate=True) for _ in range(10)]
        stubs = [self.rcid.registry(ch) for ch in channels]
        want = self.rcid.list_regions().SerializeToString(deterministic=True)
        bad = collections.Counter()
        for _ in range(4):
            futures = [stubs[i % 10].ListRegions.future(registry_pb2.ListRegionsRequest(),
                                                        timeout=60) for i in range(1000)]
            for f in futures:
                got = f.result().SerializeToString(deterministic=True)
                if got != want:
                    bad[got] += 1
        if bad:
            got, n = bad.most_common(1)[0]
            ra = registry_pb2.ListRegionsResponse.FromString(want)
            rb = registry_pb2.ListRegionsResponse.FromString(got)
            diff = [(x, y) for x, y in zip(ra.regions, rb.regions) if x != y][:1]
            self.fail(f"{sum(bad.values())} of 4000 answers differ from the first; e.g. {diff}")

    def test_more_streams_than_the_stream_limit_on_one_connection(self):
        # Clients queue calls above SETTINGS_MAX_CONCURRENT_STREAMS; every
        # call still completes.
        ch = self.rcid.channel(separate=True)
        stub = self.rcid.registry(ch)
        req = registry_pb2.ListRegionsRequest(circle="szdghz")
        futures = [stub.ListRegions.future(req, timeout=60) for _ in range(600)]
        codes = []
        for f in futures:
            try:
                codes.append(len(f.result().regions))
            except grpc.RpcError as e:
                codes.append(e.code().name)
        self.assertEqual(set(codes), {5}, f"{[c for c in codes if c != 5][:5]}")

    def test_mixed_unary_and_watch_streams(self):
        ch = self.rcid.channel(separate=True)
        watchers = [harness.WatchCollector(ch, timeout=60) for _ in range(50)]
        try:
            for w in watchers:
                self.assertEqual(w.next(timeout=10), ("msg", harness.SERVING))
            stub = self.rcid.registry(ch)
            hstub = self.rcid.health(ch)
            futures = [stub.ListRegions.future(registry_pb2.ListRegionsRequest(), timeout=60)
                       for _ in range(200)]
            hfutures = [hstub.Check.future(health_pb2.HealthCheckRequest(), timeout=60)
                        for _ in range(200)]
            self.assertEqual({len(f.result().regions) for f in futures}, {19})
            self.assertEqual({f.result().status for f in hfutures}, {harness.SERVING})
        finally:
            for w in watchers:
                w.cancel()


if __name__ == "__main__":
    unittest.main()
