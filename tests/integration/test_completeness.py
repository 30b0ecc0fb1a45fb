"""Completeness and timeliness, the working-day calendar and period locks
(issue 3 "Completeness and timeliness", "History": locks).

Through python3-grpcio and rcictl against a real PostgreSQL:
  - due dates: GetCompleteness counts them in C (indicators/calendar.c), the
    push path's automatic locks in SQL (rci_due_date, migration 0007); both
    agree on the reference dates, and a holiday and a make-up working day
    (调休) put through AdminService move them;
  - on time, late (by the China Standard Time date, not the UTC one) and
    missing reports, first reports kept through corrections;
  - filters by agency, city and circle; bad filters;
  - PutCalendarDays / ListCalendarDays / LockPeriod and their validation;
  - a period locked through LockPeriod refuses pushes (FAILED_PRECONDITION),
    an admin override with a reason passes; automatic locks N days after the
    due date (skipped while rci_push_write does not ask
    rci_period_auto_locked);
  - the permission matrix; the rcictl commands.

Reports in the past are written straight in SQL (batches with a committed_at
in the past), since a push is stamped with the time it commits.
"""
import datetime
import hashlib
import json
import secrets

import grpc

import harness
from rci.v1 import admin_pb2, admin_pb2_grpc, indicators_pb2, indicators_pb2_grpc
from rpcpb import error_details_pb2, status_pb2

CST = datetime.timezone(datetime.timedelta(hours=8))
HZ = "441300"                       # Huizhou, in the szdghz circle
SZ = "440300"                       # Shenzhen
GZ = "440100"                       # Guangzhou, in the gfz circle
SZDGHZ = {"440300", "441900", "441300", "441500", "441600"}
GOOD = "air.good_days_rate"         # monthly, environment
PM25 = "air.pm25_mean"              # monthly, environment
PM10 = "air.pm10_mean"              # monthly, environment
SEWAGE = "water.urban_sewage_treatment_rate"   # yearly, environment
DAILY = "test.daily_heavy_hours"    # a daily environment indicator made for this test

# (period, due date, last day of the period): the reference vectors of
# calendar.h / 0007 and their neighbours in other frequencies.
REFERENCE = [
    ("2020-01", "2020-02-05", "2020-01-31"),     # 2020-02-01..02 Spring Festival leave
    ("2023-09", "2023-10-09", "2023-09-30"),     # National Day; 10-07, 10-08 make-up days
    ("2025-04", "2025-05-08", "2025-04-30"),     # Labour Day 05-01..05
    ("2026-02", "2026-03-04", "2026-02-28"),     # 02-28 itself a make-up Saturday
    ("2023-Q3", "2023-10-09", "2023-09-30"),
    ("2023-H2", "2024-01-04", "2023-12-31"),
    ("2023", "2024-01-04", "2023-12-31"),
    ("2023-09-30", "2023-10-07", "2023-09-30"),  # daily: 1 working day, a make-up Saturday
]


def bad_request(err):
    """The google.rpc.BadRequest in an error's grpc-status-details-bin."""
    for key, value in err.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            st = status_pb2.Status.FromString(value)
            for any_ in st.details:
                if any_.type_url.endswith("google.rpc.BadRequest"):
                    return error_details_pb2.BadRequest.FromString(any_.value)
    return None


def today_cst():
    return datetime.datetime.now(CST).date()


def this_month():
    return today_cst().strftime("%Y-%m")


def cst_iso(ts):
    return ts.ToDatetime().replace(tzinfo=datetime.timezone.utc).astimezone(CST).isoformat()


class CompletenessTest(harness.RcidTestCase):
    auto_lock_off = False   # keep the product default (30 days): auto-lock is tested here

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tokens = {}
        for name, agency, admin in (("admin", None, True), ("hz", "hz-eeb", False),
                                    ("sz", "sz-eeb", False), ("hz_admin", "hz-eeb", True),
                                    ("hzs", "hz-stats", False)):
            cls.tokens[name] = cls.make_token(agency, admin)
        cls.pg.psql(
            "INSERT INTO indicators (code, name_zh, name_en, unit, domain_code, frequency, "
            "value_type, min_value, max_value, decimals, aggregation, better) VALUES "
            f"('{DAILY}', '测试：重污染小时数', 'Test: hours of heavy pollution', 'h', "
            "'environment', 'daily', 'integer', 0, 24, 0, 'sum', 'lower')")
        ch = cls.rcid.channel()
        cls.ind = indicators_pb2_grpc.IndicatorServiceStub(ch)
        cls.adm = admin_pb2_grpc.AdminServiceStub(ch)

    @classmethod
    def make_token(cls, agency, admin=False):
        secret = "rci_" + secrets.token_urlsafe(32)
        digest = hashlib.sha256(secret.encode()).hexdigest()
        cls.pg.psql(f"INSERT INTO tokens (agency_code, admin, hash, prefix) VALUES "
                    f"({'NULL' if agency is None else repr(agency)}, {str(admin).lower()}, "
                    f"decode('{digest}', 'hex'), '{secret[:8]}')")
        return secret

    # -- helpers ---------------------------------------------------------------------

    def md(self, who):
        return (("authorization", "Bearer " + self.tokens[who]),) if who else ()

    def completeness(self, period, who="hz", **kw):
        return self.ind.GetCompleteness(
            indicators_pb2.GetCompletenessRequest(period=period, **kw), metadata=self.md(who),
            timeout=10)

    def put_days(self, days, who="admin"):
        return self.adm.PutCalendarDays(admin_pb2.PutCalendarDaysRequest(
            days=[admin_pb2.CalendarDay(date=d, working=w, name=n) for d, w, n in days]),
            metadata=self.md(who), timeout=10)

    def list_days(self, year, who="admin"):
        return self.adm.ListCalendarDays(admin_pb2.ListCalendarDaysRequest(year=year),
                                         metadata=self.md(who), timeout=10)

    def lock(self, indicator, period, reason="bulletin published", who="admin"):
        return self.adm.LockPeriod(admin_pb2.LockPeriodRequest(
            indicator_code=indicator, period=period, reason=reason), metadata=self.md(who),
            timeout=10)

    def push(self, rows, who="hz", **kw):
        req = indicators_pb2.PushValuesRequest(
            request_id=secrets.token_hex(8),
            values=[indicators_pb2.ValueInput(indicator=i, region=r, period=p, value=v)
                    for i, r, p, v in rows], **kw)
        return self.ind.PushValues(req, metadata=self.md(who), timeout=20)

    def sql(self, q):
        return self.pg.psql(q).strip()

    def report_in_sql(self, indicator, region, period, agency, at, value="50", corrected_at=None):
        """A cell first reported at instant `at` (text with a zone), written
        as a push would write it; optionally a second revision at
        corrected_at."""
        rid = secrets.token_hex(6)
        self.pg.psql(f"""
            WITH b AS (
              INSERT INTO batches (agency_code, request_id, committed_at)
              VALUES ('{agency}', 'sql-{rid}', '{at}') RETURNING id
            ), c AS (
              INSERT INTO cells (indicator_code, region_code, period, period_end, revision,
                                 value, batch_id, first_batch_id)
              SELECT '{indicator}', '{region}', '{period}',
                     rci_period_end(i.frequency, '{period}'), 1, {value}, b.id, b.id
                FROM b, indicators i WHERE i.code = '{indicator}'
              RETURNING *
            )
            INSERT INTO revisions (indicator_code, region_code, period, revision, value, batch_id)
            SELECT indicator_code, region_code, period, 1, value, batch_id FROM c""")
        if corrected_at:
            self.pg.psql(f"""
                WITH b AS (
                  INSERT INTO batches (agency_code, request_id, reason, committed_at)
                  VALUES ('{agency}', 'sql-{rid}-2', 'corrected', '{corrected_at}') RETURNING id
                ), c AS (
                  UPDATE cells SET revision = 2, value = value + 1, batch_id = b.id FROM b
                   WHERE indicator_code = '{indicator}' AND region_code = '{region}'
                     AND period = '{period}'
                  RETURNING cells.*
                )
                INSERT INTO revisions (indicator_code, region_code, period, revision, value,
                                       batch_id)
                SELECT indicator_code, region_code, period, 2, value, batch_id FROM c""")

    def expected_indicators(self, agency, frequency):
        return set(self.sql(
            "SELECT i.code FROM agency_domains ad JOIN indicators i ON i.domain_code = "
            f"ad.domain_code WHERE ad.agency_code = '{agency}' AND i.frequency = "
            f"'{frequency}'").split())

    def agency_with(self, frequency):
        """An agency of Huizhou with an indicator of that frequency."""
        return self.sql(
            "SELECT min(a.code) FROM agencies a JOIN agency_domains ad ON ad.agency_code = a.code "
            f"JOIN indicators i ON i.domain_code = ad.domain_code WHERE a.city_code = '{HZ}' "
            f"AND i.frequency = '{frequency}'")

    def sql_due(self, last_day, n=3):
        return self.sql(f"SELECT rci_due_date('{last_day}', {n})")

    def push_wired(self):
        """Whether the push path asks the automatic-lock rule: rci_push_write
        checks its batch with rci_locked_pairs (0008), which asks
        rci_auto_locked_end, the rule rci_period_auto_locked also answers by."""
        def src(name):
            return self.sql(f"SELECT prosrc FROM pg_proc WHERE proname = '{name}'")
        return ("rci_locked_pairs" in src("rci_push_write")
                and "rci_auto_locked_end" in src("rci_locked_pairs")
                and "rci_auto_locked_end" in src("rci_period_auto_locked"))

    # -- due dates ---------------------------------------------------------------------

    def test_due_dates_c_and_sql_agree_on_reference_dates(self):
        freq_of = {7: "monthly", 4: "yearly"}
        for period, due, last in REFERENCE:
            with self.subTest(period=period):
                if "-Q" in period:
                    freq = "quarterly"
                elif "-H" in period:
                    freq = "half_yearly"
                elif len(period) == 10:
                    freq = "daily"
                else:
                    freq = freq_of[len(period)]
                agency = self.agency_with(freq)
                r = self.completeness(period, agency_code=agency)
                self.assertGreater(len(r.reports), 0, f"{agency} has {freq} indicators")
                self.assertEqual({x.due_date for x in r.reports}, {due}, "C (GetCompleteness)")
                n = 1 if freq == "daily" else 3
                self.assertEqual(self.sql_due(last, n), due, "SQL rci_due_date")
                self.assertEqual(self.sql(f"SELECT rci_period_due_date('{freq}', '{period}')"),
                                 due)
                self.assertEqual(self.sql(f"SELECT rci_period_end('{freq}', '{period}')"), last)

    def test_sql_due_date_edges(self):
        self.assertEqual(self.sql_due("2020-01-31", 0), "2020-01-31")
        self.assertEqual(self.sql("SELECT rci_due_date('2020-01-31', -1) IS NULL"), "t")
        self.assertEqual(self.sql("SELECT rci_due_date(NULL, 3) IS NULL"), "t")
        self.assertEqual(self.sql("SELECT rci_due_date('2020-01-31')"), "2020-02-05")
        # Across a whole year of holidays (the window the SQL reads grows).
        self.assertEqual(self.sql_due("2023-09-28", 30), self.sql(
            "SELECT d FROM (SELECT d::date, row_number() OVER (ORDER BY d) n "
            "FROM generate_series('2023-09-29'::date, '2024-03-01', '1 day') d "
            "LEFT JOIN calendar_days c ON c.day = d::date "
            "WHERE coalesce(c.working, extract(isodow FROM d) < 6)) w WHERE n = 30"))
        for f, p in (("monthly", "2024-13"), ("monthly", "2024-Q1"), ("daily", "2023-02-29"),
                     ("yearly", "1899"), ("quarterly", "2024-Q5"), ("weekly", "2024")):
            self.assertEqual(self.sql(f"SELECT rci_period_end('{f}', '{p}') IS NULL"), "t", p)

    def test_holiday_and_makeup_day_move_the_due_date(self):
        # 2030-09-30 is a Monday; plain calendar: Tue, Wed, Thu → 2030-10-03.
        agency = "hz-eeb"
        self.assertEqual(self.completeness("2030-09", agency_code=agency).reports[0].due_date,
                         "2030-10-03")
        # Holidays Tuesday 10-01 .. Saturday 10-05: Mon 7, Tue 8, Wed 9.
        r = self.put_days([(f"2030-10-0{d}", False, "NationalDay") for d in range(1, 6)])
        self.assertEqual(r.written, 5)
        self.assertEqual(self.completeness("2030-09", agency_code=agency).reports[0].due_date,
                         "2030-10-09")
        self.assertEqual(self.sql_due("2030-09-30"), "2030-10-09")
        # A make-up working day on Sunday 10-06: Sun 6, Mon 7, Tue 8.
        self.assertEqual(self.put_days([("2030-10-06", True, "makeup")]).written, 1)
        self.assertEqual(self.completeness("2030-09", agency_code=agency).reports[0].due_date,
                         "2030-10-08")
        self.assertEqual(self.sql_due("2030-09-30"), "2030-10-08")
        # Putting the same again changes nothing.
        self.assertEqual(self.put_days([("2030-10-06", True, "makeup")]).written, 0)
        days = self.list_days(2030).days
        self.assertEqual([(d.date, d.working, d.name) for d in days],
                         [(f"2030-10-0{d}", False, "NationalDay") for d in range(1, 6)]
                         + [("2030-10-06", True, "makeup")])
        # The seeded make-up weekend 2023-10-07/08 is what makes 2023-09 due on the 9th.
        seeded = {(d.date, d.working) for d in self.list_days(2023).days}
        self.assertIn(("2023-10-07", True), seeded)
        self.assertIn(("2023-10-08", True), seeded)
        self.assertIn(("2023-10-06", False), seeded)

    # -- on time, late, missing ----------------------------------------------------------------

    def test_on_time_late_missing(self):
        # 2023-09 is due 2023-10-09 (China Standard Time).
        self.report_in_sql(GOOD, HZ, "2023-09", "hz-eeb", "2023-10-09T23:59:59+08:00")
        # 00:30 CST on the 10th is still the 9th in UTC: late all the same.
        self.report_in_sql(PM25, HZ, "2023-09", "hz-eeb", "2023-10-10T00:30:00+08:00")
        # On time, then corrected long after: the first report counts.
        self.report_in_sql(PM10, HZ, "2023-09", "hz-eeb", "2023-10-05T10:00:00+08:00",
                           corrected_at="2023-11-20T09:00:00+08:00")
        # Shenzhen's figure for Shenzhen is not Huizhou's report.
        self.report_in_sql("air.no2_mean", SZ, "2023-09", "sz-eeb", "2023-10-08T09:00:00+08:00")

        r = self.completeness("2023-09", agency_code="hz-eeb")
        expected = self.expected_indicators("hz-eeb", "monthly")
        self.assertEqual({x.indicator for x in r.reports}, expected)
        self.assertEqual((r.expected, r.reported, r.on_time), (len(expected), 3, 2))
        by = {x.indicator: x for x in r.reports}
        self.assertTrue(by[GOOD].on_time)
        self.assertEqual(cst_iso(by[GOOD].first_reported_at), "2023-10-09T23:59:59+08:00")
        self.assertFalse(by[PM25].on_time)
        self.assertEqual(cst_iso(by[PM25].first_reported_at), "2023-10-10T00:30:00+08:00")
        self.assertTrue(by[PM10].on_time)
        self.assertEqual(cst_iso(by[PM10].first_reported_at), "2023-10-05T10:00:00+08:00")
        self.assertFalse(by["air.no2_mean"].HasField("first_reported_at"))
        self.assertFalse(by["air.no2_mean"].on_time)
        for x in r.reports:
            self.assertEqual((x.agency_code, x.city_code, x.period, x.due_date),
                             ("hz-eeb", HZ, "2023-09", "2023-10-09"))
        # Ordered by agency, then indicator.
        self.assertEqual([x.indicator for x in r.reports], sorted(expected))
        sz = {x.indicator: x for x in self.completeness("2023-09", agency_code="sz-eeb").reports}
        self.assertTrue(sz["air.no2_mean"].on_time)
        self.assertFalse(sz[GOOD].HasField("first_reported_at"))

    # -- filters ---------------------------------------------------------------------------------

    def test_filters(self):
        everyone = self.completeness("2022-05")
        pairs = self.sql(
            "SELECT count(*) FROM agencies a JOIN agency_domains ad ON ad.agency_code = a.code "
            "JOIN indicators i ON i.domain_code = ad.domain_code WHERE i.frequency = 'monthly'")
        self.assertEqual(everyone.expected, int(pairs))
        self.assertEqual(len(everyone.reports), everyone.expected)
        keys = [(x.agency_code, x.indicator) for x in everyone.reports]
        self.assertEqual(keys, sorted(keys))
        self.assertEqual(len(set(keys)), len(keys))

        city = self.completeness("2022-05", city_code=HZ)
        self.assertEqual({x.city_code for x in city.reports}, {HZ})
        self.assertEqual({x.agency_code for x in city.reports},
                         set(self.sql(f"SELECT code FROM agencies WHERE city_code = '{HZ}' AND "
                                      "EXISTS (SELECT 1 FROM agency_domains ad JOIN indicators i "
                                      "ON i.domain_code = ad.domain_code WHERE ad.agency_code = "
                                      "agencies.code AND i.frequency = 'monthly')").split()))

        circle = self.completeness("2022-05", circle="szdghz")
        self.assertEqual({x.city_code for x in circle.reports}, SZDGHZ)
        self.assertLess(circle.expected, everyone.expected)
        self.assertEqual(circle.expected,
                         sum(self.completeness("2022-05", city_code=c).expected for c in SZDGHZ))

        one = self.completeness("2022-05", agency_code="hz-eeb")
        self.assertEqual({x.agency_code for x in one.reports}, {"hz-eeb"})
        both = self.completeness("2022-05", agency_code="hz-eeb", city_code=HZ, circle="szdghz")
        self.assertEqual(both.expected, one.expected)
        # Filters combine: Huizhou is not in the Guangzhou-Foshan-Zhaoqing circle.
        none = self.completeness("2022-05", city_code=HZ, circle="gfz")
        self.assertEqual((none.expected, len(none.reports)), (0, 0))
        self.assertEqual(self.completeness("2022-05", agency_code="hz-eeb", city_code=GZ).expected,
                         0)

        # The period's form picks the frequency.
        for period, freq in (("2022", "yearly"), ("2022-H1", "half_yearly"),
                             ("2022-Q2", "quarterly"), ("2022-05-17", "daily")):
            r = self.completeness(period, agency_code="hz-stats")
            self.assertEqual({x.indicator for x in r.reports},
                             self.expected_indicators("hz-stats", freq), period)

        # Bad filters.
        for kw, code in ((dict(agency_code="hz-nothing"), grpc.StatusCode.NOT_FOUND),
                         (dict(city_code="449999"), grpc.StatusCode.NOT_FOUND),
                         (dict(circle=HZ), grpc.StatusCode.NOT_FOUND),       # a city, not a circle
                         (dict(circle="nowhere"), grpc.StatusCode.NOT_FOUND),
                         (dict(agency_code="HZ EEB"), grpc.StatusCode.INVALID_ARGUMENT),
                         (dict(city_code="x" * 65), grpc.StatusCode.INVALID_ARGUMENT)):
            with self.subTest(**kw):
                err = self.assertRpcError(lambda: self.completeness("2022-05", **kw), code)
                self.assertIn(next(iter(kw)), err.details())
        for period in ("", "2022-13", "2022/05", "2022-q2", "1899", "2022-02-30"):
            with self.subTest(period=period):
                err = self.assertRpcError(lambda: self.completeness(period),
                                          grpc.StatusCode.INVALID_ARGUMENT)
                self.assertIn("period", err.details())

    # -- the calendar through AdminService -------------------------------------------------------

    def test_put_calendar_days_validation(self):
        def refused(days, field, code=grpc.StatusCode.INVALID_ARGUMENT):
            err = self.assertRpcError(lambda: self.put_days(days), code)
            br = bad_request(err)
            if field:
                self.assertIn(field, [v.field for v in br.field_violations], err.details())
            return err

        # A make-up working day on a weekday means nothing.
        err = refused([("2031-10-08", True, "makeup")], "days[0].working")
        self.assertIn("Wednesday", err.details())
        # A weekend holiday outside a range (Friday 2031-10-10 and Monday 10-13 are not).
        err = refused([("2031-10-11", False, "x")], "days[0].working")
        self.assertIn("Saturday", err.details())
        refused([("2031-02-29", False, "")], "days[0].date")
        refused([("2031-1-05", False, "")], "days[0].date")
        refused([("", False, "")], "days[0].date")
        refused([("2031-10-01", False, ""), ("2031-10-01", False, "")], "days[1].date")
        refused([("2031-10-01", False, "x" * 65)], "days[0].name")
        refused([("2031-10-01", False, "a\nb")], "days[0].name")
        refused([], None)
        self.assertRpcError(lambda: self.put_days([(f"2031-10-01", False, "")] * 1001),
                            grpc.StatusCode.RESOURCE_EXHAUSTED)
        # Nothing is written when one day is bad, neither by C's checks nor SQL's.
        refused([("2031-10-01", False, "NationalDay"), ("2031-10-08", True, "")],
                "days[1].working")
        refused([("2031-10-01", False, "NationalDay"), ("2031-10-11", False, "")],
                "days[1].working")
        self.assertEqual(len(self.list_days(2031).days), 0)

        # A range: Friday 2031-10-03 and Monday 10-06 make Saturday 10-04 and Sunday
        # 10-05 part of it.
        names = ("2031-10-03", "2031-10-04", "2031-10-05", "2031-10-06")
        self.assertEqual(self.put_days([(d, False, "NationalDay") for d in names]).written, 4)
        self.assertEqual([(d.date, d.working) for d in self.list_days(2031).days],
                         [(d, False) for d in names])

    def test_weekend_holiday_next_to_a_listed_one(self):
        # 2026-10-01..07 is in the seed: its Saturday may be put again alone (renamed).
        self.assertEqual(self.put_days([("2026-10-03", False, "国庆节")]).written, 1)
        named = {d.date: d.name for d in self.list_days(2026).days}
        self.assertEqual(named["2026-10-03"], "国庆节")
        self.assertEqual(named["2026-10-02"], "NationalDay")
        self.put_days([("2026-10-03", False, "NationalDay")])
        # A Saturday whose Friday is a holiday in the same call.
        self.assertEqual(self.put_days([("2032-01-09", False, "Test"),
                                        ("2032-01-10", False, "Test")]).written, 2)
        # A Sunday whose Monday is one.
        self.assertEqual(self.put_days([("2032-02-01", False, "Test"),
                                        ("2032-02-02", False, "Test")]).written, 2)
        # A Saturday whose Monday is one (the Sunday between is a rest day anyway).
        self.assertEqual(self.put_days([("2032-03-06", False, "Test"),
                                        ("2032-03-08", False, "Test")]).written, 2)
        # Refused: a Sunday whose Friday and Monday are plain working days.
        self.assertRpcError(lambda: self.put_days([("2032-04-04", False, "x")]),
                            grpc.StatusCode.INVALID_ARGUMENT)
        # A holiday can become a make-up day only on a weekend.
        self.assertEqual(self.put_days([("2032-01-10", True, "makeup")]).written, 1)
        self.assertIn(("2032-01-10", True),
                      {(d.date, d.working) for d in self.list_days(2032).days})

    def test_list_calendar_days(self):
        seed = self.list_days(2026).days
        dates = [d.date for d in seed]
        self.assertEqual(dates, sorted(dates))
        self.assertTrue(all(d.startswith("2026-") for d in dates))
        self.assertIn(("2026-10-10", True, "makeup"), [(d.date, d.working, d.name) for d in seed])
        everything = self.list_days(0).days
        self.assertGreaterEqual(len(everything), 395)
        self.assertEqual(len(self.list_days(1990).days), 0)
        for year in (-1, 1899, 3000):
            self.assertRpcError(lambda: self.list_days(year), grpc.StatusCode.INVALID_ARGUMENT)

    def test_calendar_and_lock_are_audited(self):
        self.put_days([("2033-10-03", False, "AuditTest")])
        self.lock(SEWAGE, "2019", reason="audit test")
        rows = self.sql("SELECT action || ' ' || detail::text FROM audit "
                        "WHERE action IN ('calendar.put', 'period.lock') ORDER BY id")
        self.assertIn("AuditTest", rows)
        self.assertIn('"reason": "audit test"', rows)
        self.assertIn('"period": "2019"', rows)

    # -- locks -------------------------------------------------------------------------------------

    def test_lock_period_then_push_refused(self):
        month = this_month()
        self.push([(GOOD, HZ, month, "90")])
        self.assertEqual(type(self.lock(GOOD, month)), admin_pb2.LockPeriodResponse)
        # Idempotent: again, with another reason, changes nothing.
        self.lock(GOOD, month, reason="again")
        self.assertEqual(self.sql(f"SELECT count(*) || ' ' || min(reason) FROM period_locks "
                                  f"WHERE indicator_code = '{GOOD}' AND period = '{month}'"),
                         "1 bulletin published")
        err = self.assertRpcError(lambda: self.push([(GOOD, HZ, month, "91")]),
                                  grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn("lock", err.details())
        # Another indicator of the same month is open.
        self.push([(PM25, HZ, month, "20")])
        # An admin override with a reason passes.
        self.assertEqual(self.push([(GOOD, HZ, month, "91")], who="hz_admin", override_lock=True,
                                   reason="audit finding").written, 1)

        # Every indicator of a frequency: monthly ones refuse, the yearly one not.
        self.lock("", month, reason="monthly bulletin")
        self.assertEqual(self.sql("SELECT frequency FROM period_locks WHERE indicator_code IS "
                                  f"NULL AND period = '{month}'"), "monthly")
        self.assertRpcError(lambda: self.push([(PM25, HZ, month, "21")]),
                            grpc.StatusCode.FAILED_PRECONDITION)
        self.push([(SEWAGE, HZ, str(today_cst().year), "95.5")])

    def test_lock_period_validation(self):
        err = self.assertRpcError(lambda: self.lock(GOOD, "2026-Q3"),
                                  grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("monthly", err.details())
        self.assertRpcError(lambda: self.lock("air.nothing", "2026-10"), grpc.StatusCode.NOT_FOUND)
        for period in ("", "2026-13", "2026/10", "26-10"):
            self.assertRpcError(lambda: self.lock(GOOD, period), grpc.StatusCode.INVALID_ARGUMENT)
        for reason in ("", "   "):
            err = self.assertRpcError(lambda: self.lock(GOOD, "2026-10", reason=reason),
                                      grpc.StatusCode.INVALID_ARGUMENT)
            self.assertIn("reason", err.details())
        self.assertRpcError(lambda: self.lock(GOOD, "2026-10", reason="x" * 1001),
                            grpc.StatusCode.INVALID_ARGUMENT)
        self.assertRpcError(lambda: self.lock("x" * 65, "2026-10"),
                            grpc.StatusCode.INVALID_ARGUMENT)
        # Nothing was locked by the refused calls.
        self.assertEqual(self.sql("SELECT count(*) FROM period_locks WHERE period IN "
                                  "('2026-Q3', '2026-10')"), "0")
        # Every quarterly indicator of 2026-Q3, and a daily one.
        self.lock("", "2026-Q3")
        self.lock(DAILY, "2026-10-05")
        self.assertEqual(self.sql("SELECT string_agg(coalesce(indicator_code, '*') || ' ' || "
                                  "frequency, ',' ORDER BY id) FROM period_locks WHERE period IN "
                                  "('2026-Q3', '2026-10-05')"),
                         f"* quarterly,{DAILY} daily")

    # -- automatic locks ---------------------------------------------------------------------------

    def set_auto_lock_days(self, n):
        self.pg.psql(f"UPDATE period_lock_settings SET auto_lock_days = "
                     f"{'NULL' if n is None else n}, updated_at = now()")

    def auto_locked(self, indicator, period):
        return self.sql(f"SELECT rci_period_auto_locked('{indicator}', '{period}')") == "t"

    def test_auto_lock_function(self):
        self.assertEqual(self.sql("SELECT auto_lock_days FROM period_lock_settings"), "30")
        self.addCleanup(self.set_auto_lock_days, 30)
        # 2023-09 is due 2023-10-09: locked once `days` whole days have passed after that.
        days_since = (today_cst() - datetime.date(2023, 10, 9)).days
        self.assertTrue(self.auto_locked(GOOD, "2023-09"))
        self.set_auto_lock_days(days_since)        # today is due + N: still open
        self.assertFalse(self.auto_locked(GOOD, "2023-09"))
        self.set_auto_lock_days(days_since - 1)    # today is due + N + 1: locked
        self.assertTrue(self.auto_locked(GOOD, "2023-09"))
        self.set_auto_lock_days(None)              # off
        self.assertFalse(self.auto_locked(GOOD, "2023-09"))
        self.set_auto_lock_days(30)
        self.assertFalse(self.auto_locked(GOOD, this_month()))
        self.assertFalse(self.auto_locked(SEWAGE, str(today_cst().year)))
        self.assertTrue(self.auto_locked(SEWAGE, "2020"))
        self.assertTrue(self.auto_locked(DAILY, "2023-09-30"))
        # Unknown indicators and periods that do not fit are validation's to report.
        self.assertFalse(self.auto_locked("air.nothing", "2023-09"))
        self.assertFalse(self.auto_locked(GOOD, "2023"))
        self.assertFalse(self.auto_locked(GOOD, "2023-13"))
        with self.assertRaises(RuntimeError):      # the setting's CHECK
            self.set_auto_lock_days(-1)

    def test_auto_lock_refuses_pushes(self):
        self.assertTrue(self.push_wired(), "the push path must ask rci_period_auto_locked")
        self.addCleanup(self.set_auto_lock_days, 30)
        self.set_auto_lock_days(30)
        err = self.assertRpcError(lambda: self.push([(GOOD, HZ, "2023-08", "88")]),
                                  grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn("lock", err.details())
        # A dry run says so too.
        r = self.push([(GOOD, HZ, "2023-08", "88")], validate_only=True)
        self.assertEqual([v.field for v in r.violations], ["period"])
        # The current month is open; an admin override passes the old one.
        self.push([(PM10, HZ, this_month(), "40")])
        self.assertEqual(self.push([(GOOD, HZ, "2023-08", "88")], who="hz_admin",
                                   override_lock=True, reason="late correction").written, 1)
        # Automatic locks off: the old period is open again.
        self.set_auto_lock_days(None)
        self.assertEqual(self.push([(GOOD, HZ, "2023-08", "89")]).written, 1)

    # -- permissions -------------------------------------------------------------------------------

    def test_permissions(self):
        U, P = grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED
        # Completeness: any valid token.
        self.assertRpcError(lambda: self.completeness("2022-05", who=None), U)
        for who in ("hz", "sz", "admin", "hzs"):
            self.completeness("2022-05", who=who, agency_code="hz-eeb")
        # The calendar and locks: admin only; token first, then validation.
        calls = {
            "PutCalendarDays": lambda who: self.put_days([("2034-10-02", False, "P")], who=who),
            "ListCalendarDays": lambda who: self.list_days(2034, who=who),
            "LockPeriod": lambda who: self.lock(GOOD, "2034-10", who=who),
            "PutCalendarDays(bad)": lambda who: self.put_days([("bad", True, "")], who=who),
            "LockPeriod(bad)": lambda who: self.lock(GOOD, "bad", reason="", who=who),
        }
        for name, call in calls.items():
            with self.subTest(name):
                self.assertRpcError(lambda: call(None), U, name)
                err = self.assertRpcError(lambda: call("hz"), P, name)
                self.assertIn("admin", err.details())
                if "bad" not in name:
                    call("admin")
                    call("hz_admin")
        self.assertEqual(self.sql("SELECT count(*) FROM period_locks WHERE period = '2034-10'"),
                         "1")

    # -- rcictl ------------------------------------------------------------------------------------

    def rcictl(self, *args, who="admin"):
        return self.rcid.rcictl("--token", self.tokens[who], *args)

    def test_rcictl_completeness(self):
        self.report_in_sql(GOOD, HZ, "2021-09", "hz-eeb", "2021-10-08T10:00:00+08:00")
        self.report_in_sql(PM25, HZ, "2021-09", "hz-eeb", "2021-11-01T10:00:00+08:00")
        due = self.completeness("2021-09", agency_code="hz-eeb").reports[0].due_date
        p = self.rcictl("completeness", "2021-09", "--agency", "hz-eeb", who="hz")
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0].split(), ["AGENCY", "CITY", "INDICATOR", "DUE", "REPORTED",
                                            "STATUS"])
        good = next(line for line in lines if GOOD in line)
        self.assertIn("on time", good)
        self.assertIn("2021-10-08T10:00:00+08:00", good)
        self.assertIn("late", next(line for line in lines if PM25 in line))
        n = len(self.expected_indicators("hz-eeb", "monthly"))
        self.assertEqual(lines[-1], f"2021-09: {n} expected, 2 reported (1 on time, 1 late), "
                                    f"{n - 2} missing; due {due}")

        p = self.rcictl("completeness", "2021-09", "--agency", "hz-eeb", "--late", who="hz")
        self.assertEqual([line.split()[2] for line in p.stdout.splitlines()[1:-1]], [PM25])
        p = self.rcictl("completeness", "2021-09", "--agency", "hz-eeb", "--missing", who="hz")
        rows = p.stdout.splitlines()[1:-1]
        self.assertEqual(len(rows), n - 2)
        self.assertTrue(all(r.rstrip().endswith("missing") for r in rows))
        p = self.rcictl("completeness", "2021-09", "--agency", "hz-eeb", "--missing", "--late",
                        who="hz")
        self.assertEqual(len(p.stdout.splitlines()) - 2, n - 1)

        p = self.rcictl("--format", "json", "completeness", "2021-09", "--city", HZ, "--circle",
                        "szdghz")
        self.assertEqual(p.returncode, 0, p.stderr)
        doc = json.loads(p.stdout)
        r = self.completeness("2021-09", city_code=HZ)
        self.assertEqual((doc["expected"], doc["reported"], doc["on_time"], doc["due_date"]),
                         (r.expected, 2, 1, due))
        by = {(x["agency_code"], x["indicator"]): x for x in doc["reports"]}
        self.assertEqual(by[("hz-eeb", GOOD)]["status"], "on time")
        self.assertIs(by[("hz-eeb", GOOD)]["on_time"], True)
        self.assertIsNone(by[("hz-eeb", PM10)]["first_reported_at"])

        p = self.rcictl("--format", "csv", "completeness", "2021-09", "--agency", "hz-eeb",
                        "--late")
        self.assertEqual(p.stdout.splitlines()[0],
                         "agency_code,city_code,indicator,period,due_date,first_reported_at,status")
        self.assertEqual(p.stdout.splitlines()[1:],
                         [f"hz-eeb,{HZ},{PM25},2021-09,{due},2021-11-01T10:00:00+08:00,late"])

        # Errors and usage.
        p = self.rcictl("completeness", "2021-13", who="hz")
        self.assertEqual(p.returncode, 1)
        self.assertIn("INVALID_ARGUMENT", p.stderr)
        p = self.rcictl("completeness", "2021-09", "--agency", "hz-none", who="hz")
        self.assertEqual(p.returncode, 1)
        self.assertIn("NOT_FOUND", p.stderr)
        self.assertEqual(self.rcictl("completeness", who="hz").returncode, 2)
        p = self.rcictl("completeness", "--help", who="hz")
        self.assertEqual(p.returncode, 0)
        self.assertIn("--missing", p.stdout)

    def test_rcictl_admin_calendar_and_lock(self):
        p = self.rcictl("admin", "calendar", "put", "--holiday", "2035-10-01..2035-10-07",
                        "--workday", "2035-09-30", "--workday", "2035-10-13", "--name",
                        "NationalDay")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("9 of 9 days written", p.stdout)
        p = self.rcictl("admin", "calendar", "list", "2035")
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0].split(), ["DATE", "WEEKDAY", "KIND", "NAME"])
        self.assertEqual(len(lines), 10)
        self.assertIn("Sunday", lines[1])
        self.assertIn("make-up working day", lines[1])
        self.assertIn("holiday", lines[2])
        p = self.rcictl("--format", "json", "admin", "calendar", "list", "2035")
        doc = json.loads(p.stdout)
        self.assertEqual(doc[0], {"date": "2035-09-30", "weekday": "Sunday", "working": "true",
                                  "name": "NationalDay"})
        # 2035-09-30 is a Sunday (make-up): September is due Mon 10-08... counted by the server.
        self.assertEqual(self.completeness("2035-09", agency_code="hz-eeb").reports[0].due_date,
                         self.sql_due("2035-09-30"))

        p = self.rcictl("admin", "calendar", "put", "--workday", "2035-10-10")   # a Wednesday
        self.assertEqual(p.returncode, 1)
        self.assertIn("INVALID_ARGUMENT", p.stderr)
        self.assertIn("Wednesday", p.stderr)
        for bad in (["--holiday", "2035-10-07..2035-10-01"], ["--holiday", "2035-02-30"],
                    ["--workday", "2035-10-06..2035-10-07"], [], ["2035-10-01"]):
            p = self.rcictl("admin", "calendar", "put", *bad)
            self.assertEqual(p.returncode, 2, (bad, p.stderr))
        p = self.rcictl("admin", "calendar", "put", "--holiday", "2035-10-01", who="hz")
        self.assertEqual(p.returncode, 1)
        self.assertIn("PERMISSION_DENIED", p.stderr)

        p = self.rcictl("admin", "lock", GOOD, "2035-10", "--reason", "closed")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(f"locked {GOOD} 2035-10", p.stdout)
        p = self.rcictl("admin", "lock", "--all-frequency", "2035-Q4", "--reason", "closed")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.sql("SELECT string_agg(coalesce(indicator_code, '*') || ' ' || period"
                                  ", ',' ORDER BY id) FROM period_locks WHERE period LIKE '2035%'"),
                         f"{GOOD} 2035-10,* 2035-Q4")
        self.assertEqual(self.rcictl("admin", "lock", GOOD, "2035-10").returncode, 2)
        self.assertEqual(self.rcictl("admin", "lock", "2035-10", "--reason", "x").returncode, 2)
        self.assertEqual(self.rcictl("admin", "lock", "--all-frequency", GOOD, "2035-10",
                                     "--reason", "x").returncode, 2)
        p = self.rcictl("admin", "lock", GOOD, "2035-Q4", "--reason", "x")
        self.assertEqual(p.returncode, 1)
        self.assertIn("INVALID_ARGUMENT", p.stderr)
        p = self.rcictl("admin", "lock", GOOD, "2035-11", "--reason", "x", who="hz")
        self.assertEqual(p.returncode, 1)
        self.assertIn("PERMISSION_DENIED", p.stderr)
