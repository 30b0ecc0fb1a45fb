"""Operating rcid: --help documents every flag, bad flags and config lines
are refused clearly, --config FILE and RCI_DATABASE_URL work with the
documented precedence, the HTTP/2 limits are set and enforced
(--max-message-bytes, --max-concurrent-streams, --max-header-list-bytes,
--idle-timeout, --read-timeout), and migrations are recorded with a
checksum and an edited one stops start-up.
(Issue 2 "Operations", "gRPC server", "PostgreSQL store".)"""

import hashlib
import os
import re
import subprocess
import time
import unittest

import grpc

import harness
from harness import frame, need_h2, registry_pb2

ISSUE_FLAGS = ("--listen", "--threads", "--database", "--data-dir", "--tls-cert", "--tls-key",
               "--max-message-bytes", "--admin-listen", "--config", "--log-level")
CHECK = "/grpc.health.v1.Health/Check"
WATCH = "/grpc.health.v1.Health/Watch"
LIST_REGIONS = "/rci.v1.RegistryService/ListRegions"


def run_rcid(*args, env=None, timeout=20):
    e = dict(os.environ)
    e.pop("RCI_DATABASE_URL", None)
    if env:
        e.update(env)
    return subprocess.run([harness.RCID, *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, env=e)


class CommandLineTest(unittest.TestCase):

    def test_help_documents_every_flag(self):
        p = run_rcid("--help")
        self.assertEqual(p.returncode, 0, p.stderr)
        for flag in ISSUE_FLAGS:
            self.assertIn(flag, p.stdout, f"--help does not document {flag}")
        # The example config in deploy/ uses only keys --help documents, and vice versa.
        example = os.path.join(harness.REPO, "deploy", "rcid.conf.example")
        if os.path.exists(example):
            with open(example) as f:
                keys = set(re.findall(r"^#?\s*([a-z][a-z0-9-]*)\s*=", f.read(), re.M))
            documented = set(re.findall(r"^\s+--([a-z][a-z0-9-]*)", p.stdout, re.M))
            self.assertTrue(keys, "no keys found in deploy/rcid.conf.example")
            self.assertEqual(keys - documented, set(), "example keys unknown to --help")
            self.assertEqual(documented - keys - {"help", "version", "config"}, set(),
                             "flags missing from deploy/rcid.conf.example")

    def test_version(self):
        p = run_rcid("--version")
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout, r"^rcid \d+\.\d+")

    def test_bad_flags_are_refused(self):
        for args in (["--bogus"], ["--threads", "0"], ["--threads", "x"],
                     ["--max-message-bytes", "12Q"], ["--listen", "nohost"],
                     ["--tls-cert", "/nonexistent.pem", "--tls-key", "/nonexistent.key"],
                     ["--tls-cert", "/etc/hostname"], ["--log-level"]):
            with self.subTest(args=args):
                p = run_rcid(*args, "--database", "host=/nonexistent dbname=x")
                self.assertNotEqual(p.returncode, 0, f"rcid accepted {args}")
                self.assertTrue(p.stderr.strip(), "no message for a bad flag")
                self.assertIn(args[0], p.stderr, f"the message should name {args[0]}")

    def test_bad_config_line_names_file_and_line(self):
        d = harness.make_temp_dir("rci-conf-")
        self.addCleanup(harness.shutil.rmtree, d, True)
        path = os.path.join(d, "rcid.conf")
        with open(path, "w") as f:
            f.write("# comment\nthreads = 2\nno-such-key = 1\n")
        p = run_rcid("--config", path)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(path, p.stderr)
        self.assertRegex(p.stderr, r":3\b", "the message should give the line number")


class ConfigFileTest(harness.RcidTestCase):
    start_rcid = False

    def write_conf(self, text):
        d = harness.make_temp_dir("rci-conf-")
        self.addCleanup(harness.shutil.rmtree, d, True)
        path = os.path.join(d, "rcid.conf")
        with open(path, "w") as f:
            f.write(text)
        return path

    def conf_rcid(self, extra=(), env=None, database_in_file=True):
        def argv(r):
            text = (f"# written by test_config\nlisten = {r.target}\nthreads = 1\n"
                    f"admin-listen = {r.admin_addr}\n"
                    "max-message-bytes = 2K\n"
                    "log-level = debug\n")
            if database_in_file:
                text += f'database = "{self.pg.conninfo()}"\n'
            return [harness.RCID, "--config", self.write_conf(text), *extra]
        r = self.make_rcid(admin=True, argv_fn=argv, env=env)
        self.addCleanup(r.cleanup)
        return r

    def test_settings_from_file(self):
        r = self.conf_rcid()
        r.start()
        self.assertEqual(r.http_get("/healthz")[0], 200, "admin-listen from the file")
        stub = r.registry(r.channel(options=[("grpc.max_send_message_length", -1)]))
        self.assertRpcErrorOn(r, lambda: stub.ListRegions(
            registry_pb2.ListRegionsRequest(circle="x" * 3000), timeout=5),
            grpc.StatusCode.RESOURCE_EXHAUSTED)
        r.stop_ok(self)

    def test_command_line_wins(self):
        r = self.conf_rcid(extra=("--max-message-bytes", "8K"))
        r.start()
        stub = r.registry(r.channel(options=[("grpc.max_send_message_length", -1)]))
        self.assertRpcErrorOn(r, lambda: stub.ListRegions(
            registry_pb2.ListRegionsRequest(circle="x" * 3000), timeout=5),
            grpc.StatusCode.INVALID_ARGUMENT)     # past the size check, to validation
        self.assertRpcErrorOn(r, lambda: stub.ListRegions(
            registry_pb2.ListRegionsRequest(circle="x" * 9000), timeout=5),
            grpc.StatusCode.RESOURCE_EXHAUSTED)
        r.stop_ok(self)

    def test_rci_database_url(self):
        missing = os.path.join(harness.make_temp_dir("rci-nodata-"), "never")
        self.addCleanup(harness.shutil.rmtree, os.path.dirname(missing), True)
        r = self.make_rcid(database=None, data_dir=missing,
                           env={"RCI_DATABASE_URL": self.pg.conninfo()})
        r.start()
        self.assertEqual(len(r.list_regions().regions), 19)
        r.stop_ok(self)
        self.assertFalse(os.path.exists(missing), "RCI_DATABASE_URL given, yet the embedded "
                                                  "cluster was set up")

    def assertRpcErrorOn(self, r, fn, code):
        try:
            fn()
        except grpc.RpcError as e:
            self.assertEqual(e.code(), code, f"{e.details()}\n{r.log_tail(20)}")
            return
        self.fail(f"expected {code.name}, got a response")


@need_h2
class LimitsTest(harness.RcidTestCase):
    rcid_args = ("--max-concurrent-streams", "4", "--max-header-list-bytes", "4K",
                 "--idle-timeout", "1", "--read-timeout", "2")

    def tearDown(self):
        self.assertTrue(self.rcid.alive(), "rcid died\n" + self.rcid.log_tail())

    def client(self):
        c = harness.H2Client(self.rcid.port)
        self.addCleanup(c.close)
        return c

    def test_settings_sent(self):
        s = self.client().wait_settings()
        S = harness.h2.settings.SettingCodes
        self.assertEqual(s.get(S.MAX_CONCURRENT_STREAMS), 4)
        self.assertEqual(s.get(S.MAX_HEADER_LIST_SIZE), 4096)
        self.assertGreater(s.get(S.INITIAL_WINDOW_SIZE, 65535), 65535,
                           "a 64 KiB stream window makes big requests crawl (grpc-wire.md §7)")

    def test_stream_limit(self):
        c = self.client()
        c.wait_settings()
        c.ignore_stream_limit()
        watches = [c.start(WATCH, frame(b"")) for _ in range(4)]
        for sid in watches:
            c.wait(sid, until=lambda s: len(s.data) >= 5)
        extra = c.start(CHECK, frame(b""))
        st = c.wait(extra, timeout=5)
        # Refused, never processed: RST_STREAM REFUSED_STREAM/PROTOCOL_ERROR
        # (RFC 9113 §5.1.2), or nghttp2's connection error, a GOAWAY whose
        # last-stream-id tells the client the stream was not started.
        self.assertIsNone(st.headers, f"a 5th stream over MAX_CONCURRENT_STREAMS 4 was served: {st!r}")
        E = harness.h2.errors.ErrorCodes
        if st.reset is not None:
            self.assertIn(st.reset, (E.REFUSED_STREAM, E.PROTOCOL_ERROR), repr(st))
        else:
            self.assertTrue(c.goaways, f"neither RST_STREAM nor GOAWAY: {st!r}")
            self.assertLess(c.goaways[-1][0], extra, c.goaways)
        # grpcio queues calls above the limit; all complete.
        stub = self.rcid.registry(self.rcid.channel(separate=True))
        futures = [stub.ListRegions.future(registry_pb2.ListRegionsRequest(), timeout=30)
                   for _ in range(40)]
        self.assertEqual({len(f.result().regions) for f in futures}, {19})

    def test_header_limit(self):
        c = self.client()
        st = c.call(CHECK, frame(b""), extra=[(b"x-pad", b"v" * 5000)])
        self.assertEqual(st.grpc_status, 8, repr(st))
        st = c.call(CHECK, frame(b""), extra=[(b"x-pad", b"v" * 2000)])
        self.assertEqual(st.grpc_status, 0, repr(st))

    def test_idle_connection_gets_goaway(self):
        c = self.client()
        self.assertEqual(c.call(CHECK, frame(b"")).grpc_status, 0)
        t0 = time.monotonic()
        closed = c.wait_closed(6)
        self.assertTrue(c.goaways, "no GOAWAY on an idle connection after --idle-timeout 1")
        self.assertEqual(c.goaways[0][1], 0, "idle GOAWAY must be NO_ERROR")
        self.assertGreaterEqual(time.monotonic() - t0, 0.8)
        self.assertTrue(closed, "the idle connection was not closed after its GOAWAY")

    def test_watch_is_not_idle_nor_slow(self):
        # A Watch whose request is complete is a live call: neither the idle
        # timeout nor the read timeout may end it.
        c = self.client()
        sid = c.start(WATCH, frame(b""))
        c.wait(sid, until=lambda s: len(s.data) >= 5)
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            c.pump(0.2)
        st = c.streams[sid]
        self.assertFalse(c.closed, "connection with an open Watch was closed")
        self.assertEqual(c.goaways, [], "GOAWAY sent on a connection with an open Watch")
        self.assertFalse(st.ended or st.reset is not None, repr(st))
        self.assertEqual(c.call(CHECK, frame(b"")).grpc_status, 0)

    def test_slow_client_is_cut_off(self):
        # A request that never completes: after --read-timeout the connection goes.
        c = self.client()
        c.start(LIST_REGIONS, body=frame(b"\x08\x03")[:3], end_stream=False)
        t0 = time.monotonic()
        closed = c.wait_closed(8)
        self.assertTrue(closed, "a connection stuck mid-request outlived --read-timeout 2")
        self.assertGreaterEqual(time.monotonic() - t0, 1.5)
        self.assertServerHealthy()


class MigrationsTest(harness.RcidTestCase):

    def sha(self):
        with open(os.path.join(harness.REPO, "migrations", "0001_regions.sql"), "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()

    def rows(self):
        out = self.pg.psql("SELECT version, name, sha256, applied_at FROM rci_schema_migrations "
                           "ORDER BY version")
        return [line.split("|") for line in out.splitlines() if line]

    def restart(self):
        self.rcid.stop_ok(self)
        self.rcid.spawn()

    def test_recorded_once_with_checksum(self):
        rows = self.rows()
        self.assertGreaterEqual(len(rows), 1)
        self.assertEqual(rows[0][:3], ["1", "0001_regions.sql", self.sha()])
        self.restart()
        self.rcid.wait_serving()
        self.assertEqual(self.rows(), rows, "a second start re-applied or re-recorded migrations")

    def test_edited_migration_stops_start_up(self):
        self.pg.psql("UPDATE rci_schema_migrations SET sha256 = repeat('0', 64) WHERE version = 1")
        try:
            self.restart()
            code = self.rcid.wait_exit(20)
            self.assertIsNotNone(code, "rcid started with an edited migration")
            self.assertNotEqual(code, 0)
            log = self.rcid.log()
            self.assertIn("0001_regions.sql", log)
            self.assertRegex(log, r"(?i)chang|edit|checksum|sha")
        finally:
            self.pg.psql(f"UPDATE rci_schema_migrations SET sha256 = '{self.sha()}' WHERE version = 1")
        self.rcid.start()

    def test_unknown_applied_migration_stops_start_up(self):
        self.pg.psql("INSERT INTO rci_schema_migrations (version, name, sha256) "
                     "VALUES (9999, '9999_future.sql', repeat('a', 64))")
        try:
            self.restart()
            code = self.rcid.wait_exit(20)
            self.assertIsNotNone(code, "rcid started on a database newer than itself")
            self.assertNotEqual(code, 0)
            self.assertIn("9999", self.rcid.log())
        finally:
            self.pg.psql("DELETE FROM rci_schema_migrations WHERE version = 9999")
        self.rcid.start()


if __name__ == "__main__":
    unittest.main()
