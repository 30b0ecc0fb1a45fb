"""rcictl for agencies: push, query, history, indicators, agencies (issue 3).

rcictl runs as a subprocess against a real rcid and PostgreSQL; what it
wrote is checked through python3-grpcio, independently of rcictl's own
reading commands. Tokens are made straight in the database, as in
test_values.py.

Every test writes its own periods (a year of its own, see the YEAR_*
constants), so tests do not depend on each other's order, and no two
files have the same bytes (rcictl derives request ids from them).
"""
import hashlib
import json
import os
import pty
import re
import secrets
import select
import shutil
import subprocess
import tempfile
import time

import grpc
from google.protobuf import timestamp_pb2

import harness
from rci.v1 import indicators_pb2, indicators_pb2_grpc

HZ = "441300"      # Huizhou
SZ = "440300"      # Shenzhen
GOOD = "air.good_days_rate"   # monthly, percent 0..100, 1 decimal
PM25 = "air.pm25_mean"        # monthly, decimal 0..500, 0 decimals
AIR_MONTHLY = ["air.co_p95", "air.composite_index", "air.good_days_rate",
               "air.heavy_pollution_days", "air.no2_mean", "air.o3_8h_p90", "air.pm10_mean",
               "air.pm25_mean", "air.so2_mean", "water.section_compliance_rate"]

HEADER = "indicator,region,period,value,note\n"


class RcictlValuesTest(harness.RcidTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix="rci-ctl-values-", dir="/tmp")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.tokens = {}
        for name, agency in (("hz", "hz-eeb"), ("sz", "sz-eeb"), ("hzt", "hz-transport")):
            cls.tokens[name] = cls.make_token(agency)
        cls.stub = indicators_pb2_grpc.IndicatorServiceStub(cls.rcid.channel())

    @classmethod
    def make_token(cls, agency, admin=False):
        secret = "rci_" + secrets.token_urlsafe(32)
        digest = hashlib.sha256(secret.encode()).hexdigest()
        cls.pg.psql(f"INSERT INTO tokens (agency_code, admin, hash, prefix) VALUES "
                    f"('{agency}', {str(admin).lower()}, decode('{digest}', 'hex'), "
                    f"'{secret[:8]}')")
        return secret

    # -- helpers ------------------------------------------------------------------

    def write(self, name, content):
        """A file in the class's temp dir: str is written as UTF-8, bytes as is."""
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    def ctl(self, *args, who="hz", timeout=120):
        argv = list(args)
        if who:
            argv = ["--token", self.tokens[who]] + argv
        p = self.rcid.rcictl(*argv, timeout=timeout)
        # Under ASan a leak or a bad access exits 1, like a refused push.
        self.assertNotIn("Sanitizer", p.stderr, p.stderr)
        return p

    def ok(self, p):
        self.assertEqual(p.returncode, 0, f"rcictl failed ({p.returncode}):\n{p.stdout}\n"
                                          f"{p.stderr}\n--- rcid ---\n{self.rcid.log_tail(20)}")
        return p

    def fails(self, p, code=1):
        self.assertEqual(p.returncode, code, f"expected exit {code}, got {p.returncode}:\n"
                                             f"{p.stdout}\n{p.stderr}")
        return p

    def push_json(self, path, *args, who="hz"):
        p = self.ctl("push", path, "--format", "json", *args, who=who)
        return p, json.loads(p.stdout)

    def cell(self, indicator, region, period):
        """(value, note, revision) of the latest revision, or None."""
        r = self.stub.QueryValues(indicators_pb2.QueryValuesRequest(
            indicators=[indicator], regions=[region], period_from=period, period_to=period),
            metadata=(("authorization", "Bearer " + self.tokens["hz"]),), timeout=10)
        vals = [v for v in r.values if v.period == period]
        return (vals[0].value, vals[0].note, vals[0].revision) if vals else None

    def cells(self, region, period_from, period_to, indicators=()):
        out, token = [], ""
        while True:
            r = self.stub.QueryValues(indicators_pb2.QueryValuesRequest(
                indicators=list(indicators), regions=[region], period_from=period_from,
                period_to=period_to, page_size=10000, page_token=token),
                metadata=(("authorization", "Bearer " + self.tokens["hz"]),), timeout=30)
            out += list(r.values)
            token = r.next_page_token
            if not token:
                return out

    def history(self, indicator, region, period):
        return self.stub.GetHistory(indicators_pb2.GetHistoryRequest(
            indicator=indicator, region=region, period=period),
            metadata=(("authorization", "Bearer " + self.tokens["hz"]),), timeout=10).revisions

    def bad_lines(self, stderr):
        """{line: [(field, text)]} from rcictl's "line N: field: text" lines."""
        out = {}
        for m in re.finditer(r"^line (\d+): (?:([a-z_]+): )?(.*)$", stderr, re.M):
            out.setdefault(int(m.group(1)), []).append((m.group(2) or "", m.group(3)))
        return out

    # -- encodings ------------------------------------------------------------------

    def test_push_utf8(self):
        path = self.write("utf8.csv", HEADER +
                          f"{GOOD},{HZ},2001-01,96.7,seed 000\n"
                          f"{GOOD},{HZ},2001-02,95.0,\n"
                          f"{PM25},{HZ},2001-01,28,\n")
        p = self.ok(self.ctl("push", path))
        self.assertIn("rows read 3, batches 1, written 3, unchanged 0, replayed 0, failed 0",
                      p.stdout)
        self.assertRegex(p.stdout, r"written\s+3\s+0\s+\d+\s+2\d{3}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00")
        self.assertEqual(self.cell(GOOD, HZ, "2001-01"), ("96.7", "seed 000", 1))
        self.assertEqual(self.cell(GOOD, HZ, "2001-02"), ("95", "", 1))
        self.assertEqual(self.cell(PM25, HZ, "2001-01"), ("28", "", 1))
        self.assertEqual(p.stderr, "")      # not a terminal: no progress bar

    def test_push_utf8_bom_crlf(self):
        # Excel's "CSV UTF-8": a byte-order mark and CRLF line ends, Chinese headers.
        text = ("指标,地区,期间,数值,备注\r\n"
                f"{GOOD},{HZ},2002-01,93.1,春节\r\n"
                f"{GOOD},惠州市,2002-02,  92.4 ,\r\n")
        path = self.write("bom.csv", b"\xef\xbb\xbf" + text.encode("utf-8"))
        p, out = self.push_json(path)
        self.ok(p)
        self.assertEqual((out["encoding"], out["bom"], out["rows_read"], out["written"]),
                         ("utf-8", True, 2, 2))
        self.assertEqual(out["problems"], [])
        self.assertEqual(self.cell(GOOD, HZ, "2002-01"), ("93.1", "春节", 1))
        self.assertEqual(self.cell(GOOD, HZ, "2002-02"), ("92.4", "", 1))

    def test_push_gb18030(self):
        # "CSV" saved by Excel on a Chinese Windows: GBK, Chinese headers, city
        # names instead of codes (full, short, English), Chinese notes.
        text = ("指标,城市,期间,数值,备注\r\n"
                f"{GOOD},惠州市,2003-01,91.5,春节期间\r\n"
                f"{GOOD},惠州,2003-02,92,\r\n"
                f"{PM25},Huizhou,2003-01,30,站点“西湖”检修\r\n")
        path = self.write("gbk.csv", text.encode("gb18030"))
        p, out = self.push_json(path)
        self.ok(p)
        self.assertEqual((out["encoding"], out["bom"], out["written"]), ("gb18030", False, 3))
        self.assertEqual(self.cell(GOOD, HZ, "2003-01"), ("91.5", "春节期间", 1))
        self.assertEqual(self.cell(GOOD, HZ, "2003-02"), ("92", "", 1))
        self.assertEqual(self.cell(PM25, HZ, "2003-01"), ("30", "站点“西湖”检修", 1))

    def test_forced_wrong_encoding_sends_nothing(self):
        text = ("指标,城市,期间,数值\n" f"{GOOD},惠州市,2003-05,90\n")
        path = self.write("gbk-forced.csv", text.encode("gb18030"))
        p = self.fails(self.ctl("push", path, "--encoding", "utf-8"))
        self.assertIn("not valid UTF-8", p.stderr)
        self.assertIn("line 1", p.stderr)
        self.assertIn("nothing was sent", p.stderr)
        self.assertIsNone(self.cell(GOOD, HZ, "2003-05"))
        # Forcing the right one works, as auto does.
        self.ok(self.ctl("push", path, "--encoding", "gb18030"))
        self.assertEqual(self.cell(GOOD, HZ, "2003-05"), ("90", "", 1))

    # -- bad rows --------------------------------------------------------------------

    def test_bad_rows_by_line_and_field_nothing_written(self):
        path = self.write("bad.csv", HEADER +
                          f"{GOOD},{HZ},2004-01,96.7,fine\n"          # line 2
                          f"{GOOD},{HZ},2004-1,96.7,\n"               # 3 period
                          f"{GOOD},{HZ},2004-03,101,\n"               # 4 value > 100
                          f"{PM25},{HZ},2004-03,25.5,\n"              # 5 decimals
                          f"air.nonsense,{HZ},2004-03,1,\n"           # 6 indicator
                          f"{GOOD},惠州x,2004-04,90,\n"               # 7 region name
                          f"{GOOD},{SZ},2004-05,90,\n"                # 8 scope: other city
                          "transit.cross_city_bus_lines,441300,2004-05,3,\n"  # 9 scope: domain
                          f"{GOOD},{HZ},2004-01,96.8,\n"              # 10 same cell as line 2
                          f"{GOOD},{HZ},,96.8,\n"                     # 11 empty period
                          f"{GOOD},{HZ},2004-06,96.8,\n")             # 12 fine
        p = self.fails(self.ctl("push", path))
        bad = self.bad_lines(p.stderr)
        self.assertEqual(sorted(bad), [3, 4, 5, 6, 7, 8, 9, 10, 11], p.stderr)
        self.assertEqual(bad[3][0][0], "period")
        self.assertIn("expected YYYY-MM", bad[3][0][1])
        self.assertEqual(bad[4][0][0], "value")
        self.assertEqual(bad[5][0][0], "value")
        self.assertEqual(bad[6][0][0], "indicator")
        self.assertEqual(bad[7][0][0], "region")
        self.assertIn("惠州x", bad[7][0][1])
        self.assertEqual(bad[8][0][0], "region")
        self.assertIn(SZ, bad[8][0][1])
        self.assertEqual(bad[9][0][0], "indicator")
        self.assertIn("transit", bad[9][0][1])
        self.assertEqual(bad[10][0][0], "period")
        self.assertIn("line 2", bad[10][0][1])
        self.assertEqual(bad[11], [("period", "empty")])
        self.assertIn("9 bad rows; nothing was written", p.stderr)
        self.assertIn("rows read 11, batches 1, written 0, unchanged 0, replayed 0, failed 11",
                      p.stdout)
        # The good rows were not written either.
        self.assertIsNone(self.cell(GOOD, HZ, "2004-01"))
        self.assertIsNone(self.cell(GOOD, HZ, "2004-06"))
        # JSON carries the same list.
        p, out = self.push_json(path)
        self.fails(p)
        self.assertEqual(sorted({x["line"] for x in out["problems"]}),
                         [3, 4, 5, 6, 7, 8, 9, 10, 11])
        self.assertEqual(out["written"], 0)

    def test_csv_reader_rejects_rows_and_sends_nothing(self):
        path = self.write("ragged.csv", HEADER +
                          f"{GOOD},{HZ},2005-01,96.7,\n"              # 2
                          f"{GOOD},{HZ},2005-02,96.7\n"               # 3 four fields
                          f'{GOOD},{HZ},2005-03,9"6,\n'               # 4 stray quote
                          f"{GOOD},{HZ},2005-13,96.7,\n"              # 5 bad period (server's)
                          ",,,,\n"                                    # 6 blank: skipped
                          f'{GOOD},{HZ},2005-04,90,"never closed\n'   # 7
                          f"{GOOD},{HZ},2005-05,90,\n")               # 8 (inside the quote)
        p = self.fails(self.ctl("push", path))
        bad = self.bad_lines(p.stderr)
        self.assertEqual(sorted(bad), [3, 4, 7], p.stderr)
        self.assertIn("4 fields, but the header has 5", bad[3][0][1])
        self.assertIn("quote", bad[4][0][1])
        self.assertIn("never closed", bad[7][0][1])
        self.assertIn("nothing was sent", p.stderr)
        self.assertIsNone(self.cell(GOOD, HZ, "2005-01"))
        # Nothing sent at all: not even a validate-only call reached the
        # server (the server's own check of line 5 is not reported).
        self.assertNotIn("line 5", p.stderr)

    def test_many_bad_rows_all_listed(self):
        # The trailers carry at most 100 violations; rcictl asks validate_only
        # for the rest, so every bad row is listed by its line.
        rows = [f"{PM25},{HZ},2009-{m:02d},5,\n" for m in range(1, 13)]
        rows += [f"{PM25},{HZ},{1800 + y}-13,5,\n" for y in range(150)]
        path = self.write("many-bad.csv", HEADER + "".join(rows))
        p = self.fails(self.ctl("push", path))
        bad = self.bad_lines(p.stderr)
        self.assertEqual(sorted(bad), list(range(14, 164)))
        self.assertIn("150 bad rows; nothing was written", p.stderr)
        self.assertIsNone(self.cell(PM25, HZ, "2009-01"))

    def test_header_problems(self):
        p = self.fails(self.ctl("push", self.write("nohdr.csv", "a,b,c\n1,2,3\n")))
        self.assertIn("line 1: the header has no indicator column", p.stderr)
        p = self.fails(self.ctl("push", self.write("empty.csv", "")))
        self.assertIn("empty", p.stderr)
        # An unknown column is ignored with a warning.
        path = self.write("extra.csv", "indicator,region,period,value,省份\n"
                                       f"{GOOD},{HZ},2005-09,88,广东\n")
        p = self.ok(self.ctl("push", path))
        self.assertIn('column 5 ("省份")', p.stderr)
        self.assertEqual(self.cell(GOOD, HZ, "2005-09"), ("88", "", 1))

    def test_scope_refused_rows(self):
        path = self.write("sz.csv", HEADER + f"{GOOD},{HZ},2004-08,90,\n")
        p = self.fails(self.ctl("push", path, who="sz"))
        self.assertIn("line 2: region: agency sz-eeb reports for city 440300", p.stderr)
        self.assertIsNone(self.cell(GOOD, HZ, "2004-08"))

    # -- dry run ------------------------------------------------------------------------

    def test_dry_run_writes_nothing(self):
        good = self.write("dry.csv", HEADER + f"{GOOD},{HZ},2006-01,90,\n{GOOD},{HZ},2006-02,91,\n")
        p = self.ok(self.ctl("push", good, "--dry-run"))
        self.assertIn("dry run: rows read 2, batches 1, bad rows 0; nothing was written", p.stdout)
        self.assertIsNone(self.cell(GOOD, HZ, "2006-01"))
        self.assertIsNone(self.cell(GOOD, HZ, "2006-02"))
        # Bad rows come back in the validate-only response, by line.
        bad = self.write("dry-bad.csv", HEADER + f"{GOOD},{HZ},2006-03,90,\n"
                                                 f"{GOOD},{HZ},2006-04,-1,\n"
                                                 f"{GOOD},{HZ},2006-Q2,90,\n")
        p = self.fails(self.ctl("push", bad, "--dry-run"))
        self.assertEqual(sorted(self.bad_lines(p.stderr)), [3, 4])
        self.assertIn("dry run: rows read 3, batches 1, bad rows 2", p.stdout)
        self.assertIsNone(self.cell(GOOD, HZ, "2006-03"))
        # After the dry run, the real push of the good file writes (the dry
        # run did not use up its request id).
        self.ok(self.ctl("push", good))
        self.assertEqual(self.cell(GOOD, HZ, "2006-01"), ("90", "", 1))

    # -- replay ----------------------------------------------------------------------------

    def test_rerun_same_file_replays(self):
        path = self.write("replay.csv", HEADER + f"{GOOD},{HZ},2007-01,90.5,\n"
                                                 f"{GOOD},{HZ},2007-02,91.5,\n")
        p1, first = self.push_json(path)
        self.ok(p1)
        self.assertEqual([b["result"] for b in first["batches"]], ["written"])
        p2 = self.ok(self.ctl("push", path))
        self.assertIn("rows read 2, batches 1, written 0, unchanged 0, replayed 2, failed 0",
                      p2.stdout)
        self.assertIn("idempotent replay", p2.stdout)
        p3, third = self.push_json(path)
        self.ok(p3)
        self.assertEqual(third["batches"][0]["result"], "replayed")
        self.assertEqual(third["batches"][0]["request_id"], first["batches"][0]["request_id"])
        self.assertEqual(third["batches"][0]["batch_id"], first["batches"][0]["batch_id"])
        self.assertEqual(len(self.history(GOOD, HZ, "2007-01")), 1)
        # Another reason is other content: new request ids, not ALREADY_EXISTS;
        # the values are the same, so nothing new is written.
        p4 = self.ok(self.ctl("push", path, "--reason", "re-sent"))
        self.assertIn("written 0, unchanged 2", p4.stdout)
        self.assertEqual(len(self.history(GOOD, HZ, "2007-01")), 1)

    def test_request_id_option(self):
        path = self.write("rid.csv", HEADER + "".join(
            f"{GOOD},{HZ},2012-{m:02d},{80 + m},\n" for m in range(1, 6)))
        p, out = self.push_json(path, "--request-id", "hz-eeb-2012", "--batch-rows", "2",
                                "--reason", "monthly export")
        self.ok(p)
        self.assertEqual([b["request_id"] for b in out["batches"]],
                         ["hz-eeb-2012-1of3", "hz-eeb-2012-2of3", "hz-eeb-2012-3of3"])
        h = self.history(GOOD, HZ, "2012-05")
        self.assertEqual([(r.request_id, r.reason) for r in h],
                         [("hz-eeb-2012-3of3", "monthly export")])
        p = self.fails(self.ctl("push", path, "--request-id", "has space"), code=2)

    # -- batches --------------------------------------------------------------------------

    def test_large_file_split_into_batches(self):
        rows = [f"{ind},{HZ},{y}-{m:02d},{(y + m) % 30}\n"
                for y in range(1901, 1966) for m in range(1, 13) for ind in AIR_MONTHLY]
        self.assertEqual(len(rows), 7800)
        path = self.write("big.csv", "indicator,region,period,value\n" + "".join(rows))
        p, out = self.push_json(path)
        self.ok(p)
        self.assertEqual([(b["rows"], b["first_line"], b["last_line"], b["result"])
                          for b in out["batches"]],
                         [(5000, 2, 5001, "written"), (2800, 5002, 7801, "written")])
        self.assertTrue(out["batches"][0]["request_id"].endswith("-1of2"))
        self.assertEqual((out["rows_read"], out["written"], out["failed"]), (7800, 7800, 0))
        self.assertEqual(len(self.cells(HZ, "1901", "1965")), 7800)
        # Smaller batches on request (a dry run: nothing more is written).
        p = self.ok(self.ctl("push", path, "--batch-rows", "1000", "--dry-run", "--format", "csv"))
        lines = p.stdout.strip().split("\n")
        self.assertEqual(lines[0], "batch,request_id,lines,rows,result,written,unchanged,"
                                   "batch_id,committed_at")
        self.assertEqual(len(lines), 1 + 8)
        # rcictl query follows the pages (5,000 rows each) to the end.
        p = self.ok(self.ctl("query", "--region", HZ, "--from", "1901", "--to", "1965",
                             "--format", "csv"))
        self.assertEqual(len(p.stdout.strip().split("\n")), 1 + 7800)
        p = self.ok(self.ctl("query", "--region", HZ, "--from", "1901", "--to", "1965",
                             "--limit", "5003", "--format", "json"))
        self.assertEqual(len(json.loads(p.stdout)), 5003)

    def test_batches_split_by_bytes(self):
        # 1,800 rows with 900-byte notes: 1.6 MB of values, so two calls
        # although the row count is under --batch-rows.
        note = "备注" * 150    # 900 bytes of UTF-8
        rows = [f"{ind},{HZ},{y}-{m:02d},{m},{note}\n"
                for y in range(1966, 1981) for m in range(1, 13) for ind in AIR_MONTHLY]
        self.assertEqual(len(rows), 1800)
        path = self.write("notes.csv", HEADER + "".join(rows))
        p, out = self.push_json(path)
        self.ok(p)
        self.assertGreaterEqual(len(out["batches"]), 2)
        self.assertTrue(all(b["rows"] < 1800 for b in out["batches"]))
        self.assertEqual(sum(b["rows"] for b in out["batches"]), 1800)
        self.assertEqual(out["written"], 1800)
        self.assertEqual(self.cell(PM25, HZ, "1980-12"), ("12", note, 1))

    def test_locked_period_found_before_anything_is_written(self):
        # The multi-batch pre-check (validate_only) reports locked periods too,
        # so a file with a locked cell in batch 2 of 3 writes nothing at all.
        self.pg.psql("INSERT INTO period_locks (indicator_code, frequency, period, reason) "
                     f"VALUES ('{PM25}', 'monthly', '2008-03', 'closed for the test')")
        path = self.write("lock.csv", HEADER + "".join(
            f"{PM25},{HZ},2008-{m:02d},{20 + m},\n" for m in range(1, 6)))
        p, out = self.push_json(path, "--batch-rows", "2")
        self.fails(p)
        self.assertEqual([(x["line"], x["field"]) for x in out["problems"]], [(4, "period")])
        self.assertIn("locked", p.stdout + p.stderr)
        self.assertIsNone(self.cell(PM25, HZ, "2008-01"))
        self.assertIsNone(self.cell(PM25, HZ, "2008-04"))
        # Once unlocked, the same file is written whole.
        self.pg.psql(f"DELETE FROM period_locks WHERE indicator_code = '{PM25}' "
                     "AND period = '2008-03'")
        p, out = self.push_json(path, "--batch-rows", "2")
        self.ok(p)
        self.assertEqual([b["result"] for b in out["batches"]], ["written", "written", "written"])
        self.assertEqual((out["written"], out["failed"]), (5, 0))
        self.assertEqual(self.cell(PM25, HZ, "2008-05"), ("25", "", 1))

    def test_progress_bar_only_on_a_terminal(self):
        path = self.write("tty.csv", HEADER + "".join(
            f"{GOOD},{HZ},2011-{m:02d},{70 + m},\n" for m in range(1, 13)))
        master, slave = pty.openpty()
        try:
            proc = subprocess.Popen(
                [harness.RCICTL, "--server", self.rcid.target, "--token", self.tokens["hz"],
                 "push", path, "--batch-rows", "5"],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave)
            os.close(slave)
            slave = None
            err = b""
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                r, _, _ = select.select([master], [], [], 0.5)
                if r:
                    try:
                        chunk = os.read(master, 4096)
                    except OSError:
                        break
                    if not chunk:
                        break
                    err += chunk
                elif proc.poll() is not None:
                    break
            out, _ = proc.communicate(timeout=30)
        finally:
            if slave is not None:
                os.close(slave)
            os.close(master)
        self.assertEqual(proc.returncode, 0, err)
        text = err.decode("utf-8", "replace")
        self.assertNotIn("Sanitizer", text, text)
        self.assertIn("\r", text)
        self.assertIn("3/3 batches, 12/12 rows", text)
        self.assertIn("\x1b[K", text)                 # the bar is cleared at the end
        self.assertNotIn("\r", out.decode())          # stdout stays clean
        self.assertIn(b"written 12", out)

    # -- reading: query, history ------------------------------------------------------------

    def test_query_and_history_outputs(self):
        path = self.write("q1.csv", HEADER + f"{GOOD},{HZ},2010-01,90,first\n"
                                             f"{GOOD},{HZ},2010-02,91,\n")
        self.ok(self.ctl("push", path))
        time.sleep(0.05)
        between = timestamp_pb2.Timestamp()
        between.GetCurrentTime()
        time.sleep(0.05)
        path2 = self.write("q2.csv", HEADER + f"{GOOD},{HZ},2010-01,92.5,corrected\n")
        self.ok(self.ctl("push", path2, "--reason", "station 3 recalibrated"))

        # Table: aligned, with a header; instants in +08:00.
        p = self.ok(self.ctl("query", "--indicator", GOOD, "--region", HZ, "--from", "2010-01",
                             "--to", "2010-02"))
        lines = p.stdout.rstrip("\n").split("\n")
        self.assertEqual(lines[0].split(), ["INDICATOR", "REGION", "PERIOD", "VALUE", "REV",
                                            "AGENCY", "RECORDED", "NOTE"])
        self.assertEqual(lines[1].split()[:6], [GOOD, HZ, "2010-01", "92.5", "2", "hz-eeb"])
        self.assertRegex(lines[1].split()[6], r"^2\d{3}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+08:00$")
        self.assertEqual(lines[1].split()[7], "corrected")
        self.assertEqual(lines[2].split()[:5], [GOOD, HZ, "2010-02", "91", "1"])
        self.assertEqual(lines[0].index("VALUE"), lines[1].index("92.5"))   # aligned

        # JSON: typed; the circle stands for its members.
        p = self.ok(self.ctl("query", "--indicator", GOOD, "--region", "szdghz", "--from",
                             "2010-01", "--to", "2010-02", "--format", "json"))
        rows = json.loads(p.stdout)
        self.assertEqual([(r["region"], r["period"], r["value"], r["revision"]) for r in rows],
                         [(HZ, "2010-01", "92.5", 2), (HZ, "2010-02", "91", 1)])
        self.assertTrue(rows[0]["recorded_at"].endswith("+08:00"))

        # As of an instant between the two pushes: the first value.
        when = between.ToDatetime().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        p = self.ok(self.ctl("query", "--indicator", GOOD, "--region", HZ, "--from", "2010-01",
                             "--to", "2010-01", "--as-of", when, "--format", "csv"))
        lines = p.stdout.strip().split("\n")
        self.assertEqual(lines[0], "indicator,region,period,value,note,revision,agency_code,"
                                   "recorded_at")
        self.assertEqual(lines[1].split(",")[:6], [GOOD, HZ, "2010-01", "90", "first", "1"])
        p = self.ok(self.ctl("query", "--indicator", GOOD, "--region", HZ, "--from", "2010-01",
                             "--to", "2010-01", "--as-of", "2000-01-01", "--format", "json"))
        self.assertEqual(json.loads(p.stdout), [])
        p = self.fails(self.ctl("query", "--as-of", "2999-01-01T00:00:00+08:00"))
        self.assertIn("INVALID_ARGUMENT", p.stderr)
        self.fails(self.ctl("query", "--as-of", "yesterday"), code=2)
        p = self.fails(self.ctl("query", "--from", "2010-13"))
        self.assertIn("INVALID_ARGUMENT", p.stderr)

        # History: every revision with who, when, why.
        p = self.ok(self.ctl("history", GOOD, HZ, "2010-01"))
        lines = p.stdout.rstrip("\n").split("\n")
        self.assertEqual(lines[0].split(), ["REV", "VALUE", "RECORDED", "AGENCY", "TOKEN",
                                            "REQUEST_ID", "REASON", "NOTE"])
        self.assertEqual(lines[1].split()[:2], ["1", "90"])
        self.assertEqual(lines[2].split()[:2], ["2", "92.5"])
        self.assertIn("station 3 recalibrated", lines[2])
        p = self.ok(self.ctl("history", GOOD, HZ, "2010-01", "--format", "json"))
        revs = json.loads(p.stdout)
        self.assertEqual([(r["revision"], r["value"], r["note"], r["agency_code"], r["reason"])
                          for r in revs],
                         [(1, "90", "first", "hz-eeb", ""),
                          (2, "92.5", "corrected", "hz-eeb", "station 3 recalibrated")])
        self.assertIsInstance(revs[0]["token_id"], int)
        self.assertTrue(revs[1]["request_id"].startswith("csv-"))
        self.assertTrue(all(r["recorded_at"].endswith("+08:00") for r in revs))
        p = self.ok(self.ctl("history", GOOD, HZ, "2010-01", "--format", "csv"))
        lines = p.stdout.strip().split("\n")
        self.assertEqual(lines[0], "revision,value,note,agency_code,token_id,request_id,reason,"
                                   "recorded_at")
        self.assertEqual(len(lines), 3)
        p = self.fails(self.ctl("history", GOOD, HZ, "1999-01"))
        self.assertIn("NOT_FOUND", p.stderr)
        self.fails(self.ctl("history", GOOD, HZ), code=2)

    def test_reading_needs_a_token(self):
        p = self.fails(self.ctl("query", "--limit", "1", who=None))
        self.assertIn("UNAUTHENTICATED", p.stderr)
        p = self.fails(self.ctl("push", self.write("anon.csv", HEADER + f"{GOOD},{HZ},2004-09,1,\n"),
                                who=None))
        self.assertIn("UNAUTHENTICATED", p.stderr)
        # Another agency's token reads the neighbours' values.
        self.ok(self.ctl("query", "--limit", "1", who="sz"))

    # -- catalogue: indicators, agencies ---------------------------------------------------

    def test_indicators_outputs(self):
        p = self.ok(self.ctl("indicators"))
        lines = p.stdout.rstrip("\n").split("\n")
        self.assertEqual(lines[0].split(), ["CODE", "NAME_ZH", "UNIT", "DOMAIN", "FREQUENCY",
                                            "TYPE", "RANGE", "DECIMALS", "AGGREGATION", "BETTER"])
        good = [l for l in lines if l.startswith(GOOD + " ")]
        self.assertEqual(len(good), 1)
        self.assertEqual(good[0].split()[1:], ["空气质量优良天数比例", "%", "environment",
                                               "monthly", "percent", "0..100", "1", "mean",
                                               "higher"])
        # Chinese names count two columns: the next column lines up.
        self.assertEqual(harness_width(lines[0][:lines[0].index("UNIT")]),
                         harness_width(good[0][:good[0].index(" % ") + 1]))

        p = self.ok(self.ctl("indicators", "--domain", "environment", "--format", "json"))
        inds = json.loads(p.stdout)
        self.assertTrue(inds)
        self.assertTrue(all(i["domain"] == "environment" for i in inds))
        g = [i for i in inds if i["code"] == GOOD][0]
        self.assertEqual((g["min_value"], g["max_value"], g["decimals"], g["frequency"],
                          g["value_type"], g["better"]),
                         (0, 100, 1, "monthly", "percent", "higher"))
        self.assertEqual(g["name_zh"], "空气质量优良天数比例")

        p = self.ok(self.ctl("indicators", "--frequency", "yearly", "--format", "csv"))
        lines = p.stdout.strip().split("\n")
        self.assertEqual(lines[0], "code,name_zh,name_en,unit,domain,frequency,value_type,"
                                   "min_value,max_value,decimals,aggregation,better,standard")
        self.assertTrue(all(",yearly," in l for l in lines[1:]))
        p = self.fails(self.ctl("indicators", "--domain", "nonsense"))
        self.assertIn("NOT_FOUND", p.stderr)
        self.fails(self.ctl("indicators", "--frequency", "weekly"), code=2)

    def test_agencies_outputs(self):
        p = self.ok(self.ctl("agencies", "--city", HZ))
        lines = p.stdout.rstrip("\n").split("\n")
        self.assertEqual(lines[0].split(), ["CODE", "CITY", "NAME_ZH", "NAME_EN", "DOMAINS"])
        eeb = [l for l in lines if l.startswith("hz-eeb ")]
        self.assertEqual(len(eeb), 1)
        self.assertIn("惠州市生态环境局", eeb[0])
        self.assertTrue(eeb[0].rstrip().endswith("environment"))
        self.assertTrue(all(l.split()[1] == HZ for l in lines[1:]))

        p = self.ok(self.ctl("agencies", "--domain", "environment", "--format", "json"))
        ags = json.loads(p.stdout)
        self.assertIn("hz-eeb", [a["code"] for a in ags])
        self.assertTrue(all("environment" in a["domains"] for a in ags))
        self.assertTrue(all(isinstance(a["domains"], list) for a in ags))

        p = self.ok(self.ctl("agencies", "--city", HZ, "--format", "csv"))
        lines = p.stdout.strip().split("\n")
        self.assertEqual(lines[0], "code,city_code,name_zh,name_en,domains")
        stats = [l for l in lines if l.startswith("hz-stats,")]
        self.assertTrue(stats[0].endswith(",economy;innovation"))
        p = self.fails(self.ctl("agencies", "--city", "999999"))
        self.assertIn("NOT_FOUND", p.stderr)

    # -- usage -------------------------------------------------------------------------------

    def test_usage_errors(self):
        self.fails(self.ctl("push"), code=2)
        path = self.write("u.csv", HEADER + f"{GOOD},{HZ},2004-10,1,\n")
        self.fails(self.ctl("push", path, "--batch-rows", "0"), code=2)
        self.fails(self.ctl("push", path, "--batch-rows", "50001"), code=2)
        self.fails(self.ctl("push", path, "--encoding", "latin1"), code=2)
        self.fails(self.ctl("push", path, path), code=2)
        p = self.fails(self.ctl("push", os.path.join(self.tmp, "missing.csv")))
        self.assertIn("No such file", p.stderr)
        p = self.ok(self.ctl("push", "--help"))
        self.assertIn("NOT ATOMIC", p.stdout)
        for cmd in ("query", "history", "indicators", "agencies"):
            self.assertIn("Usage: rcictl " + cmd, self.ok(self.ctl(cmd, "--help")).stdout)
        self.assertIsNone(self.cell(GOOD, HZ, "2004-10"))


def harness_width(s):
    """Terminal columns of s: East Asian wide characters count two."""
    import unicodedata
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


if __name__ == "__main__":
    import unittest
    unittest.main()
