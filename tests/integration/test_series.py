"""Series and circle aggregates: GetSeries and AggregateCircle (issue 3,
"Queries").

Through Debian's python3-grpcio against a real PostgreSQL. Values go in
through PushValues with each city agency's own token (tokens are made
straight in the database, as in test_values.py). Every expected aggregate
below is computed by hand in the comment next to it, from the values pushed
and the census figures of migrations/0002_registry.sql.

Each test uses periods no other test in this class touches, so the tests
are independent of their order.
"""
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

SZ, DG, HZ, SW, HY = "440300", "441900", "441300", "441500", "441600"   # 深莞惠+汕尾、河源
GZ, FS = "440100", "440600"
PREFIX = {SZ: "sz", DG: "dg", HZ: "hz", SW: "sw", HY: "hy", GZ: "gz", FS: "fs"}

GOOD = "air.good_days_rate"                   # monthly, percent, 1 decimal, mean
BUSES = "transit.cross_city_bus_lines"        # monthly, integer, sum
RAIL = "transit.intercity_rail_ridership"     # monthly, decimal, 2 decimals, sum
ROADS = "transit.border_roads_completed"      # quarterly, integer, sum
SEWAGE = "water.urban_sewage_treatment_rate"  # yearly, percent, 1 decimal, population-weighted
DRINK = "water.drinking_source_compliance_rate"   # half-yearly, percent, mean
GDP_GROWTH = "econ.gdp_growth"                # quarterly, none
# Added by this test (the catalogue has no daily or 'max' indicator, and a
# 6-decimal weighted mean shows exactly which population figures were used).
PEAK = "test.peak_aqi"                        # daily, integer, max
WEIGHTED = "test.weighted"                    # yearly, decimal, 6 decimals, weighted


def ts_now():
    t = timestamp_pb2.Timestamp()
    t.GetCurrentTime()
    return t


class SeriesTest(harness.RcidTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pg.psql(
            "INSERT INTO indicators (code, name_zh, name_en, unit, domain_code, frequency, "
            "value_type, min_value, max_value, decimals, aggregation, better) VALUES "
            f"('{PEAK}', '日最高AQI', 'Daily peak AQI', '', 'environment', 'daily', 'integer', "
            "0, 500, 0, 'max', 'lower'), "
            f"('{WEIGHTED}', '加权测试', 'Weighted test', '', 'environment', 'yearly', "
            "'decimal', 0, NULL, 6, 'population_weighted_mean', 'higher')")
        cls.tokens = {}
        cls.stub = indicators_pb2_grpc.IndicatorServiceStub(cls.rcid.channel())

    @classmethod
    def token(cls, agency):
        if agency not in cls.tokens:
            secret = "rci_" + secrets.token_urlsafe(32)
            digest = hashlib.sha256(secret.encode()).hexdigest()
            cls.pg.psql(f"INSERT INTO tokens (agency_code, admin, hash, prefix) VALUES "
                        f"('{agency}', false, decode('{digest}', 'hex'), '{secret[:8]}')")
            cls.tokens[agency] = secret
        return cls.tokens[agency]

    def md(self, agency="hz-eeb"):
        return (("authorization", "Bearer " + self.token(agency)),)

    def push(self, kind, rows):
        """Push rows (indicator, region, period, value), each city's rows with
        that city's `kind` agency (eeb, transport, stats)."""
        by_city = {}
        for row in rows:
            by_city.setdefault(row[1], []).append(row)
        for city, rs in by_city.items():
            req = indicators_pb2.PushValuesRequest(
                request_id=secrets.token_hex(8),
                values=[indicators_pb2.ValueInput(indicator=i, region=r, period=p, value=v)
                        for (i, r, p, v) in rs])
            self.stub.PushValues(req, metadata=self.md(f"{PREFIX[city]}-{kind}"), timeout=20)

    def series(self, indicator, region, period_from, period_to, as_of=None, who="hz-eeb"):
        r = self.stub.GetSeries(indicators_pb2.GetSeriesRequest(
            indicator=indicator, region=region, period_from=period_from, period_to=period_to,
            as_of=as_of), metadata=self.md(who), timeout=10)
        return [(p.period, p.value) for p in r.points]

    def aggregate(self, indicator, circle, period, as_of=None, who="hz-eeb"):
        r = self.stub.AggregateCircle(indicators_pb2.AggregateCircleRequest(
            indicator=indicator, circle=circle, period=period, as_of=as_of),
            metadata=self.md(who), timeout=10)
        return r.value, r.rule, list(r.members_reported), list(r.members_missing)

    # -- GetSeries ---------------------------------------------------------------------

    def test_series_has_every_period_and_the_gaps(self):
        self.push("eeb", [(GOOD, HZ, "2015-01", "95.1"), (GOOD, HZ, "2015-03", "96.7"),
                          (GOOD, HZ, "2015-06", "90")])
        self.assertEqual(self.series(GOOD, HZ, "2015-01", "2015-06"),
                         [("2015-01", "95.1"), ("2015-02", ""), ("2015-03", "96.7"),
                          ("2015-04", ""), ("2015-05", ""), ("2015-06", "90")])
        # A correction shows as the latest value.
        self.push("eeb", [(GOOD, HZ, "2015-02", "88.8"), (GOOD, HZ, "2015-03", "97.0")])
        self.assertEqual(self.series(GOOD, HZ, "2015-02", "2015-03"),
                         [("2015-02", "88.8"), ("2015-03", "97")])
        # Another city's values stay out.
        self.push("eeb", [(GOOD, SZ, "2015-04", "70.0")])
        self.assertEqual(self.series(GOOD, HZ, "2015-04", "2015-04"), [("2015-04", "")])
        self.assertEqual(self.series(GOOD, SZ, "2015-04", "2015-04"), [("2015-04", "70")])
        # Nothing pushed at all: every period, every one empty.
        self.assertEqual(self.series(GOOD, DG, "2015-01", "2015-03"),
                         [("2015-01", ""), ("2015-02", ""), ("2015-03", "")])

    def test_series_bounds_in_any_frequency(self):
        self.push("eeb", [(GOOD, HZ, "2014-12", "80.0"), (GOOD, HZ, "2014-07", "81.0")])
        # A year stands for its twelve months.
        year = self.series(GOOD, HZ, "2014", "2014")
        self.assertEqual([p for p, _ in year], [f"2014-{m:02d}" for m in range(1, 13)])
        self.assertEqual(dict(year)["2014-12"], "80")
        # Quarters and half-years: 2014-Q3..2014-H2 is July..December.
        self.assertEqual([p for p, _ in self.series(GOOD, HZ, "2014-Q3", "2014-H2")],
                         ["2014-07", "2014-08", "2014-09", "2014-10", "2014-11", "2014-12"])
        # Days: the periods whose last day lies in the range, as QueryValues
        # filters (July ends inside 2014-07-15..2014-09-20, September not).
        self.assertEqual([p for p, _ in self.series(GOOD, HZ, "2014-07-15", "2014-09-20")],
                         ["2014-07", "2014-08"])
        # A range holding no whole month's end: no points, not an error.
        self.assertEqual(self.series(GOOD, HZ, "2014-05-17", "2014-05-20"), [])
        # One period.
        self.assertEqual(self.series(GOOD, HZ, "2014-07", "2014-07"), [("2014-07", "81")])

    def test_series_of_each_frequency(self):
        # quarterly
        self.push("transport", [(ROADS, HZ, "2016-Q1", "3"), (ROADS, HZ, "2016-Q3", "11")])
        self.assertEqual(self.series(ROADS, HZ, "2016", "2016", who="hz-transport"),
                         [("2016-Q1", "3"), ("2016-Q2", ""), ("2016-Q3", "11"), ("2016-Q4", "")])
        # half-yearly, across a year end
        self.push("eeb", [(DRINK, HZ, "2016-H2", "100.0")])
        self.assertEqual(self.series(DRINK, HZ, "2016-H2", "2017-H1"),
                         [("2016-H2", "100"), ("2017-H1", "")])
        # yearly
        self.push("eeb", [(SEWAGE, HZ, "2012", "85.3"), (SEWAGE, HZ, "2014", "91.0")])
        self.assertEqual(self.series(SEWAGE, HZ, "2011", "2014"),
                         [("2011", ""), ("2012", "85.3"), ("2013", ""), ("2014", "91")])
        # daily, across a leap day
        self.push("eeb", [(PEAK, HZ, "2024-02-28", "61"), (PEAK, HZ, "2024-02-29", "75"),
                          (PEAK, HZ, "2024-03-02", "40")])
        self.assertEqual(self.series(PEAK, HZ, "2024-02-27", "2024-03-02"),
                         [("2024-02-27", ""), ("2024-02-28", "61"), ("2024-02-29", "75"),
                          ("2024-03-01", ""), ("2024-03-02", "40")])
        # a month as the bounds of a daily series: all its days
        self.assertEqual(len(self.series(PEAK, HZ, "2024-02", "2024-02")), 29)

    def test_series_range_limits(self):
        # 1,000 periods is the most: 1900-01 .. 1983-04 is 83 × 12 + 4 months.
        self.push("eeb", [(GOOD, HZ, "1900-01", "50.0"), (GOOD, HZ, "1983-04", "60.0")])
        pts = self.series(GOOD, HZ, "1900-01", "1983-04")
        self.assertEqual(len(pts), 1000)
        self.assertEqual((pts[0], pts[-1]), (("1900-01", "50"), ("1983-04", "60")))
        self.assertEqual(sum(1 for _, v in pts if v), 2)
        err = self.assertRpcError(lambda: self.series(GOOD, HZ, "1900-01", "1983-05"),
                                  grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("1000", err.details())
        # 1,000 days fit, 1,001 do not (2021 + 2022 = 730 days, + 270 of 2023).
        self.assertEqual(len(self.series(PEAK, HZ, "2021-01-01", "2023-09-27")), 1000)
        self.assertRpcError(lambda: self.series(PEAK, HZ, "2021-01-01", "2023-09-28"),
                            grpc.StatusCode.INVALID_ARGUMENT)
        # The whole range of years, 1900..2999, is 1,100 yearly periods.
        self.assertRpcError(lambda: self.series(SEWAGE, HZ, "1900", "2999"),
                            grpc.StatusCode.INVALID_ARGUMENT)

    def test_series_bad_requests(self):
        cases = [
            (dict(indicator=GOOD, region=HZ, period_from="", period_to="2015-01"), "period_from"),
            (dict(indicator=GOOD, region=HZ, period_from="2015-01", period_to=""), "period_to"),
            (dict(indicator=GOOD, region=HZ, period_from="2015-13", period_to="2015-12"),
             "period_from"),
            (dict(indicator=GOOD, region=HZ, period_from="2015-1", period_to="2015-12"),
             "period_from"),
            (dict(indicator=GOOD, region=HZ, period_from="2015-01", period_to="2015/12"),
             "period_to"),
            (dict(indicator=GOOD, region=HZ, period_from="2015-06", period_to="2015-05"), "after"),
            (dict(indicator="", region=HZ, period_from="2015-01", period_to="2015-02"),
             "indicator"),
            (dict(indicator=GOOD, region="", period_from="2015-01", period_to="2015-02"),
             "region"),
            (dict(indicator=GOOD, region="x" * 65, period_from="2015-01", period_to="2015-02"),
             "region"),
            (dict(indicator=GOOD, region="szdghz", period_from="2015-01", period_to="2015-02"),
             "AggregateCircle"),
            (dict(indicator=GOOD, region=HZ, period_from="2015-01", period_to="2015-02",
                  as_of=timestamp_pb2.Timestamp(seconds=int(time.time()) + 3600)), "future"),
            (dict(indicator=GOOD, region=HZ, period_from="2015-01", period_to="2015-02",
                  as_of=timestamp_pb2.Timestamp(seconds=0, nanos=-1)), "nanos"),
        ]
        for kw, word in cases:
            with self.subTest(kw=kw):
                err = self.assertRpcError(
                    lambda: self.stub.GetSeries(indicators_pb2.GetSeriesRequest(**kw),
                                                metadata=self.md(), timeout=10),
                    grpc.StatusCode.INVALID_ARGUMENT)
                self.assertIn(word, err.details())
        err = self.assertRpcError(lambda: self.series("air.nope", HZ, "2015-01", "2015-02"),
                                  grpc.StatusCode.NOT_FOUND)
        self.assertIn("air.nope", err.details())
        err = self.assertRpcError(lambda: self.series(GOOD, "999999", "2015-01", "2015-02"),
                                  grpc.StatusCode.NOT_FOUND)
        self.assertIn("999999", err.details())
        req = indicators_pb2.GetSeriesRequest(indicator=GOOD, region=HZ, period_from="2015-01",
                                              period_to="2015-02")
        for md in ((), (("authorization", "Bearer rci_not-a-real-token-at-all"),)):
            with self.subTest(md=md):
                self.assertRpcError(lambda: self.stub.GetSeries(req, metadata=md, timeout=10),
                                    grpc.StatusCode.UNAUTHENTICATED)
        self.assertServerHealthy()

    def test_series_as_of(self):
        t0 = ts_now()
        time.sleep(0.05)
        self.push("eeb", [(GOOD, HZ, "2013-01", "80.0"), (GOOD, HZ, "2013-03", "82.0")])
        time.sleep(0.05)
        t1 = ts_now()
        time.sleep(0.05)
        self.push("eeb", [(GOOD, HZ, "2013-01", "81.0"), (GOOD, HZ, "2013-02", "85.5")])
        time.sleep(0.05)
        t2 = ts_now()
        s = lambda t: self.series(GOOD, HZ, "2013-01", "2013-03", as_of=t)
        self.assertEqual(s(t0), [("2013-01", ""), ("2013-02", ""), ("2013-03", "")])
        self.assertEqual(s(t1), [("2013-01", "80"), ("2013-02", ""), ("2013-03", "82")])
        self.assertEqual(s(t2), [("2013-01", "81"), ("2013-02", "85.5"), ("2013-03", "82")])
        self.assertEqual(s(None), s(t2))
        # Still the same answer for t1 after yet another revision.
        self.push("eeb", [(GOOD, HZ, "2013-03", "99.0")])
        self.assertEqual(s(t1), [("2013-01", "80"), ("2013-02", ""), ("2013-03", "82")])
        self.assertEqual(self.series(GOOD, HZ, "2013-03", "2013-03"), [("2013-03", "99")])

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

    @staticmethod
    def _write_sql(region, per, value, rid):
        return (f"SELECT status FROM rci_push_write('hz-eeb', NULL, '{rid}', "
                f"decode('{hashlib.sha256(rid.encode()).hexdigest()}', 'hex'), '', false, 'test', "
                f"now(), ARRAY['{GOOD}'], ARRAY['{region}'], ARRAY['{per}'], "
                f"ARRAY[('{per}-01'::date + interval '1 month - 1 day')::date], "
                f"ARRAY[{value}::numeric], ARRAY['']);\n")

    def test_as_of_is_repeatable_with_overlapping_transactions(self):
        """DESIGN §6, through rci_series_as_of (0006) for both RPCs: a
        transaction that started before T and commits after it never appears
        at T, and a reader at T waits for a writer inside its commit window."""
        s_at = lambda per, t: self.series(GOOD, HZ, per, per, as_of=t)[0][1]
        a_at = lambda per, t: self.aggregate(GOOD, "szdghz", per, as_of=t)[0]

        s = self._psql_session()
        s.stdin.write("BEGIN;\nSELECT 1;\n")
        s.stdin.flush()
        time.sleep(0.2)
        t = ts_now()
        self.assertEqual((s_at("2012-05", t), a_at("2012-05", t)), ("", ""))
        s.stdin.write(self._write_sql(HZ, "2012-05", 70, "ov-a") + "COMMIT;\n")
        s.stdin.close()
        s.wait(timeout=20)
        self.assertEqual(s.returncode, 0, s.stderr.read())
        self.assertEqual((s_at("2012-05", t), a_at("2012-05", t)), ("", ""),
                         "a later commit appeared at an earlier instant")
        now = ts_now()
        self.assertEqual((s_at("2012-05", now), a_at("2012-05", now)), ("70", "70.0"))

        for what, read in (("series", s_at), ("aggregate", a_at)):
            with self.subTest(what):
                per = "2012-06" if what == "series" else "2012-07"
                s = self._psql_session()
                s.stdin.write("BEGIN;\n" + self._write_sql(HZ, per, 71, "ov-" + what))
                s.stdin.flush()
                # The writer is inside its commit window once it holds the commit-order
                # lock (rci_commit_lock_key, exclusive until COMMIT).
                harness.wait_for(self._commit_lock_held, 20, what="the writer to take the commit lock")
                t = ts_now()
                result = {}
                reader = threading.Thread(target=lambda: result.setdefault("v", read(per, t)))
                reader.start()
                reader.join(0.5)
                self.assertTrue(reader.is_alive(),
                                "the reader did not wait for the committing writer")
                s.stdin.write("COMMIT;\n")
                s.stdin.close()
                s.wait(timeout=20)
                reader.join(10)
                want = "71" if what == "series" else "71.0"
                self.assertEqual(result.get("v"), want)
                self.assertEqual(read(per, t), want)

    # -- AggregateCircle ------------------------------------------------------------------

    def test_sum_names_the_missing_members(self):
        self.push("transport", [(BUSES, SZ, "2017-06", "12"), (BUSES, DG, "2017-06", "5"),
                                (BUSES, HZ, "2017-06", "19"), (BUSES, HY, "2017-06", "2")])
        # 12 + 5 + 19 + 2 = 38; Shanwei has not reported.
        self.assertEqual(self.aggregate(BUSES, "szdghz", "2017-06"),
                         ("38", "sum", [SZ, HZ, HY, DG], [SW]))
        # Exact decimal sums: 0.1 + 0.2 = 0.30 at the indicator's 2 decimals.
        self.push("transport", [(RAIL, DG, "2017-06", "0.1"), (RAIL, HZ, "2017-06", "0.2")])
        self.assertEqual(self.aggregate(RAIL, "szdghz", "2017-06"),
                         ("0.30", "sum", [HZ, DG], [SZ, SW, HY]))
        # No member reported: no value, every member missing.
        self.assertEqual(self.aggregate(BUSES, "szdghz", "2017-07"),
                         ("", "sum", [], [SZ, HZ, SW, HY, DG]))
        # Another circle's members do not count (广州 is in 广佛肇).
        self.push("transport", [(BUSES, GZ, "2017-06", "7")])
        self.assertEqual(self.aggregate(BUSES, "szdghz", "2017-06")[0], "38")
        self.assertEqual(self.aggregate(BUSES, "gfz", "2017-06")[:3], ("7", "sum", [GZ]))

    def test_mean_rounds_half_away_from_zero_exactly(self):
        # (95.1 + 96.2) / 2 = 95.65 → 95.7 at 1 decimal (half away from zero;
        # banker's rounding would say 95.6).
        self.push("eeb", [(GOOD, SZ, "2017-08", "95.1"), (GOOD, HZ, "2017-08", "96.2")])
        self.assertEqual(self.aggregate(GOOD, "szdghz", "2017-08"),
                         ("95.7", "mean", [SZ, HZ], [SW, HY, DG]))
        # (90.0 + 91.0 + 91.0) / 3 = 90.666… → 90.7
        self.push("eeb", [(GOOD, SZ, "2017-09", "90.0"), (GOOD, DG, "2017-09", "91.0"),
                          (GOOD, HY, "2017-09", "91.0")])
        self.assertEqual(self.aggregate(GOOD, "szdghz", "2017-09")[:3],
                         ("90.7", "mean", [SZ, HY, DG]))
        # All five: (96.0 + 97.0 + 98.0 + 99.0 + 100.0) / 5 = 98.0, nothing missing.
        self.push("eeb", [(GOOD, c, "2017-10", v) for c, v in
                          ((SZ, "96.0"), (DG, "97.0"), (HZ, "98.0"), (SW, "99.0"),
                           (HY, "100.0"))])
        self.assertEqual(self.aggregate(GOOD, "szdghz", "2017-10"),
                         ("98.0", "mean", [SZ, HZ, SW, HY, DG], []))

    def test_max(self):
        self.push("eeb", [(PEAK, SZ, "2024-02-29", "87"), (PEAK, DG, "2024-02-29", "153"),
                          (PEAK, HZ, "2024-02-29", "64")])
        self.assertEqual(self.aggregate(PEAK, "szdghz", "2024-02-29"),
                         ("153", "max", [SZ, HZ, DG], [SW, HY]))

    def test_population_weighted_mean(self):
        # 深圳 100.0, 汕尾 0.0, 河源 40.0 (东莞 and 惠州 missing), weighted by
        # the latest resident population of the year or before it:
        #   2023: 深圳 2022 17,661,800; 汕尾 2020 2,672,819; 河源 2021 2,840,900
        #   (100 × 17,661,800 + 40 × 2,840,900) / (17,661,800 + 2,672,819 + 2,840,900)
        #   = 1,879,816,000 / 23,175,519 = 81.112… → 81.1
        # (an unweighted mean would be 46.7).
        self.push("eeb", [(SEWAGE, SZ, "2023", "100.0"), (SEWAGE, SW, "2023", "0.0"),
                          (SEWAGE, HY, "2023", "40.0")])
        self.assertEqual(self.aggregate(SEWAGE, "szdghz", "2023"),
                         ("81.1", "population_weighted_mean", [SZ, SW, HY], [HZ, DG]))
        # 2019 is before every figure: each city's earliest, the 2020 census:
        #   (100 × 17,560,061 + 40 × 2,837,686) / (17,560,061 + 2,672,819 + 2,837,686)
        #   = 1,869,513,540 / 23,070,566 = 81.034… → 81.0
        self.push("eeb", [(SEWAGE, SZ, "2019", "100.0"), (SEWAGE, SW, "2019", "0.0"),
                          (SEWAGE, HY, "2019", "40.0")])
        self.assertEqual(self.aggregate(SEWAGE, "szdghz", "2019")[0], "81.0")

    def test_population_year_choice(self):
        # 深圳 100, the other four 0: the result is 100 × 深圳's share of the
        # five populations used, to 6 decimals.
        for year in ("2019", "2022", "2023"):
            self.push("eeb", [(WEIGHTED, c, year, "100" if c == SZ else "0")
                              for c in (SZ, DG, HZ, SW, HY)])
        # 2022: 深圳 2022 17,661,800; 东莞 2021 10,536,800; 惠州 2022 6,050,200;
        # 汕尾 2020 2,672,819; 河源 2021 2,840,900; total 39,762,519
        #   1,766,180,000 / 39,762,519 = 44.4182120… → 44.418212
        self.assertEqual(self.aggregate(WEIGHTED, "szdghz", "2022")[0], "44.418212")
        # 2023: 惠州 has its 2023 figure, 6,073,400; total 39,785,719
        #   1,766,180,000 / 39,785,719 = 44.3923107… → 44.392311
        self.assertEqual(self.aggregate(WEIGHTED, "szdghz", "2023")[0], "44.392311")
        # 2019: the 2020 census for all; total 39,580,043
        #   1,756,006,100 / 39,580,043 = 44.3659472… → 44.365947
        self.assertEqual(self.aggregate(WEIGHTED, "szdghz", "2019")[0], "44.365947")

    def test_member_without_population_is_refused(self):
        # A circle with a city (梅州) that has no population figure at all.
        self.pg.psql(
            "INSERT INTO regions (code, kind, name_zh, name_en, parent_code) VALUES "
            "('441400', 'city', '梅州市', 'Meizhou', '440000'), "
            "('testc', 'circle', '测试圈', 'Test circle', NULL); "
            "INSERT INTO circle_members VALUES ('testc', '441300'), ('testc', '441400')")
        self.push("eeb", [(WEIGHTED, HZ, "2020", "50")])
        # Only 惠州 reported: weighted by itself alone.
        self.assertEqual(self.aggregate(WEIGHTED, "testc", "2020"),
                         ("50.000000", "population_weighted_mean", [HZ], ["441400"]))
        # 梅州 reports (written in SQL: no agency of its own here).
        rid = "meizhou-1"
        self.pg.psql(
            f"SELECT rci_push_write('hz-eeb', NULL, '{rid}', "
            f"decode('{hashlib.sha256(rid.encode()).hexdigest()}', 'hex'), '', false, 'test', "
            f"now(), ARRAY['{WEIGHTED}'], ARRAY['441400'], ARRAY['2020'], "
            f"ARRAY['2020-12-31'::date], ARRAY[70::numeric], ARRAY[''])")
        err = self.assertRpcError(lambda: self.aggregate(WEIGHTED, "testc", "2020"),
                                  grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn("441400", err.details())
        # A mean needs no population.
        self.push("eeb", [(GOOD, HZ, "2020-05", "90.0")])
        self.pg.psql(
            f"SELECT rci_push_write('hz-eeb', NULL, 'meizhou-2', "
            f"decode('{hashlib.sha256(b'meizhou-2').hexdigest()}', 'hex'), '', false, 'test', "
            f"now(), ARRAY['{GOOD}'], ARRAY['441400'], ARRAY['2020-05'], "
            f"ARRAY['2020-05-31'::date], ARRAY[95.5::numeric], ARRAY[''])")
        # (90.0 + 95.5) / 2 = 92.75 → 92.8
        self.assertEqual(self.aggregate(GOOD, "testc", "2020-05"),
                         ("92.8", "mean", [HZ, "441400"], []))

    def test_rule_none_gives_no_value(self):
        self.push("stats", [(GDP_GROWTH, SZ, "2018-Q2", "7.6"), (GDP_GROWTH, HZ, "2018-Q2", "5.1")])
        self.assertEqual(self.aggregate(GDP_GROWTH, "szdghz", "2018-Q2", who="sz-stats"),
                         ("", "none", [SZ, HZ], [SW, HY, DG]))

    def test_aggregate_as_of(self):
        self.push("eeb", [(GOOD, SZ, "2018-01", "90.0"), (GOOD, HZ, "2018-01", "92.0")])
        time.sleep(0.05)
        t1 = ts_now()
        time.sleep(0.05)
        self.push("eeb", [(GOOD, HZ, "2018-01", "94.0"), (GOOD, DG, "2018-01", "80.0")])
        time.sleep(0.05)
        t2 = ts_now()
        # t1: (90.0 + 92.0) / 2 = 91.0
        self.assertEqual(self.aggregate(GOOD, "szdghz", "2018-01", as_of=t1),
                         ("91.0", "mean", [SZ, HZ], [SW, HY, DG]))
        # t2 and latest: (90.0 + 94.0 + 80.0) / 3 = 88.0
        self.assertEqual(self.aggregate(GOOD, "szdghz", "2018-01", as_of=t2),
                         ("88.0", "mean", [SZ, HZ, DG], [SW, HY]))
        self.assertEqual(self.aggregate(GOOD, "szdghz", "2018-01"),
                         self.aggregate(GOOD, "szdghz", "2018-01", as_of=t2))
        before = timestamp_pb2.Timestamp(seconds=t1.seconds - 3600)
        self.assertEqual(self.aggregate(GOOD, "szdghz", "2018-01", as_of=before),
                         ("", "mean", [], [SZ, HZ, SW, HY, DG]))

    def test_aggregate_bad_requests(self):
        future = timestamp_pb2.Timestamp(seconds=int(time.time()) + 3600)
        cases = [
            ((GOOD, "szdghz", "2017-Q2"), "monthly"),      # the indicator's frequency
            ((GOOD, "szdghz", "2017"), "monthly"),
            ((ROADS, "szdghz", "2017-06"), "quarterly"),
            ((GOOD, "szdghz", "2017-13"), "period"),
            ((GOOD, "szdghz", "2017-6"), "period"),
            ((GOOD, "szdghz", ""), "period"),
            (("", "szdghz", "2017-06"), "indicator"),
            ((GOOD, "", "2017-06"), "circle"),
            ((GOOD, HZ, "2017-06"), "not a circle"),
        ]
        for (ind, circle, period), word in cases:
            with self.subTest(ind=ind, circle=circle, period=period):
                err = self.assertRpcError(lambda: self.aggregate(ind, circle, period),
                                          grpc.StatusCode.INVALID_ARGUMENT)
                self.assertIn(word, err.details())
        err = self.assertRpcError(lambda: self.aggregate(GOOD, "szdghz", "2017-06", as_of=future),
                                  grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("future", err.details())
        err = self.assertRpcError(lambda: self.aggregate("air.nope", "szdghz", "2017-06"),
                                  grpc.StatusCode.NOT_FOUND)
        self.assertIn("air.nope", err.details())
        err = self.assertRpcError(lambda: self.aggregate(GOOD, "nocircle", "2017-06"),
                                  grpc.StatusCode.NOT_FOUND)
        self.assertIn("nocircle", err.details())
        req = indicators_pb2.AggregateCircleRequest(indicator=GOOD, circle="szdghz",
                                                    period="2017-06")
        self.assertRpcError(lambda: self.stub.AggregateCircle(req, timeout=10),
                            grpc.StatusCode.UNAUTHENTICATED)
        self.assertServerHealthy()


if __name__ == "__main__":
    unittest.main()
