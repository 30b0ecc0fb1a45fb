"""Indicator exchange: PushValues, QueryValues, GetHistory (issue 3).

Through Debian's python3-grpcio against a real PostgreSQL. Tokens are made
straight in the database here (their own RPCs are tested in
test_identity.py): a secret, its SHA-256 in tokens.hash.
"""
import base64
import hashlib
import secrets
import subprocess
import threading
import time
import unittest

import grpc
from google.protobuf import timestamp_pb2

import harness
from rci.v1 import indicators_pb2, indicators_pb2_grpc
from rpcpb import error_details_pb2, status_pb2

HZ = "441300"      # Huizhou
SZ = "440300"      # Shenzhen
GOOD = "air.good_days_rate"        # percent, monthly, environment
BUSES = "transit.cross_city_bus_lines"


def bad_request(err):
    """The google.rpc.BadRequest in an error's grpc-status-details-bin."""
    for key, value in err.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            st = status_pb2.Status.FromString(value)
            for any_ in st.details:
                if any_.type_url.endswith("google.rpc.BadRequest"):
                    return error_details_pb2.BadRequest.FromString(any_.value)
    return None


def ts_now():
    t = timestamp_pb2.Timestamp()
    t.GetCurrentTime()
    return t


class ValuesTest(harness.RcidTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tokens = {}
        for name, agency, admin in (("hz", "hz-eeb", False), ("sz", "sz-eeb", False),
                                    ("hz_admin", "hz-eeb", True), ("hzt", "hz-transport", False)):
            cls.tokens[name] = cls.make_token(agency, admin)
        cls.stub = indicators_pb2_grpc.IndicatorServiceStub(cls.rcid.channel())

    @classmethod
    def make_token(cls, agency, admin=False):
        secret = "rci_" + secrets.token_urlsafe(32)
        digest = hashlib.sha256(secret.encode()).hexdigest()
        cls.pg.psql(f"INSERT INTO tokens (agency_code, admin, hash, prefix) VALUES "
                    f"('{agency}', {str(admin).lower()}, decode('{digest}', 'hex'), "
                    f"'{secret[:8]}')")
        return secret

    def md(self, who="hz"):
        return (("authorization", "Bearer " + self.tokens[who]),)

    def push(self, values, request_id=None, who="hz", **kw):
        req = indicators_pb2.PushValuesRequest(
            request_id=request_id or secrets.token_hex(8),
            values=[indicators_pb2.ValueInput(indicator=i, region=r, period=p, value=v, note=n)
                    for (i, r, p, v, *rest) in values for n in [rest[0] if rest else ""]],
            **kw)
        return self.stub.PushValues(req, metadata=self.md(who), timeout=20)

    def history(self, indicator, region, period):
        return self.stub.GetHistory(indicators_pb2.GetHistoryRequest(
            indicator=indicator, region=region, period=period), metadata=self.md(), timeout=10)

    def query(self, who="hz", **kw):
        return self.stub.QueryValues(indicators_pb2.QueryValuesRequest(**kw),
                                     metadata=self.md(who), timeout=10)

    # -- push, replay, revisions ------------------------------------------------

    def test_push_then_read(self):
        r = self.push([(GOOD, HZ, "2016-12", "96.7", "seed 000")])
        self.assertEqual((r.written, r.unchanged, r.replayed), (1, 0, False))
        self.assertGreater(r.batch_id, 0)
        h = self.history(GOOD, HZ, "2016-12")
        self.assertEqual([(x.revision, x.value, x.note, x.agency_code) for x in h.revisions],
                         [(1, "96.7", "seed 000", "hz-eeb")])
        q = self.query(indicators=[GOOD], regions=[HZ], period_from="2016-12", period_to="2016-12")
        self.assertEqual([(v.period, v.value, v.revision) for v in q.values], [("2016-12", "96.7", 1)])
        self.assertEqual(q.values[0].recorded_at.seconds, r.committed_at.seconds)
        self.assertTrue(q.values[0].late, "2016-12 was due in January 2017")

    def test_late_flag(self):
        # This month (CST) is not due before next month: reported now, on time.
        cst = time.gmtime(time.time() + 8 * 3600)
        this_month = f"{cst.tm_year}-{cst.tm_mon:02d}"
        self.push([(GOOD, HZ, this_month, "95")])
        q = self.query(indicators=[GOOD], regions=[HZ], period_from=this_month,
                       period_to=this_month)
        self.assertEqual([(v.period, v.late) for v in q.values], [(this_month, False)])
        q = self.query(indicators=[GOOD], regions=[HZ], period_from=this_month,
                       period_to=this_month, as_of=ts_now())
        self.assertEqual([(v.period, v.late) for v in q.values], [(this_month, False)])

    def test_replay_and_conflict(self):
        rows = [(GOOD, HZ, "2017-01", "95.1"), (GOOD, HZ, "2017-02", "93.0")]
        first = self.push(rows, request_id="hz-2017-q1")
        again = self.push(rows, request_id="hz-2017-q1")
        self.assertTrue(again.replayed)
        self.assertEqual((again.batch_id, again.written, again.committed_at),
                         (first.batch_id, first.written, first.committed_at))
        self.assertEqual(len(self.history(GOOD, HZ, "2017-01").revisions), 1)
        err = self.assertRpcError(lambda: self.push([(GOOD, HZ, "2017-01", "95.2")],
                                                    request_id="hz-2017-q1"),
                                  grpc.StatusCode.ALREADY_EXISTS)
        self.assertIn("hz-2017-q1", err.details())
        # Ids are scoped to the agency: Shenzhen may use the same one.
        self.push([(GOOD, SZ, "2017-01", "88.0")], request_id="hz-2017-q1", who="sz")

    def test_revisions_keep_history(self):
        self.push([(GOOD, HZ, "2018-03", "90.0")])
        r = self.push([(GOOD, HZ, "2018-03", "91.5", "corrected")], reason="station 3 recalibrated")
        self.assertEqual(r.written, 1)
        same = self.push([(GOOD, HZ, "2018-03", "91.50", "corrected")])
        self.assertEqual((same.written, same.unchanged), (0, 1))
        h = self.history(GOOD, HZ, "2018-03").revisions
        # Stored as the figure, without a spreadsheet's trailing zeros.
        self.assertEqual([(x.revision, x.value) for x in h], [(1, "90"), (2, "91.5")])
        self.assertEqual(h[1].reason, "station 3 recalibrated")
        self.assertLess(h[0].recorded_at.ToDatetime(), h[1].recorded_at.ToDatetime())

    # -- who may write -------------------------------------------------------------

    def test_scope(self):
        err = self.assertRpcError(lambda: self.push([(GOOD, SZ, "2019-01", "80")]),
                                  grpc.StatusCode.PERMISSION_DENIED)
        self.assertIn("441300", err.details())
        br = bad_request(err)
        self.assertEqual([v.field for v in br.field_violations], ["values[0].region"])
        err = self.assertRpcError(lambda: self.push([(BUSES, HZ, "2019-01", "19")]),
                                  grpc.StatusCode.PERMISSION_DENIED)
        self.assertIn("transit", err.details())
        # Scope is checked before validation: a batch with both fails on scope.
        self.assertRpcError(lambda: self.push([(GOOD, SZ, "2019-01", "80"),
                                               (GOOD, HZ, "2019-13", "80")]),
                            grpc.StatusCode.PERMISSION_DENIED)
        # The transport bureau may write the bus lines.
        self.push([(BUSES, HZ, "2019-01", "19")], who="hzt")

    def test_tokens(self):
        req = indicators_pb2.PushValuesRequest(request_id="x", values=[
            indicators_pb2.ValueInput(indicator=GOOD, region=HZ, period="2019-02", value="1")])
        for md in ((), (("authorization", "Bearer rci_nope"),), (("authorization", "Basic abc"),)):
            with self.subTest(md=md):
                self.assertRpcError(lambda: self.stub.PushValues(req, metadata=md, timeout=10),
                                    grpc.StatusCode.UNAUTHENTICATED)
        self.assertRpcError(lambda: self.stub.QueryValues(indicators_pb2.QueryValuesRequest(),
                                                          timeout=10),
                            grpc.StatusCode.UNAUTHENTICATED)

    # -- validation ---------------------------------------------------------------------

    def test_every_bad_row_is_named_and_nothing_written(self):
        rows = [
            (GOOD, HZ, "2020-01", "97.0"),          # 0 fine
            ("air.nope", HZ, "2020-01", "1"),       # 1 unknown indicator
            (GOOD, "999999", "2020-01", "1"),       # 2 unknown region
            (GOOD, "szdghz", "2020-01", "1"),       # 3 a circle
            (GOOD, HZ, "2020-1", "1"),              # 4 period form
            (GOOD, HZ, "2020-Q1", "1"),             # 5 quarter for a monthly indicator
            (GOOD, HZ, "2020-02", "100.1"),         # 6 over 100 %
            (GOOD, HZ, "2020-03", "96.123"),        # 7 too many decimals
            (GOOD, HZ, "2020-04", "9 6"),           # 8 not a number
            (GOOD, HZ, "2020-01", "97.0"),          # 9 same cell as row 0
            (GOOD, HZ, "2020-05", "-1"),            # 10 below 0 %
        ]
        err = self.assertRpcError(lambda: self.push(rows), grpc.StatusCode.INVALID_ARGUMENT)
        br = bad_request(err)
        got = sorted(v.field for v in br.field_violations)
        want = sorted(["values[1].indicator", "values[2].region", "values[3].region",
                       "values[4].period", "values[5].period", "values[6].value",
                       "values[7].value", "values[8].value", "values[9].period",
                       "values[10].value"])
        self.assertEqual(got, want)
        self.assertIn("10 row(s) failed", err.details())
        self.assertRpcError(lambda: self.history(GOOD, HZ, "2020-01"), grpc.StatusCode.NOT_FOUND)
        # validate_only: the same failures as a normal answer, nothing written.
        r = self.push(rows, validate_only=True)
        self.assertEqual(sorted(f"values[{v.row}].{v.field}" for v in r.violations), want)
        self.assertEqual(r.batch_id, 0)
        self.assertRpcError(lambda: self.history(GOOD, HZ, "2020-01"), grpc.StatusCode.NOT_FOUND)

    def test_request_limits(self):
        self.assertRpcError(lambda: self.push([]), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertRpcError(lambda: self.push([(GOOD, HZ, "2020-06", "1")], request_id="has space"),
                            grpc.StatusCode.INVALID_ARGUMENT)
        many = [(GOOD, HZ, "2020-07", "1")] * 50001
        err = self.assertRpcError(lambda: self.push(many), grpc.StatusCode.RESOURCE_EXHAUSTED)
        self.assertIn("50000", err.details())

    def test_large_batch(self):
        # 35 years of months, 1950-1984: no other test uses those periods.
        rows = [(GOOD, HZ, f"{1950 + i // 12}-{i % 12 + 1:02d}", f"{50 + (i % 500) / 10:.1f}")
                for i in range(420)]
        r = self.push(rows)
        self.assertEqual(r.written, 420)

    # -- locks -----------------------------------------------------------------------------

    def test_locked_period_needs_admin_override(self):
        self.push([(GOOD, HZ, "2021-01", "90")])
        self.pg.psql("INSERT INTO period_locks (indicator_code, frequency, period, reason) "
                     f"VALUES ('{GOOD}', 'monthly', '2021-01', 'year-end summary')")
        err = self.assertRpcError(lambda: self.push([(GOOD, HZ, "2021-01", "91")]),
                                  grpc.StatusCode.FAILED_PRECONDITION)
        self.assertEqual([v.field for v in bad_request(err).field_violations], ["values[0].period"])
        # A dry run finds what the push would refuse.
        r = self.push([(GOOD, HZ, "2021-02", "91"), (GOOD, HZ, "2021-01", "91")], validate_only=True)
        self.assertEqual([(v.row, v.field) for v in r.violations], [(1, "period")])
        self.assertIn("locked", r.violations[0].description)
        self.assertRpcError(lambda: self.push([(GOOD, HZ, "2021-01", "91")], override_lock=True,
                                              reason="audit finding"),
                            grpc.StatusCode.PERMISSION_DENIED)
        self.assertRpcError(lambda: self.push([(GOOD, HZ, "2021-01", "91")], who="hz_admin",
                                              override_lock=True),
                            grpc.StatusCode.INVALID_ARGUMENT)   # a reason is required
        r = self.push([(GOOD, HZ, "2021-01", "91")], who="hz_admin", override_lock=True,
                      reason="audit finding")
        self.assertEqual(r.written, 1)
        self.assertEqual(self.history(GOOD, HZ, "2021-01").revisions[-1].reason, "audit finding")

    # -- concurrency --------------------------------------------------------------------

    def test_concurrent_pushes_to_one_cell(self):
        n_threads, per_thread = 8, 5
        errors = []

        def worker(t):
            stub = indicators_pb2_grpc.IndicatorServiceStub(
                self.rcid.channel(options=[("grpc.use_local_subchannel_pool", 1)]))
            for k in range(per_thread):
                v = f"{t * 10 + k}.5"
                req = indicators_pb2.PushValuesRequest(request_id=f"c-{t}-{k}", values=[
                    indicators_pb2.ValueInput(indicator=GOOD, region=HZ, period="2022-06",
                                              value=v)])
                for attempt in range(5):
                    try:
                        stub.PushValues(req, metadata=self.md(), timeout=20)
                        break
                    except grpc.RpcError as e:   # ABORTED (deadlock/serialization) may retry
                        if e.code() != grpc.StatusCode.ABORTED or attempt == 4:
                            errors.append(e)
                            break

        threads = [threading.Thread(target=worker, args=(t,)) for t in range(n_threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        revs = self.history(GOOD, HZ, "2022-06").revisions
        self.assertEqual([r.revision for r in revs], list(range(1, n_threads * per_thread + 1)))
        latest = self.query(indicators=[GOOD], regions=[HZ], period_from="2022-06",
                            period_to="2022-06").values[0]
        self.assertEqual((latest.revision, latest.value), (revs[-1].revision, revs[-1].value))

    # -- as of ----------------------------------------------------------------------------------

    def test_as_of_instants(self):
        per = "2023-04"
        q = lambda t: [(v.value, v.revision) for v in self.query(
            indicators=[GOOD], regions=[HZ], period_from=per, period_to=per, as_of=t).values]
        t0 = ts_now()
        time.sleep(0.05)
        self.push([(GOOD, HZ, per, "80.0")])
        time.sleep(0.05)
        t1 = ts_now()
        time.sleep(0.05)
        self.push([(GOOD, HZ, per, "81.0")])
        time.sleep(0.05)
        t2 = ts_now()
        self.assertEqual(q(t0), [])
        self.assertEqual(q(t1), [("80", 1)])
        self.assertEqual(q(t2), [("81", 2)])
        future = timestamp_pb2.Timestamp(seconds=int(time.time()) + 3600)
        self.assertRpcError(lambda: q(future), grpc.StatusCode.INVALID_ARGUMENT)

    def _commit_lock_held(self):
        """Whether some transaction holds the commit-order lock of 0004 exclusively."""
        return self.pg.psql(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND mode = 'ExclusiveLock' AND ((classid::bigint << 32) | objid::bigint) = "
            "rci_commit_lock_key()").strip() == "1"

    def _psql_session(self):
        """An interactive psql on the test database, to hold a transaction open."""
        p = subprocess.Popen(
            (["runuser", "-u", "postgres", "--"] if harness.IS_ROOT else []) +
            [f"{self.pg.bindir}/psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
             "-h", self.pg.sockdir, "-U", self.pg.user, "-d", self.pg.dbname],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(p.kill)
        return p

    def _write_sql(self, per, value, rid):
        return (f"SELECT status FROM rci_push_write('hz-eeb', NULL, '{rid}', "
                f"decode('{hashlib.sha256(rid.encode()).hexdigest()}', 'hex'), '', false, 'test', "
                f"now(), ARRAY['{GOOD}'], ARRAY['{HZ}'], ARRAY['{per}'], "
                f"ARRAY['{per}-28'::date], ARRAY[{value}::numeric], ARRAY['']);\n")

    def test_as_of_is_repeatable_with_overlapping_transactions(self):
        """DESIGN §6: the answer for instant T never changes once T has passed."""
        q = lambda per, t: [v.value for v in self.query(
            indicators=[GOOD], regions=[HZ], period_from=per, period_to=per, as_of=t).values]

        # A transaction that started before T and commits after it must not
        # appear at T.
        s = self._psql_session()
        s.stdin.write("BEGIN;\nSELECT 1;\n")
        s.stdin.flush()
        time.sleep(0.2)
        t = ts_now()
        before = q("2023-05", t)
        s.stdin.write(self._write_sql("2023-05", 70, "overlap-a") + "COMMIT;\n")
        s.stdin.close()
        s.wait(timeout=20)
        self.assertEqual(s.returncode, 0, s.stderr.read())
        self.assertEqual(before, [])
        self.assertEqual(q("2023-05", t), [], "a later commit appeared at an earlier instant")
        self.assertEqual(q("2023-05", ts_now()), ["70"])

        # A writer inside its commit window (committed_at taken, not yet
        # committed) is waited for by a reader at a later instant, so the
        # reader's answer is the one it will always be.
        s = self._psql_session()
        s.stdin.write("BEGIN;\n" + self._write_sql("2023-06", 71, "overlap-b"))
        s.stdin.flush()
        # The writer is inside its commit window once it holds the commit-order
        # lock (rci_commit_lock_key, exclusive until COMMIT).
        harness.wait_for(self._commit_lock_held, 20, what="the writer to take the commit lock")
        t = ts_now()
        result = {}
        reader = threading.Thread(target=lambda: result.setdefault("v", q("2023-06", t)))
        reader.start()
        reader.join(0.5)
        self.assertTrue(reader.is_alive(), "the reader did not wait for the committing writer")
        s.stdin.write("COMMIT;\n")
        s.stdin.close()
        s.wait(timeout=20)
        reader.join(10)
        self.assertEqual(result.get("v"), ["71"])
        self.assertEqual(q("2023-06", t), ["71"])

    # -- queries --------------------------------------------------------------------------------

    def test_paging_and_circles(self):
        rows = [(GOOD, HZ, f"2024-{m:02d}", f"{90 + m / 10:.1f}") for m in range(1, 13)]
        self.push(rows)
        self.push([(GOOD, SZ, f"2024-{m:02d}", "88.0") for m in range(1, 13)], who="sz")
        seen, token = [], ""
        while True:
            r = self.query(indicators=[GOOD], regions=[HZ, SZ], period_from="2024-01",
                           period_to="2024-12", page_size=5, page_token=token)
            seen += [(v.region, v.period) for v in r.values]
            token = r.next_page_token
            if not token:
                break
        self.assertEqual(len(seen), 24)
        self.assertEqual(seen, sorted(seen))
        self.assertEqual(len(set(seen)), 24)
        # A circle stands for its members (深莞惠 has both cities).
        r = self.query(indicators=[GOOD], regions=["szdghz"], period_from="2024", period_to="2024")
        self.assertEqual({v.region for v in r.values}, {HZ, SZ})
        # A yearly range covers the months in it.
        self.assertEqual(len(r.values), 24)
        self.assertRpcError(lambda: self.query(page_token="garbage!"),
                            grpc.StatusCode.INVALID_ARGUMENT)
        self.assertRpcError(lambda: self.query(period_from="2024-13"),
                            grpc.StatusCode.INVALID_ARGUMENT)

    def test_audit_row_per_push(self):
        r = self.push([(GOOD, HZ, "2025-01", "95")], request_id="audited-1")
        rows = self.pg.psql("SELECT action, agency_code, (detail->>'batch_id')::bigint FROM audit "
                            "WHERE request_id = 'audited-1'")
        self.assertEqual(rows.strip(), f"push|hz-eeb|{r.batch_id}")


if __name__ == "__main__":
    unittest.main()
