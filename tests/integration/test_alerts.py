"""Alerts: rci.v1.AlertService WatchAlerts and ListAlerts through
python3-grpcio (issue 4 "Alerts"; DESIGN §6 "As-of reads are repeatable"
for the resume rule).

Alerts are raised here the way the air and water services raise them, with
rci_raise_alert (migrations/0011_alerts.sql) in a transaction of some other
process, so every delivery below crosses PostgreSQL's NOTIFY: what a
subscriber gets never depends on which daemon or loop raised it."""

import hashlib
import json
import queue
import secrets
import subprocess
import threading
import time
import unittest

import grpc
from google.protobuf import wrappers_pb2

import harness
from rci.v1 import alerts_pb2, alerts_pb2_grpc

HZ, SZ, DG, GZ = "441300", "440300", "441900", "440100"
OFF, HEAVY, JOINT = "water.off_target", "air.heavy_pollution", "water.joint_discrepancy"
WAIT = 10   # seconds an expected alert may take (they take milliseconds)


class Watch:
    """One WatchAlerts stream read on a thread into a queue."""

    def __init__(self, stub, metadata, after_id=None, **kw):
        if after_id is not None:
            kw["after_id"] = wrappers_pb2.Int64Value(value=after_id)
        self.call = stub.WatchAlerts(alerts_pb2.WatchAlertsRequest(**kw), metadata=metadata,
                                     timeout=120)
        self.q = queue.Queue()
        self.error = None
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            for a in self.call:
                self.q.put(a)
        except grpc.RpcError as e:
            self.error = e
        self.q.put(None)

    def next(self, timeout=WAIT):
        try:
            return self.q.get(timeout=timeout)
        except queue.Empty:
            return None

    def nothing_within(self, seconds):
        try:
            a = self.q.get(timeout=seconds)
        except queue.Empty:
            return True
        self.q.put(a)
        return False

    def ended(self, timeout=WAIT):
        """The stream's error once it ends."""
        self.thread.join(timeout)
        return self.error

    def cancel(self):
        self.call.cancel()
        self.thread.join(WAIT)


class AlertsTest(harness.RcidTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.secrets = {}
        cls.stub = alerts_pb2_grpc.AlertServiceStub(cls.rcid.channel())

    @classmethod
    def token(cls, agency, admin=False):
        key = (agency, admin)
        if key not in cls.secrets:
            secret = "rci_" + secrets.token_urlsafe(32)
            digest = hashlib.sha256(secret.encode()).hexdigest()
            agency_sql = f"'{agency}'" if agency else "NULL"
            cls.pg.psql(f"INSERT INTO tokens (agency_code, admin, hash, prefix) VALUES "
                        f"({agency_sql}, {str(admin).lower()}, decode('{digest}', 'hex'), "
                        f"'{secret[:8]}')")
            cls.secrets[key] = secret
        return cls.secrets[key]

    def md(self, who="hz-eeb"):
        if who is None:
            return ()
        secret = self.token(None, admin=True) if who == "admin" else self.token(who)
        return (("authorization", "Bearer " + secret),)

    def raise_alert(self, kind, cities, subject="test", message="test alert"):
        arr = "ARRAY[" + ",".join(f"'{c}'" for c in cities) + "]"
        out = self.pg.psql(f"SELECT rci_raise_alert('{kind}', 'warning', {arr}, '{subject}', "
                           f"'{message}', '{{\"n\": 1}}')")
        return int(out.strip())

    def max_id(self):
        return int(self.pg.psql("SELECT coalesce(max(id), 0) FROM alerts").strip())

    def watch(self, who="hz-eeb", stub=None, **kw):
        w = Watch(stub or self.stub, self.md(who), **kw)
        self.addCleanup(w.cancel)
        return w

    def listed(self, who="hz-eeb", **kw):
        r = self.stub.ListAlerts(alerts_pb2.ListAlertsRequest(**kw), metadata=self.md(who),
                                 timeout=10)
        return [a.id for a in r.alerts], r.last_id

    # -- ListAlerts -----------------------------------------------------------------------

    def test_list_shows_each_agency_its_own_city(self):
        start = self.max_id()
        a = self.raise_alert(OFF, [HZ, SZ], "dj-lhs")
        b = self.raise_alert(HEAVY, [DG], DG)
        c = self.raise_alert(JOINT, [SZ], "mzh-gh")
        self.assertEqual(self.listed("hz-eeb", after_id=start)[0], [a])
        self.assertEqual(self.listed("sz-eeb", after_id=start)[0], [a, c])
        self.assertEqual(self.listed("admin", after_id=start)[0], [a, b, c])
        self.assertEqual(self.listed("admin", after_id=start, kinds=[OFF, JOINT])[0], [a, c])
        self.assertEqual(self.listed("admin", after_id=start, cities=[DG, GZ])[0], [b])
        ids, last = self.listed("admin", after_id=start, page_size=2)
        self.assertEqual((ids, last), ([a, b], b))
        self.assertEqual(self.listed("admin", after_id=last, page_size=2), ([c], c))
        self.assertEqual(self.listed("admin", after_id=c), ([], 0))
        r = self.stub.ListAlerts(alerts_pb2.ListAlertsRequest(after_id=a - 1, page_size=1),
                                 metadata=self.md("hz-eeb"), timeout=10)
        x = r.alerts[0]
        self.assertEqual((x.kind, x.severity, list(x.cities), x.subject, x.message),
                         (OFF, "warning", sorted([HZ, SZ]), "dj-lhs", "test alert"))
        self.assertEqual(x.detail_json, '{"n": 1}')
        self.assertGreater(x.raised_at.seconds, 1_700_000_000)

    def test_bad_requests(self):
        IA, PD, UA = (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.PERMISSION_DENIED,
                      grpc.StatusCode.UNAUTHENTICATED)
        L = lambda who, **kw: self.listed(who, **kw)
        self.assertRpcError(lambda: L(None), UA)
        e = self.assertRpcError(lambda: L("hz-eeb", cities=[SZ]), PD)
        self.assertIn(SZ, e.details())
        self.assertIn("hz-eeb", e.details())
        self.assertRpcError(lambda: L("hz-eeb", kinds=["air.smog"]), IA)
        self.assertRpcError(lambda: L("admin", cities=["shenzhen"]), IA)
        self.assertRpcError(lambda: L("admin", after_id=-1), IA)
        self.assertRpcError(lambda: L("admin", page_size=1001), IA)
        # The same checks end a stream before it starts.
        for who, kw, code in ((None, {}, UA), ("hz-eeb", {"cities": [SZ]}, PD),
                              ("hz-eeb", {"kinds": ["x"]}, IA), ("admin", {"cities": ["999999"]}, IA),
                              ("admin", {"after_id": -5}, IA)):
            w = self.watch(who, **kw)
            err = w.ended()
            self.assertIsNotNone(err, (who, kw))
            self.assertEqual(err.code(), code, (who, kw, err.details()))

    # -- WatchAlerts ------------------------------------------------------------------------

    def test_watch_delivers_what_the_caller_may_see_in_order(self):
        start = self.max_id()
        hz = self.watch("hz-eeb", after_id=start)
        sz_heavy = self.watch("sz-eeb", after_id=start, kinds=[HEAVY])
        admin = self.watch("admin", after_id=start)
        ids = [self.raise_alert(OFF, [HZ, SZ], "s1"), self.raise_alert(HEAVY, [SZ], SZ),
               self.raise_alert(HEAVY, [GZ], GZ), self.raise_alert(JOINT, [HZ], "s2")]
        self.assertEqual([hz.next().id, hz.next().id], [ids[0], ids[3]])
        self.assertEqual(sz_heavy.next().id, ids[1])
        self.assertEqual([admin.next().id for _ in ids], ids)
        self.assertTrue(hz.nothing_within(0.3))
        self.assertTrue(sz_heavy.nothing_within(0.1))

    def test_live_only_stream_starts_now(self):
        old = self.raise_alert(OFF, [HZ], "before")
        w = self.watch("hz-eeb")
        # The stream has no start message; raise until the first one arrives,
        # then every later one must follow, in order, none before `old`.
        got = None
        raised = []
        for i in range(50):
            raised.append(self.raise_alert(OFF, [HZ], f"live{i}"))
            got = w.next(timeout=0.2)
            if got:
                break
        self.assertIsNotNone(got, "a live stream received nothing")
        self.assertGreater(got.id, old)
        self.assertIn(got.id, raised)
        rest = raised[raised.index(got.id) + 1:]
        more = [self.raise_alert(OFF, [HZ], "after") for _ in range(3)]
        self.assertEqual([w.next().id for _ in rest + more], rest + more)

    def test_resume_after_reconnect_loses_and_repeats_nothing(self):
        start = self.max_id()
        w = self.watch("hz-eeb", after_id=start)
        first = [self.raise_alert(OFF, [HZ], f"r{i}") for i in range(3)]
        seen = [w.next().id for _ in first]
        self.assertEqual(seen, first)
        w.cancel()
        missed = [self.raise_alert(HEAVY, [HZ, SZ], f"m{i}") for i in range(4)]
        self.raise_alert(HEAVY, [SZ], "not hz")
        w2 = self.watch("hz-eeb", after_id=seen[-1])
        later = [self.raise_alert(JOINT, [HZ], "l")]
        got = [w2.next().id for _ in missed + later]
        self.assertEqual(got, missed + later)
        self.assertTrue(w2.nothing_within(0.3))
        # Resuming from 0 replays the whole history this caller may see, once.
        w3 = self.watch("hz-eeb", after_id=0)
        everything = self.listed("hz-eeb", after_id=0, page_size=1000)[0]
        self.assertEqual(everything, sorted(everything))
        self.assertEqual([w3.next().id for _ in everything], everything)
        self.assertTrue(w3.nothing_within(0.3))

    def test_two_daemons_many_streams_each_alert_once(self):
        other = self.make_rcid()
        other.start()
        self.addCleanup(other.stop_ok, self)
        start = self.max_id()
        streams = []
        for daemon in (self.rcid, other):
            for i in range(12):
                stub = alerts_pb2_grpc.AlertServiceStub(daemon.channel(separate=True))
                streams.append(self.watch("hz-eeb" if i % 2 else "admin", stub=stub,
                                          after_id=start))
        ids = [self.raise_alert(OFF, [HZ, SZ], f"d{i}") for i in range(3)]
        for s in streams:
            self.assertEqual([s.next().id for _ in ids], ids)
        self.assertTrue(all(s.nothing_within(0.05) for s in streams))

    def test_listener_lost_and_back(self):
        """Alerts raised while a daemon's listening connections are down still
        arrive: the gap makes each loop read on by id."""
        start = self.max_id()
        w = self.watch("admin", after_id=start)
        a = self.raise_alert(OFF, [HZ], "a")
        self.assertEqual(w.next().id, a)
        killed = self.pg.psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                              "WHERE query LIKE 'LISTEN %rci_alerts%' AND pid <> pg_backend_pid()")
        self.assertGreaterEqual(int(killed.strip()), 1)
        b = self.raise_alert(OFF, [SZ], "b")
        got = w.next()
        self.assertIsNotNone(got, "the alert raised while the listener was down never came")
        self.assertEqual(got.id, b)
        c = self.raise_alert(OFF, [SZ], "c")
        self.assertEqual(w.next().id, c)

    def test_ids_follow_commit_order(self):
        """DESIGN §6: a transaction that takes an alert id first commits first;
        a second one waits, so no reader sees a later id without the earlier."""
        start = self.max_id()
        s1 = self.psql_session()
        s1.stdin.write(f"BEGIN;\nSELECT rci_raise_alert('{OFF}', 'info', ARRAY['{HZ}'], 'one', "
                       "'first');\n")
        s1.stdin.flush()
        harness.wait_for(lambda: self.max_id_in_flight() > start, 10, what="the first alert id")
        s2 = self.psql_session()
        s2.stdin.write(f"SELECT rci_raise_alert('{OFF}', 'info', ARRAY['{HZ}'], 'two', "
                       "'second');\n")
        s2.stdin.close()
        time.sleep(0.3)
        self.assertIsNone(s2.poll(), "the second transaction did not wait for the first")
        self.assertEqual(self.listed("admin", after_id=start)[0], [])
        s1.stdin.write("COMMIT;\n")
        s1.stdin.close()
        s1.wait(timeout=20)
        s2.wait(timeout=20)
        self.assertEqual((s1.returncode, s2.returncode), (0, 0))
        ids = self.listed("admin", after_id=start)[0]
        self.assertEqual(len(ids), 2)
        subjects = [self.pg.psql(f"SELECT subject FROM alerts WHERE id = {i}").strip() for i in ids]
        self.assertEqual(subjects, ["one", "two"])

    def test_rcictl_watch_resumes_across_a_restart(self):
        """`rcictl watch` prints alerts as they come, keeps going while the
        daemon restarts, and prints what was raised meanwhile, once."""
        d = self.make_rcid()
        d.keep_port = True
        d.start()
        self.addCleanup(d.stop_ok, self)
        before = self.raise_alert(OFF, [HZ], "old")
        argv = [harness.RCICTL, "--server", d.target, "--token", self.token("hz-eeb"),
                "--format", "json", "watch", "--kind", OFF]
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(p.kill)
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in p.stdout], daemon=True).start()
        time.sleep(1.0)   # rcictl reads the latest id, then streams from it
        a = self.raise_alert(OFF, [HZ], "live")
        self.raise_alert(HEAVY, [HZ], "other kind")
        self.raise_alert(OFF, [SZ], "other city")
        got = json.loads(lines.get(timeout=WAIT))
        self.assertEqual((got["id"], got["subject"], got["cities"]), (a, "live", [HZ]))
        self.assertRegex(got["time"], r"\+08:00$")
        d.stop_ok(self)
        missed = [self.raise_alert(OFF, [HZ, SZ], f"while down {i}") for i in range(2)]
        d.start()
        after = self.raise_alert(OFF, [HZ], "after restart")
        ids = [json.loads(lines.get(timeout=30))["id"] for _ in missed + [after]]
        self.assertEqual(ids, missed + [after])
        self.assertNotIn(before, ids)
        p.terminate()
        self.assertEqual(p.wait(timeout=10), 130)
        self.assertTrue(lines.empty())
        self.assertIn("resuming after alert", p.stderr.read())

    def max_id_in_flight(self):
        return int(self.pg.psql("SELECT last_value FROM alerts_id_seq").strip())

    def test_alerts_are_append_only(self):
        self.raise_alert(OFF, [HZ])
        for sql in ("UPDATE alerts SET message = 'x'", "DELETE FROM alerts",
                    "TRUNCATE alerts"):
            with self.assertRaises(RuntimeError):
                self.pg.psql(sql)

    def psql_session(self):
        p = subprocess.Popen(
            (["runuser", "-u", "postgres", "--"] if harness.IS_ROOT else []) +
            [f"{self.pg.bindir}/psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
             "-h", self.pg.sockdir, "-U", self.pg.user, "-d", self.pg.dbname],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(p.kill)
        return p


if __name__ == "__main__":
    unittest.main()
