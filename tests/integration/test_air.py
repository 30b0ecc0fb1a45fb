"""Air quality: PushAirDays, GetAirCalendar, GetAirStats, RankAir (issue 4).

Through Debian's python3-grpcio and rcictl against a real PostgreSQL. Every
expected figure below is worked out by hand from the standard tables in the
comments (HJ 633-2012 Table 1, HJ 633-2026 Table 3, eq. 1, "round up"; HJ
663 percentiles; GB 3095-2012 Grade II divisors), not taken from the code.
Tokens are made straight in the database (test_values.py does the same).
"""
import hashlib
import json
import os
import secrets
import tempfile
import unittest

import grpc

import harness
from rci.v1 import air_pb2, air_pb2_grpc, indicators_pb2, indicators_pb2_grpc
from rpcpb import error_details_pb2, status_pb2

HZ, SZ, DG, SW, HY = "441300", "440300", "441900", "441500", "441600"
SZDGHZ = sorted([SZ, DG, HZ, SW, HY])
UG, MG = "µg/m³", "mg/m³"
COLS = ("so2_24h", "no2_24h", "pm10_24h", "co_24h", "o3_1h_max", "o3_8h_max", "pm25_24h")


def bad_request(err):
    for key, value in err.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            st = status_pb2.Status.FromString(value)
            for any_ in st.details:
                if any_.type_url.endswith("google.rpc.BadRequest"):
                    return error_details_pb2.BadRequest.FromString(any_.value)
    return None


def day(city, date, so2=None, no2=None, pm10=None, co=None, o3_1h=None, o3_8h=None, pm25=None,
        note=""):
    vals = []
    for name, v in zip(COLS, (so2, no2, pm10, co, o3_1h, o3_8h, pm25)):
        if v is not None:
            vals.append(air_pb2.AirConcentration(pollutant=name, value=str(v),
                                                 unit=MG if name == "co_24h" else UG))
    return air_pb2.AirDayInput(city=city, date=date, values=vals, note=note)


# The hand-computed day (HJ 633-2012 Table 1 / HJ 633-2026 Table 3):
#   SO2 10      2012 & 2026: 0..50 -> 0..50                 IAQI 10
#   NO2 40      breakpoint 40 -> 50                         IAQI 50
#   PM10 130    2012: 50+(100-50)/(150-50)*(130-50) = 90    IAQI 90
#               2026: 100+(150-100)/(250-120)*(130-120) = 103.85 -> 104
#   CO 1.0      0..2 -> 0..50: 25                           IAQI 25
#   O3 1h 120   0..160 -> 0..50: 37.5 -> 38 (2012 only; 2026's daily report drops it)
#   O3 8h 100   breakpoint 100 -> 50                        IAQI 50
#   PM2.5 80    2012: 100+(150-100)/(115-75)*(80-75) = 106.25 -> 107
#               2026: 100+(150-100)/(115-60)*(80-60) = 118.18 -> 119
CASE = dict(so2=10, no2=40, pm10=130, co="1.0", o3_1h=120, o3_8h=100, pm25=80)


class AirTest(harness.RcidTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tokens = {}
        for name, agency, admin in (("hz", "hz-eeb", False), ("sz", "sz-eeb", False),
                                    ("dg", "dg-eeb", False), ("sw", "sw-eeb", False),
                                    ("hy", "hy-eeb", False), ("hzt", "hz-transport", False),
                                    ("gd", "gd-eed", False), ("admin", None, True)):
            cls.tokens[name] = cls.make_token(agency, admin)
        ch = cls.rcid.channel()
        cls.air = air_pb2_grpc.AirServiceStub(ch)
        cls.ind = indicators_pb2_grpc.IndicatorServiceStub(ch)

    @classmethod
    def make_token(cls, agency, admin=False):
        secret = "rci_" + secrets.token_urlsafe(32)
        digest = hashlib.sha256(secret.encode()).hexdigest()
        agency_sql = f"'{agency}'" if agency else "NULL"
        cls.pg.psql(f"INSERT INTO tokens (agency_code, admin, hash, prefix) VALUES "
                    f"({agency_sql}, {str(admin).lower()}, decode('{digest}', 'hex'), "
                    f"'{secret[:8]}')")
        return secret

    def md(self, who="hz"):
        return (("authorization", "Bearer " + self.tokens[who]),)

    def push(self, days, who="hz", request_id=None, **kw):
        req = air_pb2.PushAirDaysRequest(request_id=request_id or secrets.token_hex(8),
                                         days=days, **kw)
        return self.air.PushAirDays(req, metadata=self.md(who), timeout=30)

    def calendar(self, city, month, who="hz"):
        return self.air.GetAirCalendar(air_pb2.GetAirCalendarRequest(city=city, month=month),
                                       metadata=self.md(who), timeout=10).days

    def stats(self, city, period, who="hz"):
        return self.air.GetAirStats(air_pb2.GetAirStatsRequest(city=city, period=period),
                                    metadata=self.md(who), timeout=10)

    def rank(self, region, period, who="hz"):
        return self.air.RankAir(air_pb2.RankAirRequest(region=region, period=period),
                                metadata=self.md(who), timeout=10)

    def sql(self, q):
        return self.pg.psql(q).strip()

    def count_days(self):
        return int(self.sql("SELECT count(*) FROM air_day_revisions"))

    # -- one day, both editions ------------------------------------------------------

    def test_day_2012_edition(self):
        self.push([day(HZ, "2024-05-17", **CASE)])
        (d,) = self.calendar(HZ, "2024-05")
        self.assertEqual(d.edition, "HJ 633-2012")
        iaqi = {x.pollutant: x.iaqi for x in d.iaqi}
        self.assertEqual(iaqi, {"so2_24h": 10, "no2_24h": 50, "pm10_24h": 90, "co_24h": 25,
                                "o3_1h_max": 38, "o3_8h_max": 50, "pm25_24h": 107})
        self.assertEqual(d.aqi, 107)
        self.assertFalse(d.aqi_na)
        self.assertEqual((d.category.level, d.category.category_zh, d.category.colour_hex),
                         (3, "轻度污染", "#FF7E00"))
        self.assertEqual(list(d.primary_pollutants), ["PM2.5"])
        self.assertEqual((d.revision, d.agency_code), (1, "hz-eeb"))
        self.assertEqual({v.pollutant: (v.value, v.unit) for v in d.values}["co_24h"], ("1", MG))

    def test_edition_boundary(self):
        # The same air on the last day of HJ 633-2012 and the first of HJ 633-2026.
        self.push([day(HZ, "2026-02-28", **CASE), day(HZ, "2026-03-01", **CASE)])
        (feb,) = self.calendar(HZ, "2026-02")
        (mar,) = self.calendar(HZ, "2026-03")
        self.assertEqual((feb.edition, feb.aqi), ("HJ 633-2012", 107))
        self.assertEqual((mar.edition, mar.aqi), ("HJ 633-2026", 119))
        iaqi = {x.pollutant: x.iaqi for x in mar.iaqi}
        self.assertEqual(iaqi, {"so2_24h": 10, "no2_24h": 50, "pm10_24h": 104, "co_24h": 25,
                                "o3_8h_max": 50, "pm25_24h": 119})
        self.assertEqual(list(mar.primary_pollutants), ["PM2.5"])

    def test_primary_tie_and_missing(self):
        # 2026: PM10 120 and PM2.5 60 are both at IAQI 100 (Table 3) -> both primary;
        # SO2 5 -> 5, NO2 20 -> 25, CO 0.5 -> 12.5 -> 13, O3 8h 80 -> 40.
        self.push([day(HZ, "2026-04-02", so2=5, no2=20, pm10=120, co="0.5", o3_8h=80, pm25=60),
                   # PM2.5 missing and the rest <= 100: the AQI is not published
                   # (HJ 633-2026 §5.3.1), the IAQIs are.
                   day(HZ, "2026-04-03", so2=5, no2=20, pm10=50, co="0.5", o3_8h=80)])
        tie, na = self.calendar(HZ, "2026-04")
        self.assertEqual((tie.aqi, tie.category.level, tie.category.category_zh), (100, 2, "良"))
        self.assertEqual(sorted(tie.primary_pollutants), ["PM10", "PM2.5"])
        self.assertTrue(na.aqi_na)
        self.assertEqual((na.aqi, list(na.primary_pollutants)), (0, []))
        self.assertEqual({x.pollutant: x.iaqi for x in na.iaqi}["pm10_24h"], 50)

    # -- a month with missing days --------------------------------------------------

    def test_month_stats_and_published_values(self):
        # 2023-04, days 1..20 of 30: SO2 10, NO2 30, PM10 50, CO d/10, O3 8h 100+5d,
        # O3 1h 120+5d, PM2.5 20+d.
        days = [day(HZ, f"2023-04-{d:02d}", so2=10, no2=30, pm10=50, co=f"{d / 10:.1f}",
                    o3_1h=120 + 5 * d, o3_8h=100 + 5 * d, pm25=20 + d) for d in range(1, 21)]
        r = self.push(days)
        self.assertEqual((r.written, r.unchanged, r.alerts_raised), (20, 0, 0))
        self.assertEqual(r.indicator_values_written, 2)
        s = self.stats(HZ, "2023-04")
        self.assertEqual((s.valid_days, s.days_needed, s.enough_days), (20, 27, False))
        # Good: O3 8h <= 160 (IAQI <= 100) for d <= 12; d = 13..20 give O3 8h
        # 165..200 -> IAQI 105..137, level III. d = 1 has O3 8h 105 -> 55: no level I day.
        self.assertEqual((s.good_days, s.good_rate), (12, "60.0"))
        self.assertEqual(list(s.days_per_level), [0, 12, 8, 0, 0, 0])
        st = {x.statistic: (x.value, x.unit, x.single_index) for x in s.statistics}
        # PM2.5 mean 30.5 -> 30 (GB/T 8170, half to even); CO P95 (HJ 663):
        # k = 1 + 19 * 0.95 = 19.05 -> 1.9 + 0.05 * 0.1 = 1.905 -> 1.9;
        # O3 P90: k = 1 + 19 * 0.9 = 18.1 -> 190 + 0.1 * 5 = 190.5 -> 190.
        self.assertEqual(st, {
            "so2_mean": ("10", UG, "0.17"),        # 10/60
            "no2_mean": ("30", UG, "0.75"),        # 30/40
            "pm10_mean": ("50", UG, "0.71"),       # 50/70
            "pm25_mean": ("30", UG, "0.86"),       # 30/35
            "co_p95": ("1.9", MG, "0.48"),         # 1.9/4 = 0.475 -> 0.48 (half to even)
            "o3_8h_p90": ("190", UG, "1.19"),      # 190/160 = 1.1875
        })
        # 0.16667 + 0.75 + 0.71429 + 0.85714 + 0.475 + 1.1875 = 4.1506
        self.assertEqual(s.composite_index, "4.15")
        self.assertIn("GB 3095-2012 Grade II", s.composite_method)
        self.assertEqual(s.rank, 0)
        # Published as indicator values in the same transaction.
        q = self.ind.QueryValues(indicators_pb2.QueryValuesRequest(
            indicators=["air.good_days_rate", "air.pm25_mean"], regions=[HZ],
            period_from="2023-04", period_to="2023-04"), metadata=self.md("hzt"), timeout=10)
        got = {v.indicator: (v.value, v.agency_code) for v in q.values}
        self.assertEqual(got, {"air.good_days_rate": ("60", "hz-eeb"),
                               "air.pm25_mean": ("30", "hz-eeb")})
        self.assertTrue(all("provisional" in v.note for v in q.values))
        # Six more days: 26 valid, still provisional; the figures get a new revision.
        more = [day(HZ, f"2023-04-{d:02d}", so2=10, no2=30, pm10=50, co="0.5", o3_1h=100,
                    o3_8h=80, pm25=20) for d in range(21, 27)]
        r = self.push(more)
        self.assertEqual(r.indicator_values_written, 2)
        h = self.ind.GetHistory(indicators_pb2.GetHistoryRequest(
            indicator="air.good_days_rate", region=HZ, period="2023-04"),
            metadata=self.md(), timeout=10).revisions
        # 18 good of 26: 69.23 % -> 69.2
        self.assertEqual([x.value for x in h], ["60", "69.2"])
        self.assertIn("PushAirDays", h[1].reason)

    # -- ranking -------------------------------------------------------------------------

    def test_rank_circle(self):
        # 2024-06 (30 days, 27 needed), constant days, so every statistic is the constant.
        # index = SO2/60 + NO2/40 + PM10/70 + PM2.5/35 + CO/4 + O3/160
        plan = {
            SW: dict(so2=6, no2=12, pm10=28, pm25=14),   # .1+.3+.4+.4+.2+.6 = 2.00
            SZ: dict(so2=12, no2=16, pm10=35, pm25=14),  # .2+.4+.5+.4+.2+.6 = 2.30
            HZ: dict(so2=6, no2=20, pm10=35, pm25=14),   # .1+.5+.5+.4+.2+.6 = 2.30
            DG: dict(so2=6, no2=20, pm10=35, pm25=21),   # .1+.5+.5+.6+.2+.6 = 2.50
        }
        who = {SW: "sw", SZ: "sz", HZ: "hz", DG: "dg", HY: "hy"}
        for city, c in plan.items():
            self.push([day(city, f"2024-06-{d:02d}", co="0.8", o3_1h=120, o3_8h=96, **c)
                       for d in range(1, 31)], who=who[city])
        # Heyuan: cleanest air, but 20 days only -> shown, flagged, not ranked.
        self.push([day(HY, f"2024-06-{d:02d}", so2=3, no2=5, pm10=10, co="0.2", o3_1h=50,
                       o3_8h=40, pm25=5) for d in range(1, 21)], who="hy")
        r = self.rank("szdghz", "2024-06", who="hzt")
        self.assertIn("GB 3095-2012 Grade II", r.method)
        rows = [(c.city, c.rank, c.composite_index, c.enough_days) for c in r.cities]
        self.assertEqual(rows, [(SW, 1, "2.00", True), (SZ, 2, "2.30", True),
                                (HZ, 2, "2.30", True), (DG, 4, "2.50", True),
                                (HY, 0, rows[4][2], False)])
        self.assertEqual(r.cities[4].valid_days, 20)
        self.assertEqual(r.cities[0].city_name_zh, "汕尾市")
        # The province: every Guangdong city, those without data unranked, last.
        p = self.rank("440000", "2024-06")
        self.assertEqual(len(p.cities), 15)
        self.assertEqual([c.rank for c in p.cities[:4]], [1, 2, 2, 4])
        self.assertTrue(all(c.rank == 0 for c in p.cities[4:]))
        # A year: 30 days of 324 needed, nobody ranked.
        y = self.rank("szdghz", "2024")
        self.assertTrue(all(c.rank == 0 and c.days_needed == 324 for c in y.cities))

    def test_read_errors(self):
        e = self.assertRpcError(lambda: self.rank(HZ, "2024-06"), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("circle", e.details())
        self.assertRpcError(lambda: self.rank("nosuch", "2024-06"), grpc.StatusCode.NOT_FOUND)
        self.assertRpcError(lambda: self.rank("szdghz", "2024-Q2"),
                            grpc.StatusCode.INVALID_ARGUMENT)
        self.assertRpcError(lambda: self.stats("szdghz", "2024"), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertRpcError(lambda: self.stats("449999", "2024"), grpc.StatusCode.NOT_FOUND)
        self.assertRpcError(lambda: self.calendar(HZ, "2024-5"), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertRpcError(lambda: self.calendar("'; --", "2024-05"),
                            grpc.StatusCode.INVALID_ARGUMENT)
        self.assertRpcError(
            lambda: self.air.RankAir(air_pb2.RankAirRequest(region="szdghz", period="2024"),
                                     timeout=10), grpc.StatusCode.UNAUTHENTICATED)

    # -- alerts ---------------------------------------------------------------------------

    def alerts(self, day_):
        out = self.sql("SELECT severity || '|' || array_to_string(cities, ',') FROM alerts "
                       f"WHERE kind = 'air.heavy_pollution' AND detail->>'date' = '{day_}' "
                       "ORDER BY id")
        return [tuple(x.split("|")) for x in out.splitlines() if x]

    def test_heavy_pollution_alerts(self):
        # 2012: PM2.5 200 -> 200+(300-200)/(250-150)*(200-150) = 250 (重度, warning);
        #       PM2.5 400 -> 400+(500-400)/(500-350)*(400-350) = 433.3 -> 434 (严重, critical).
        base = dict(so2=10, no2=40, pm10=100, co="1.0", o3_1h=100, o3_8h=80)
        r = self.push([day(HZ, "2025-01-10", pm25=200, **base),
                       day(HZ, "2025-01-11", pm25=400, **base),
                       day(HZ, "2025-01-12", pm25=100, **base)])
        self.assertEqual(r.alerts_raised, 2)
        cities = ",".join(SZDGHZ)
        self.assertEqual(self.alerts("2025-01-10"), [("warning", cities)])
        self.assertEqual(self.alerts("2025-01-11"), [("critical", cities)])
        self.assertEqual(self.alerts("2025-01-12"), [])
        d10, d11, _ = self.calendar(HZ, "2025-01")
        self.assertEqual((d10.aqi, d10.category.category_zh), (250, "重度污染"))
        self.assertEqual((d11.aqi, d11.category.category_zh), (434, "严重污染"))
        # Changed within the same level: no new alert; changed to another level: one.
        # PM2.5 210 -> 260 (still 重度); the 12th was PM2.5 100 -> 100+50/40*25 = 131.25
        # -> 132 (轻度), now 240 -> 200+100/100*90 = 290 (重度).
        r = self.push([day(HZ, "2025-01-10", pm25=210, **base),
                       day(HZ, "2025-01-12", pm25=240, **base)])
        self.assertEqual((r.written, r.alerts_raised), (2, 1))
        self.assertEqual(len(self.alerts("2025-01-10")), 1)
        self.assertEqual(self.alerts("2025-01-12"), [("warning", cities)])
        msg = self.sql("SELECT message FROM alerts WHERE detail->>'date' = '2025-01-12'")
        self.assertIn("重度污染", msg)
        self.assertIn("惠州市", msg)

    # -- who may write ------------------------------------------------------------------

    def test_permissions(self):
        ok = day(HZ, "2022-07-01", so2=5, no2=10, pm10=20, co="0.4", o3_1h=60, o3_8h=50, pm25=10)
        before = self.count_days()
        e = self.assertRpcError(lambda: self.push([ok], who="sz"), grpc.StatusCode.PERMISSION_DENIED)
        self.assertIn("441300", e.details())
        self.assertIn("environment", e.details())
        e = self.assertRpcError(lambda: self.push([ok], who="hzt"),
                                grpc.StatusCode.PERMISSION_DENIED)
        self.assertIn("environment", e.details())
        self.assertRpcError(lambda: self.push([ok], who="gd"), grpc.StatusCode.PERMISSION_DENIED)
        self.assertRpcError(lambda: self.push([ok], who="admin"),
                            grpc.StatusCode.PERMISSION_DENIED)
        self.assertRpcError(
            lambda: self.air.PushAirDays(air_pb2.PushAirDaysRequest(request_id="x", days=[ok]),
                                         timeout=10), grpc.StatusCode.UNAUTHENTICATED)
        self.assertRpcError(
            lambda: self.air.PushAirDays(air_pb2.PushAirDaysRequest(request_id="x", days=[ok]),
                                         metadata=(("authorization", "Bearer rci_" + "x" * 43),),
                                         timeout=10), grpc.StatusCode.UNAUTHENTICATED)
        # Scope answers before validation: a foreign row next to a broken one.
        bad = day(HZ, "2022-13-01", so2=5)
        foreign = day(SZ, "2022-07-01", so2=5)
        e = self.assertRpcError(lambda: self.push([bad, foreign]),
                                grpc.StatusCode.PERMISSION_DENIED)
        br = bad_request(e)
        self.assertEqual([v.field for v in br.field_violations], ["days[1].city"])
        self.assertEqual(self.count_days(), before)
        # Everyone may read.
        self.push([ok])
        self.assertEqual(len(self.calendar(HZ, "2022-07", who="hzt")), 1)
        self.assertEqual(self.stats(HZ, "2022-07", who="gd").valid_days, 1)

    # -- validation ---------------------------------------------------------------------

    def test_every_failure_named(self):
        def one(pollutant, value, unit, city=HZ, date="2021-03-01"):
            return air_pb2.AirDayInput(city=city, date=date, values=[
                air_pb2.AirConcentration(pollutant=pollutant, value=value, unit=unit)])
        so2 = air_pb2.AirConcentration(pollutant="so2_24h", value="5", unit=UG)
        days = [
            one("so2_24h", "5", UG, city="999999"),                          # 0 city
            one("so2_24h", "5", UG, date="2021-13-01"),                      # 1 date
            one("so2_24h", "5", UG, date="2099-01-01"),                      # 2 date (future)
            one("pm1_24h", "5", UG, date="2021-03-04"),                      # 3 pollutant
            air_pb2.AirDayInput(city=HZ, date="2021-03-05", values=[so2, so2]),  # 4 duplicate
            one("so2_24h", "5", MG, date="2021-03-06"),                      # 5 unit
            one("co_24h", "0.5", UG, date="2021-03-07"),                     # 6 unit
            one("no2_24h", "-5", UG, date="2021-03-08"),                     # 7 negative
            one("no2_24h", "abc", UG, date="2021-03-09"),                    # 8 malformed
            one("pm25_24h", "12.3456", UG, date="2021-03-10"),               # 9 decimals
            one("so2_24h", "5", UG, date="2021-03-11"),                      # 10 ok
            one("so2_24h", "6", UG, date="2021-03-11"),                      # 11 same day again
            air_pb2.AirDayInput(city=HZ, date="2021-03-12"),                 # 12 no values
            one("so2_24h", "5", UG, city="szdghz", date="2021-03-13"),       # 13 a circle
        ]
        expected = [(0, "city"), (1, "date"), (2, "date"), (3, "values[0].pollutant"),
                    (4, "values[1].pollutant"), (5, "values[0].unit"), (6, "values[0].unit"),
                    (7, "values[0].value"), (8, "values[0].value"), (9, "values[0].value"),
                    (11, "date"), (12, "values"), (13, "city")]
        before = self.count_days()
        dry = self.push(days, validate_only=True)
        self.assertEqual([(v.row, v.field) for v in dry.violations], expected)
        e = self.assertRpcError(lambda: self.push(days), grpc.StatusCode.INVALID_ARGUMENT)
        br = bad_request(e)
        self.assertEqual([v.field for v in br.field_violations],
                         [f"days[{r}].{f}" for r, f in expected])
        self.assertIn("13 row(s)", e.details())
        self.assertIn("future", dry.violations[2].description)
        self.assertIn("3 decimals", dry.violations[9].description)
        self.assertEqual(self.count_days(), before)
        # Every accepted spelling of the units.
        spellings = [("so2_24h", "µg/m³"), ("no2_24h", "μg/m³"), ("pm10_24h", "ug/m3"),
                     ("co_24h", "mg/m3"), ("pm25_24h", "µg/m3")]
        d = air_pb2.AirDayInput(city=HZ, date="2021-03-20", values=[
            air_pb2.AirConcentration(pollutant=p, value="1", unit=u) for p, u in spellings])
        self.assertEqual(self.push([d]).written, 1)

    def test_today_is_cst(self):
        # "In the future" is judged in China Standard Time (DESIGN §6): today
        # there is accepted, tomorrow refused, whatever the server's zone.
        import datetime
        today = (datetime.datetime.now(datetime.timezone.utc)
                 + datetime.timedelta(hours=8)).date()
        tomorrow = today + datetime.timedelta(days=1)
        ok = dict(so2=5, no2=10, pm10=20, co="0.4", o3_8h=50, pm25=10)
        r = self.push([day(HZ, str(today), **ok), day(HZ, str(tomorrow), **ok)],
                      validate_only=True)
        self.assertEqual([(v.row, v.field) for v in r.violations], [(1, "date")])
        self.assertIn(str(today), r.violations[0].description)

    def test_validate_only_reports_scope_and_validation(self):
        r = self.push([day(SZ, "2016-05-01", so2=5), day(HZ, "2016-05-02", so2="x")],
                      validate_only=True)
        self.assertEqual([(v.row, v.field) for v in r.violations],
                         [(0, "city"), (1, "values[0].value")])
        self.assertIn("environment", r.violations[0].description)

    def test_too_many_days(self):
        days = [day(HZ, "2020-01-01", so2=1)] * 10001
        e = self.assertRpcError(lambda: self.push(days), grpc.StatusCode.RESOURCE_EXHAUSTED)
        self.assertIn("10000", e.details())

    # -- idempotency and revisions -------------------------------------------------------

    def test_replay_conflict_revision(self):
        d1 = day(HZ, "2019-09-09", so2=5, no2=10, pm10=20, co="0.4", o3_1h=60, o3_8h=50, pm25=10)
        first = self.push([d1], request_id="hz-air-2019-09")
        again = self.push([d1], request_id="hz-air-2019-09")
        self.assertTrue(again.replayed)
        self.assertEqual((again.written, again.indicator_values_written),
                         (first.written, first.indicator_values_written))
        self.assertRpcError(lambda: self.push([day(HZ, "2019-09-09", so2=6)],
                                              request_id="hz-air-2019-09"),
                            grpc.StatusCode.ALREADY_EXISTS)
        # Same id, another agency: its own.
        self.push([day(SZ, "2019-09-09", so2=6)], who="sz", request_id="hz-air-2019-09")
        # A change is a new revision with who/why; the same content (35 = 35.0) is not.
        d2 = day(HZ, "2019-09-09", so2=7, no2=10, pm10=20, co="0.4", o3_1h=60, o3_8h=50, pm25=10)
        r = self.push([d2], reason="station 2 recalibrated")
        self.assertEqual((r.written, r.unchanged), (1, 0))
        same = day(HZ, "2019-09-09", so2="7.0", no2=10, pm10=20, co="0.40", o3_1h=60, o3_8h=50,
                   pm25=10)
        batches = self.sql("SELECT count(*) FROM batches")
        r = self.push([same])
        self.assertEqual((r.written, r.unchanged, r.indicator_values_written), (0, 1, 0))
        # No figure changed: no empty indicator batch either.
        self.assertEqual(self.sql("SELECT count(*) FROM batches"), batches)
        (cal,) = self.calendar(HZ, "2019-09")
        self.assertEqual(cal.revision, 2)
        revs = self.sql("SELECT r.revision || '|' || r.so2 || '|' || b.reason || '|' || "
                        "b.agency_code FROM air_day_revisions r JOIN air_batches b "
                        "ON b.id = r.air_batch_id WHERE r.city_code = '441300' "
                        "AND r.day = '2019-09-09' ORDER BY r.revision").splitlines()
        self.assertEqual(revs, ["1|5||hz-eeb", "2|7|station 2 recalibrated|hz-eeb"])


    def test_concurrent_pushes_of_one_month(self):
        # Six pushes of different days of one month at once: each computes the
        # month figures from the days it read; rci_air_write finds the month
        # changed and the push reads again, so the last figures count all six.
        import threading
        errors, results = [], []

        def one(d):
            try:
                results.append(self.push([day(HZ, f"2015-08-{d:02d}", so2=5, no2=10, pm10=20,
                                              co="0.4", o3_1h=60, o3_8h=50, pm25=10 * d)]))
            except grpc.RpcError as e:
                errors.append(e)
        threads = [threading.Thread(target=one, args=(d,)) for d in range(1, 7)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(sum(r.written for r in results), 6)
        q = self.ind.QueryValues(indicators_pb2.QueryValuesRequest(
            indicators=["air.pm25_mean"], regions=[HZ], period_from="2015-08",
            period_to="2015-08"), metadata=self.md(), timeout=10)
        # (10 + 20 + … + 60) / 6 = 35
        self.assertEqual([(v.value, v.note) for v in q.values],
                         [("35", "provisional: 6 daily means, 27 needed (GB 3095 Table 4)")])

    # -- rcictl -----------------------------------------------------------------------------

    def ctl(self, *args, who="hz", ok=True):
        p = self.rcid.rcictl("--token", self.tokens[who], *args, timeout=60)
        if ok:
            self.assertEqual(p.returncode, 0, p.stderr)
        return p

    def write(self, text, encoding="utf-8"):
        fd, path = tempfile.mkstemp(suffix=".csv")
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode(encoding))
        self.addCleanup(os.unlink, path)
        return path

    def test_rcictl_push_and_read(self):
        # Chinese headers with units in brackets, a city by name, Excel's BOM,
        # CRLF, a date as Excel writes it, an empty cell (not measured).
        text = ("\ufeff城市,日期,SO2(μg/m³),NO2,PM10,CO(mg/m³),O3_1h,O3_8h,PM2.5,备注\r\n"
                "惠州市,2018/3/5,10,40,130,1.0,120,100,80,\r\n"
                "441300,2018-03-06,5,20,50,0.5,,80,20,no O3 1h\r\n")
        path = self.write(text)
        dry = self.ctl("air", "push", path, "--dry-run")
        self.assertIn("would be accepted", dry.stdout)
        self.assertEqual(len(self.calendar(HZ, "2018-03")), 0)
        p = self.ctl("air", "push", path, "--format", "json")
        (row,) = json.loads(p.stdout)
        self.assertEqual((row["written"], row["indicator_values_written"]), ("2", "2"))
        again = self.ctl("air", "push", path, "--format", "json")
        self.assertEqual(json.loads(again.stdout)[0]["replayed"], "yes")
        cal = self.ctl("air", "calendar", "--city", HZ, "--month", "2018-03", "--format", "csv")
        lines = cal.stdout.splitlines()
        self.assertEqual(lines[0].split(",")[:5], ["date", "aqi", "level", "category", "primary"])
        self.assertEqual(lines[1].split(",")[:5], ["2018-03-05", "107", "三级", "轻度污染", "PM2.5"])
        # The 6th lacks O3 1h, an indicator of the 2012 daily report, and the
        # rest give 40 at most: AQI not published.
        self.assertEqual(lines[2].split(",")[1], "NA")
        st = self.ctl("air", "stats", "--city", HZ, "--month", "2018-03", "--format", "json")
        fields = {x["field"]: x["value"] for x in json.loads(st.stdout)}
        self.assertEqual(fields["valid_days"], "1 of 27 needed (too few: not ranked)")
        rank = self.ctl("air", "rank", "--circle", "szdghz", "--month", "2018-03", who="hzt")
        self.assertIn("method: composite index", rank.stdout)
        self.assertIn("not ranked", rank.stdout)
        prov = self.ctl("air", "rank", "--province", "--year", "2018", "--format", "csv")
        self.assertEqual(len(prov.stdout.splitlines()), 16)

    def test_rcictl_push_refused_rows(self):
        text = ("city,date,so2,co\n"
                "441300,2017-01-01,5,0.5\n"
                "441300,2017-01-02,-1,0.5\n"
                "441300,2017-01-03,5,12.34567\n"
                "汕尾,2017-01-04,5,0.5\n")
        path = self.write(text, "gb18030")
        before = self.count_days()
        p = self.ctl("air", "push", path, ok=False)
        self.assertEqual(p.returncode, 1)
        # Scope answers first (DESIGN §6), for the whole file.
        self.assertIn("line 5, column city", p.stderr)
        self.assertIn("PERMISSION_DENIED", p.stderr)
        self.assertNotIn("line 3", p.stderr)
        self.assertEqual(self.count_days(), before)
        p = self.ctl("air", "push", path, "--dry-run", ok=False)
        self.assertEqual(p.returncode, 1)
        for where in ("line 3, column so2", "line 4, column co", "line 5, column city"):
            self.assertIn(where, p.stderr)
        p = self.ctl("air", "push", self.write("city,date,so2\n无此市,2017-01-01,5\n"), ok=False)
        self.assertIn("no city", p.stderr)


if __name__ == "__main__":
    unittest.main()
