"""Demo data: `rcid demo` (DESIGN §6 "Demo data", issue 3).

Loads the demo data into the harness's PostgreSQL, checks what it wrote
against the catalogue (ranges, decimals, frequencies, agencies), the window
(2023-11..2026-10, across 2026-03-01), the reporting story (on time, late by
the working-day calendar, corrected, missing), that a second run writes
nothing, that two fresh databases get the same rows, that --replace
reloads only the demo's own rows, and that rcid serves them. One test runs
the README's way: embedded cluster in a fresh --data-dir, then rcid on it.
"""
import datetime
import hashlib
import re
import secrets
import subprocess
import unittest

from google.protobuf import timestamp_pb2

import harness
from rci.v1 import air_pb2, air_pb2_grpc, indicators_pb2, indicators_pb2_grpc
from rci.v1 import water_pb2, water_pb2_grpc

HZ = "441300"
CITIES = {"440300", "441900", "441300", "441500", "441600",   # 深莞惠+汕尾、河源
          "440100", "440600", "441200", "441800", "445300"}   # 广佛肇+清远、云浮
GOOD = "air.good_days_rate"
CORRECTION = "数据订正 / data correction"

# Every row the demo wrote, in a fixed order, with what makes it what it is
# (not the serial ids, which depend on what the database held before).
CHECKSUM_SQL = """
SELECT count(*) || ':' || md5(string_agg(concat_ws('|', r.indicator_code, r.region_code, r.period,
           r.revision, r.value::text, r.note, c.period_end, c.revision, c.value::text,
           b.agency_code, b.request_id, b.reason,
           to_char(b.committed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')),
       E'\\n' ORDER BY r.indicator_code, r.region_code, r.period, r.revision))
  FROM revisions r
  JOIN batches b ON b.id = r.batch_id
  JOIN cells c USING (indicator_code, region_code, period)
 WHERE b.token_id IS NULL AND b.request_id LIKE 'demo/%'
"""

# Every water sample the demo wrote with its values, and the alerts they
# raised (without the serial sample ids in their detail).
WATER_CHECKSUM_SQL = """
SELECT (SELECT count(*) || ':' || md5(string_agg(concat_ws('|', w.section_code, w.agency_code,
            w.month, w.revision, w.sampled_on, w.content, w.request_id,
            (SELECT string_agg(v.parameter || '=' || v.value::text || ' ' || v.unit, ','
                               ORDER BY v.parameter)
               FROM water_sample_values v WHERE v.sample_id = w.id)),
        E'\\n' ORDER BY w.section_code, w.agency_code, w.month, w.revision))
          FROM water_samples w WHERE w.token_id IS NULL AND w.request_id LIKE 'demo/%')
    || ' ' ||
       (SELECT count(*) || ':' || coalesce(md5(string_agg(concat_ws('|', a.kind, a.severity,
            a.cities::text, a.subject, a.message,
            (a.detail - 'sample_id' - 'other_sample_id')::text),
        E'\\n' ORDER BY a.kind, a.subject, a.message)), '')
          FROM alerts a WHERE a.kind LIKE 'water.%')
"""


def water_numbers(stderr):
    m = re.search(r"water: (\d+) samples for (\d+) sections \((\d+) official, (\d+) joint "
                  r"pairs\); (\d+) off-target months; (\d+) joint discrepancies; (\d+) alerts "
                  r"raised", stderr)
    assert m, f"no water summary in:\n{stderr}"
    keys = ("samples", "sections", "official", "joint", "off_target", "discrepancies", "alerts")
    return dict(zip(keys, map(int, m.groups())))


def rcid_demo(*args, timeout=180):
    p = subprocess.run([harness.RCID, "demo"] + list(args), capture_output=True, text=True,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    return p


def summary_numbers(stderr):
    m = re.search(r"(\d+) cells, (\d+) revisions \((\d+) corrected later\), (\d+) batches "
                  r"\((\d+) reports \+ (\d+) corrections\)", stderr)
    late = re.search(r"late: (\d+) reports \((\d+) cells\).*missing: (\d+) cells", stderr)
    assert m and late, f"no summary in:\n{stderr}"
    keys = ("cells", "revisions", "corrected", "batches", "reports", "corrections")
    out = dict(zip(keys, map(int, m.groups())))
    out.update(zip(("late_reports", "late_cells", "missing"), map(int, late.groups())))
    return out


def rows(pg, sql):
    return [line.split("|") for line in pg.psql(sql).splitlines() if line]


class DemoTest(harness.RcidTestCase):
    start_rcid = False          # started by test_rcid_serves_them, on the loaded data

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.first = rcid_demo("--database", cls.pg.conninfo())
        cls.second = rcid_demo("--database", cls.pg.conninfo())
        if cls.first.returncode != 0:
            raise AssertionError(f"rcid demo failed ({cls.first.returncode}):\n{cls.first.stderr}")
        cls.summary = summary_numbers(cls.first.stderr)
        cls.checksum = cls.pg.psql(CHECKSUM_SQL).strip()
        cls.water = water_numbers(cls.first.stderr)
        cls.water_checksum = cls.pg.psql(WATER_CHECKSUM_SQL).strip()

    @classmethod
    def tearDownClass(cls):
        if cls.rcid.proc is not None and cls.rcid.alive():
            cls.rcid.stop_ok()

    def one(self, sql):
        return self.pg.psql(sql).strip()

    # -- the load and the no-op ------------------------------------------------------

    def test_summary_matches_the_tables(self):
        s = self.summary
        n_ind = int(self.one("SELECT count(DISTINCT indicator_code) FROM cells"))
        self.assertIn(f"loaded months 2023-11..2026-10 (36) for 10 cities x {n_ind} indicators",
                      self.first.stderr)
        self.assertEqual(int(self.one("SELECT count(*) FROM cells")), s["cells"])
        self.assertEqual(int(self.one("SELECT count(*) FROM revisions")), s["revisions"])
        self.assertEqual(int(self.one("SELECT count(*) FROM batches")), s["batches"])
        self.assertEqual(s["revisions"], s["cells"] + s["corrected"])
        self.assertEqual(s["batches"], s["reports"] + s["corrections"])
        # Every period of each indicator's frequency ending in the window, for
        # the 10 cities (the starter catalogue: 25 monthly × 36, 7 quarterly ×
        # 12 from 2023-Q4, 2 half-yearly × 6 from 2023-H2, 7 yearly × 3).
        expected = 10 * int(self.one("""
            SELECT sum(CASE frequency WHEN 'monthly' THEN 36 WHEN 'quarterly' THEN 12
                                      WHEN 'half_yearly' THEN 6 WHEN 'yearly' THEN 3 END)
              FROM indicators WHERE code IN (SELECT DISTINCT indicator_code FROM cells)"""))
        self.assertEqual(s["cells"] + s["missing"], expected)
        self.assertGreater(s["missing"], expected * 0.01)
        self.assertLess(s["missing"], expected * 0.04)
        audit = rows(self.pg, "SELECT action, request_id, peer, detail->>'cells', "
                              "detail->>'window' FROM audit WHERE action = 'demo.load'")
        self.assertEqual(audit, [["demo.load", "demo/2023-11..2026-10", "local",
                                  str(s["cells"]), "2023-11..2026-10"]])

    def test_second_run_writes_nothing(self):
        self.assertEqual(self.second.returncode, 0, self.second.stderr)
        self.assertIn("already loaded", self.second.stderr)
        self.assertIn(f"{self.summary['batches']} batches", self.second.stderr)
        self.assertEqual(int(self.one("SELECT count(*) FROM batches")), self.summary["batches"])
        self.assertEqual(self.one("SELECT count(*) FROM audit WHERE action = 'demo.load'"), "1")
        self.assertEqual(self.pg.psql(CHECKSUM_SQL).strip(), self.checksum)
        self.assertEqual(self.pg.psql(WATER_CHECKSUM_SQL).strip(), self.water_checksum)

    def test_usage_errors(self):
        for args in (["--until", "2026-13"], ["--until", "2026-Q3"], ["--months", "0"],
                     ["--months", "x"], ["--bogus"], ["--database", "x", "--data-dir", "/tmp"]):
            p = rcid_demo(*args)
            self.assertEqual(p.returncode, 2, (args, p.stderr))
            self.assertIn("rcid demo:", p.stderr)
        p = rcid_demo("--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("--until YYYY-MM", p.stdout)
        self.assertIn("PushSamples", p.stdout)

    # -- what the rows are --------------------------------------------------------------

    def test_cities_indicators_and_agencies(self):
        regions = {r[0] for r in rows(self.pg, "SELECT DISTINCT region_code FROM cells")}
        self.assertEqual(regions, CITIES)
        # The whole starter catalogue (41 definitions of 0002, none daily);
        # indicators added since get no demo values and are named.
        self.assertGreaterEqual(int(self.one("SELECT count(DISTINCT indicator_code) FROM cells")),
                                41)
        m = re.search(r"no demo model for \(skipped\): (.*)", self.first.stderr)
        skipped = set(m.group(1).split(", ")) if m else set()
        without = {r[0] for r in rows(self.pg, "SELECT code FROM indicators i WHERE frequency <> "
                                              "'daily' AND NOT EXISTS (SELECT 1 FROM cells c "
                                              "WHERE c.indicator_code = i.code)")}
        self.assertEqual(without, skipped)
        # Each value was pushed by its city's agency for the indicator's domain.
        wrong = self.one("""
            SELECT count(*) FROM revisions r
              JOIN batches b ON b.id = r.batch_id
              JOIN indicators i ON i.code = r.indicator_code
              JOIN agencies a ON a.code = b.agency_code
             WHERE a.city_code <> r.region_code
                OR NOT EXISTS (SELECT 1 FROM agency_domains d
                               WHERE d.agency_code = a.code AND d.domain_code = i.domain_code)""")
        self.assertEqual(wrong, "0")
        # One report batch per agency and period, each period of one frequency.
        self.assertEqual(self.one("""
            SELECT count(*) FROM (
              SELECT b.id FROM batches b JOIN revisions r ON r.batch_id = b.id
               GROUP BY b.id HAVING count(DISTINCT r.period) <> 1) x"""), "0")
        self.assertEqual(self.one("""
            SELECT count(*) FROM (
              SELECT b.agency_code, r.period FROM batches b JOIN revisions r ON r.batch_id = b.id
               WHERE b.reason = '' GROUP BY 1, 2 HAVING count(DISTINCT b.id) <> 1) x"""), "0")
        self.assertEqual(self.one("SELECT count(*) FROM batches WHERE token_id IS NOT NULL "
                                  "OR request_id NOT LIKE 'demo/%' OR peer <> 'local'"), "0")

    def test_values_respect_range_and_decimals(self):
        bad = rows(self.pg, """
            SELECT r.indicator_code, r.region_code, r.period, r.value
              FROM revisions r JOIN indicators i ON i.code = r.indicator_code
             WHERE r.value < coalesce(i.min_value, CASE WHEN i.value_type = 'percent' THEN 0 END)
                OR r.value > coalesce(i.max_value, CASE WHEN i.value_type = 'percent' THEN 100 END)
                OR scale(r.value) > i.decimals
                OR (i.value_type = 'integer' AND r.value <> trunc(r.value))
             LIMIT 20""")
        self.assertEqual(bad, [])
        # Stored as PushValues stores a figure: no trailing zeros after the point.
        self.assertEqual(self.one("SELECT count(*) FROM revisions "
                                  "WHERE value::text ~ '\\.[0-9]*0$'"), "0")
        # Periods written in their indicator's form, period_end their last day.
        bad = rows(self.pg, """
            SELECT c.indicator_code, c.period FROM cells c JOIN indicators i ON i.code = c.indicator_code
             WHERE NOT CASE i.frequency
                   WHEN 'monthly' THEN c.period ~ '^\\d{4}-(0[1-9]|1[0-2])$'
                        AND c.period_end = (to_date(c.period, 'YYYY-MM') + interval '1 month - 1 day')::date
                   WHEN 'quarterly' THEN c.period ~ '^\\d{4}-Q[1-4]$'
                        AND c.period_end = (make_date(left(c.period, 4)::int, right(c.period, 1)::int * 3, 1)
                                            + interval '1 month - 1 day')::date
                   WHEN 'half_yearly' THEN c.period ~ '^\\d{4}-H[12]$'
                        AND c.period_end = make_date(left(c.period, 4)::int,
                                                     CASE right(c.period, 1) WHEN '1' THEN 6 ELSE 12 END,
                                                     CASE right(c.period, 1) WHEN '1' THEN 30 ELSE 31 END)
                   WHEN 'yearly' THEN c.period ~ '^\\d{4}$'
                        AND c.period_end = make_date(c.period::int, 12, 31)
                   END
             LIMIT 20""")
        self.assertEqual(bad, [])

    def test_window_crosses_2026_03_01(self):
        self.assertEqual(rows(self.pg, "SELECT min(period_end), max(period_end) FROM cells"),
                         [["2023-11-30", "2026-10-31"]])
        months = [r[0] for r in rows(self.pg, "SELECT DISTINCT period FROM cells c JOIN indicators i "
                                              "ON i.code = c.indicator_code WHERE i.frequency = "
                                              "'monthly' ORDER BY 1")]
        self.assertEqual(len(months), 36)
        self.assertEqual((months[0], months[-1]), ("2023-11", "2026-10"))
        self.assertIn("2026-02", months)
        self.assertIn("2026-03", months)
        self.assertEqual(rows(self.pg, "SELECT DISTINCT period FROM cells WHERE "
                                       "indicator_code = 'econ.gdp' ORDER BY 1")[0], ["2023-Q4"])
        self.assertEqual([r[0] for r in rows(self.pg, "SELECT DISTINCT period FROM cells WHERE "
                                                      "indicator_code = 'innov.rd_spending_share' "
                                                      "ORDER BY 1")], ["2023", "2024", "2025"])

    def test_daily_air_data(self):
        # Daily records behind the monthly air figures, written by PushAirDays'
        # path (rci_air_write) without touching the demo's cells or batches
        # (test_summary_matches_the_tables counts those).
        m = re.search(r"air: (\d+) daily records for (\d+) cities \((\d+) city-months; "
                      r"(\d+) left without days\)", self.first.stderr)
        self.assertIsNotNone(m, self.first.stderr)
        days, ncities, months, skipped = map(int, m.groups())
        self.assertEqual(ncities, 10)
        self.assertEqual(int(self.one("SELECT count(*) FROM air_days")), days)
        self.assertGreater(months, 10 * 36 * 0.85)
        # Every city-month of the demo's own air figures (no note) has days or
        # is counted as left without.
        self.assertEqual(months + skipped, int(self.one(f"""
            SELECT count(*) FROM cells g JOIN batches b ON b.id = g.batch_id
              JOIN cells p ON p.indicator_code = 'air.pm25_mean'
                          AND p.region_code = g.region_code AND p.period = g.period
              JOIN batches pb ON pb.id = p.batch_id
             WHERE g.indicator_code = '{GOOD}' AND g.note = '' AND p.note = ''
               AND b.request_id LIKE 'demo/%' AND pb.request_id LIKE 'demo/%'""")))
        self.assertEqual(int(self.one("SELECT count(DISTINCT (city_code, date_trunc('month', day))) "
                                      "FROM air_days")), months)
        # Every month of days is whole, inside the window, across 2026-03-01.
        self.assertEqual(rows(self.pg, """
            SELECT count(*) FROM (SELECT city_code, date_trunc('month', day) m, count(*) n
                                    FROM air_days GROUP BY 1, 2) x
             WHERE n <> extract(day FROM m + interval '1 month - 1 day')"""), [["0"]])
        self.assertEqual(rows(self.pg, "SELECT min(day) >= '2023-11-01', max(day) <= '2026-10-31', "
                                       "bool_or(day < '2026-03-01'), bool_or(day >= '2026-03-01') "
                                       "FROM air_days"), [["t", "t", "t", "t"]])
        self.assertEqual(self.one("SELECT count(*) FROM alerts WHERE kind NOT LIKE 'water.%'"), "0")
        self.assertEqual(self.one("SELECT count(*) FROM air_batches WHERE value_batch_id IS NOT NULL"),
                         "0")

    def test_water_samples(self):
        # Every seeded section, every month of the window: the monitor's
        # sample, and for most months the other city's joint sample, written
        # through rci_water_write (PushSamples' path) with the alerts it raises.
        w = self.water
        n_sections = int(self.one("SELECT count(*) FROM water_sections"))
        self.assertEqual(n_sections, 8)
        self.assertEqual(w["sections"], n_sections)
        self.assertEqual(w["official"], n_sections * 36)
        self.assertEqual(w["samples"], w["official"] + w["joint"])
        self.assertGreater(w["joint"], w["official"] * 0.7)
        self.assertLess(w["joint"], w["official"] * 0.95)
        self.assertEqual(rows(self.pg, """
            SELECT count(*), count(*) FILTER (WHERE w.agency_code = s.monitor_agency),
                   count(DISTINCT (w.section_code, w.month)), min(w.month), max(w.month),
                   bool_and(w.revision = 1), bool_and(w.request_id LIKE 'demo/water/%')
              FROM water_samples w JOIN water_sections s ON s.code = w.section_code"""),
            [[str(w["samples"]), str(w["official"]), str(w["official"]), "2023-11", "2026-10",
              "t", "t"]])
        # A working day from the 5th, the same day for both samplers; the
        # joint sampler is an environment bureau of the section's other city.
        self.assertEqual(rows(self.pg, """
            SELECT bool_and(extract(day FROM sampled_on) BETWEEN 5 AND 17),
                   bool_and(extract(isodow FROM sampled_on) <= 5),
                   count(DISTINCT (section_code, month, sampled_on)) = count(DISTINCT (section_code, month))
              FROM water_samples"""), [["t", "t", "t"]])
        self.assertEqual(self.one("""
            SELECT count(*) FROM water_samples w JOIN water_sections s ON s.code = w.section_code
              JOIN agencies a ON a.code = w.agency_code
             WHERE w.agency_code <> s.monitor_agency
               AND (a.city_code = (SELECT m.city_code FROM agencies m WHERE m.code = s.monitor_agency)
                    OR NOT a.city_code = ANY (s.cities))"""), "0")
        # The items a station reports monthly, with sensible decimals.
        self.assertEqual(rows(self.pg, """
            SELECT parameter, count(*), max(scale(value)), min(value)::text, max(value)::text
              FROM water_sample_values WHERE parameter IN ('ph', 'nh3n', 'cod')
             GROUP BY 1 ORDER BY 1""")[1][0:3], ["nh3n", str(w["samples"]), "3"])
        params = {r[0] for r in rows(self.pg, "SELECT DISTINCT parameter FROM water_sample_values")}
        self.assertEqual(params, {"ph", "do", "codmn", "cod", "bod5", "nh3n", "tp", "cu", "zn",
                                  "cd", "pb"})
        self.assertEqual(self.one("SELECT count(*) FROM water_sample_values"),
                         str(11 * w["samples"]))
        self.assertEqual(rows(self.pg, """
            SELECT min(value) >= 6.5, max(value) <= 8.2, max(scale(value)) <= 2
              FROM water_sample_values WHERE parameter = 'ph'"""), [["t", "t", "t"]])
        # Most months meet the target; a few miss it, and every miss and
        # discrepancy raised its alert, to the section's cities.
        self.assertGreater(w["off_target"], 5)
        self.assertLess(w["off_target"], w["official"] * 0.2)
        self.assertGreater(w["discrepancies"], 3)
        self.assertLess(w["discrepancies"], w["joint"] * 0.2)
        kinds = dict(rows(self.pg, "SELECT kind, count(*) FROM alerts GROUP BY 1"))
        self.assertEqual(int(kinds["water.joint_discrepancy"]), w["discrepancies"])
        self.assertGreaterEqual(int(kinds["water.off_target"]), w["off_target"])
        self.assertEqual(sum(map(int, kinds.values())), w["alerts"])
        self.assertEqual(self.one("""
            SELECT count(*) FROM alerts a
              JOIN water_samples w ON w.id = (a.detail->>'sample_id')::bigint
              JOIN water_sections s ON s.code = w.section_code
             WHERE a.kind = 'water.off_target' AND a.detail->>'official' = 'true'
               AND a.subject = s.code AND a.cities @> s.cities"""), str(w["off_target"]))
        self.assertEqual(self.one("SELECT sum(alerts_raised) FROM water_push_requests "
                                  "WHERE request_id LIKE 'demo/water/%'"), str(w["alerts"]))

    def test_plausible(self):
        # Huizhou's good-air days near seed 000's 96.7 % a year; the haze
        # cities lower; every month between 70 and 100.
        hz = float(self.one(f"SELECT avg(value) FROM cells WHERE indicator_code = '{GOOD}' "
                            f"AND region_code = '{HZ}' AND period LIKE '2024-%'"))
        self.assertGreater(hz, 95.0)
        self.assertLess(hz, 98.5)
        gz = float(self.one(f"SELECT avg(value) FROM cells WHERE indicator_code = '{GOOD}' "
                            f"AND region_code = '440100'"))
        self.assertLess(gz, hz)
        self.assertEqual(rows(self.pg, f"SELECT min(value) >= 70, max(value) <= 100 FROM cells "
                                       f"WHERE indicator_code = '{GOOD}'"), [["t", "t"]])
        # PM2.5: higher in winter than in summer, everywhere.
        self.assertEqual(self.one("""
            SELECT count(*) FROM (
              SELECT region_code,
                     avg(value) FILTER (WHERE right(period, 2) IN ('12', '01', '02')) w,
                     avg(value) FILTER (WHERE right(period, 2) IN ('06', '07', '08')) s
                FROM cells WHERE indicator_code = 'air.pm25_mean' GROUP BY 1) x
             WHERE w <= s * 1.3"""), "0")
        # Bus lines and credit records grow; lines never fall month to month.
        self.assertEqual(self.one("""
            SELECT count(*) FROM (
              SELECT value < lag(value) OVER (PARTITION BY region_code ORDER BY period) AS fell
                FROM cells WHERE indicator_code = 'transit.cross_city_bus_lines' AND revision = 1) x
             WHERE fell"""), "0")
        hz_lines = rows(self.pg, f"SELECT min(value), max(value) FROM cells WHERE indicator_code = "
                                 f"'transit.cross_city_bus_lines' AND region_code = '{HZ}'")[0]
        self.assertTrue(19 <= int(hz_lines[0]) <= int(hz_lines[1]) <= 28, hz_lines)
        self.assertEqual(self.one("""
            SELECT count(*) FROM (
              SELECT region_code, avg(value) FILTER (WHERE period LIKE '2024-%') a,
                     avg(value) FILTER (WHERE period LIKE '2025-%') b
                FROM cells WHERE indicator_code = 'credit.records_shared' GROUP BY 1) x
             WHERE b <= a"""), "0")
        self.assertEqual(rows(self.pg, "SELECT min(value) >= 3, max(value) <= 8 FROM cells "
                                       "WHERE indicator_code = 'econ.gdp_growth'"), [["t", "t"]])
        # Traffic lights add up to the tasks on schedule.
        self.assertEqual(self.one("""
            SELECT count(*) FROM cells g
              JOIN cells y ON y.indicator_code = 'tasks.yellow_lights' AND (y.region_code, y.period) = (g.region_code, g.period)
              JOIN cells r ON r.indicator_code = 'tasks.red_lights' AND (r.region_code, r.period) = (g.region_code, g.period)
              JOIN cells s ON s.indicator_code = 'tasks.on_schedule_rate' AND (s.region_code, s.period) = (g.region_code, g.period)
             WHERE g.indicator_code = 'tasks.green_lights' AND g.revision = 1 AND y.revision = 1
               AND r.revision = 1 AND s.revision = 1
               AND round(100 * g.value / (g.value + y.value + r.value), 1) <> s.value"""), "0")

    def test_late_corrected_and_on_time(self):
        special = dict((datetime.date.fromisoformat(d), w == "t")
                       for d, w in rows(self.pg, "SELECT day, working FROM calendar_days"))

        def working(d):
            return special.get(d, d.weekday() < 5)

        def due(end):
            d, n = end, 0
            while n < 3:
                d += datetime.timedelta(days=1)
                n += working(d)
            return d

        first = rows(self.pg, """
            SELECT c.period_end, (b.committed_at AT TIME ZONE 'Asia/Shanghai')::date
              FROM cells c JOIN batches b ON b.id = c.first_batch_id""")
        late = early = 0
        for end, day in first:
            end, day = datetime.date.fromisoformat(end), datetime.date.fromisoformat(day)
            self.assertGreater(day, end)
            late += day > due(end)
            if day <= due(end):
                self.assertTrue(working(day), day)
        n = len(first)
        self.assertEqual(late, self.summary["late_cells"])
        self.assertGreater(late, n * 0.03)
        self.assertLess(late, n * 0.15)
        # Late by at most 10 working days, so nothing after 2026-10's due + 10.
        self.assertLessEqual(
            self.one("SELECT max(committed_at AT TIME ZONE 'Asia/Shanghai')::date FROM batches"),
            "2026-11-19")

        corrected = rows(self.pg, """
            SELECT r1.value, r2.value, b1.committed_at < b2.committed_at, b2.reason,
                   b1.agency_code = b2.agency_code, c.period_end,
                   (b2.committed_at AT TIME ZONE 'Asia/Shanghai')::date
              FROM revisions r2
              JOIN cells c USING (indicator_code, region_code, period)
              JOIN revisions r1 ON (r1.indicator_code, r1.region_code, r1.period, r1.revision)
                                 = (r2.indicator_code, r2.region_code, r2.period, 1)
              JOIN batches b1 ON b1.id = r1.batch_id JOIN batches b2 ON b2.id = r2.batch_id
             WHERE r2.revision = 2""")
        self.assertGreater(len(corrected), n * 0.03)
        self.assertLess(len(corrected), n * 0.08)
        for v1, v2, ordered, reason, same, end, day in corrected:
            # Before the period locks itself (30 days after its due date).
            self.assertLessEqual(datetime.date.fromisoformat(day),
                                 due(datetime.date.fromisoformat(end)) + datetime.timedelta(30))
            self.assertNotEqual(float(v1), float(v2))
            self.assertEqual((ordered, same), ("t", "t"))
            self.assertTrue(reason.startswith(CORRECTION), reason)
        self.assertEqual(self.one("SELECT max(revision) FROM cells"), "2")

    # -- determinism and --replace ----------------------------------------------------------

    def test_fresh_database_same_rows_and_replace(self):
        pg2 = harness.PostgresServer(dbname="rci_demo_two")
        self.addCleanup(pg2.cleanup)
        pg2.init().start().createdb()
        # A smaller window first, replaced by the default one: the serial ids
        # differ from the first database's, the rows must not.
        p = rcid_demo("--database", pg2.conninfo(), "--until", "2024-05", "--months", "2")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("loaded months 2024-04..2024-05 (2)", p.stderr)
        p = rcid_demo("--database", pg2.conninfo(), "--replace")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("replaced the earlier demo data", p.stderr)
        self.assertEqual(pg2.psql(CHECKSUM_SQL).strip(), self.checksum)
        self.assertEqual(summary_numbers(p.stderr), self.summary)
        # The water samples too, and the 2-month load's samples and alerts are gone.
        self.assertRegex(p.stderr, r"replaced \d+ earlier demo water samples")
        self.assertEqual(pg2.psql(WATER_CHECKSUM_SQL).strip(), self.water_checksum)
        self.assertEqual(water_numbers(p.stderr), self.water)
        self.assertNotEqual(pg2.psql("SELECT min(id) FROM batches").strip(),
                            self.pg.psql("SELECT min(id) FROM batches").strip())

        # An agency revises a demo cell and pushes a cell of its own; then the
        # demo is replaced: both stay, and the rest is as before.
        per = pg2.psql(f"SELECT min(period) FROM cells WHERE indicator_code = '{GOOD}' "
                       f"AND region_code = '{HZ}' AND period LIKE '2024-%'").strip()
        key = f"indicator_code = '{GOOD}' AND region_code = '{HZ}' AND period = '{per}'"
        pg2.psql("INSERT INTO batches (agency_code, token_id, request_id, committed_at) VALUES "
                 "('hz-eeb', NULL, 'manual-1', now())")
        pg2.psql(f"""
            WITH b AS (SELECT id FROM batches WHERE request_id = 'manual-1'),
                 up AS (UPDATE cells SET revision = revision + 1, value = 99.9,
                                         batch_id = (SELECT id FROM b)
                         WHERE {key}
                        RETURNING indicator_code, region_code, period, revision, value)
            INSERT INTO revisions (indicator_code, region_code, period, revision, value, batch_id)
            SELECT up.*, (SELECT id FROM b) FROM up""")
        pg2.psql(f"""
            WITH b AS (SELECT id FROM batches WHERE request_id = 'manual-1'),
                 c AS (INSERT INTO cells (indicator_code, region_code, period, period_end,
                                          revision, value, batch_id, first_batch_id)
                       SELECT '{GOOD}', '{HZ}', '2016-12', '2016-12-31', 1, 96.7, id, id FROM b
                       RETURNING indicator_code, region_code, period, revision, value, batch_id)
            INSERT INTO revisions (indicator_code, region_code, period, revision, value, batch_id)
            SELECT * FROM c""")
        demo_revs_of_cell = int(pg2.psql(f"SELECT count(*) FROM revisions WHERE {key}").strip()) - 1
        p = rcid_demo("--database", pg2.conninfo(), "--replace")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stderr, r"replaced the earlier demo data \(\d+ batches, \d+ cells")
        self.assertIn("kept 1 cells agencies had already pushed", p.stderr)
        kept = rows(pg2, f"SELECT c.period, c.value, c.revision, c.first_batch_id = c.batch_id, "
                         f"b.request_id FROM cells c JOIN batches b ON b.id = c.batch_id "
                         f"WHERE indicator_code = '{GOOD}' AND region_code = '{HZ}' "
                         f"AND period IN ('2016-12', '{per}') ORDER BY 1")
        # The revised cell keeps the agency's revision (its number, with the
        # demo's revisions before it gone), now also its first.
        self.assertEqual(kept, [["2016-12", "96.7", "1", "t", "manual-1"],
                                [per, "99.9", str(demo_revs_of_cell + 1), "t", "manual-1"]])
        self.assertEqual(pg2.psql(f"SELECT count(*) FROM revisions WHERE {key}").strip(), "1")
        self.assertEqual(pg2.psql("SELECT count(*) FROM audit WHERE action = 'demo.load'").strip(),
                         "3")
        # Apart from the cell the agency took over, the same rows again.
        other = f" AND NOT (r.indicator_code = '{GOOD}' AND r.region_code = '{HZ}' " \
                f"AND r.period = '{per}')"
        self.assertEqual(pg2.psql(CHECKSUM_SQL + other).strip(),
                         self.pg.psql(CHECKSUM_SQL + other).strip())
        self.assertEqual(pg2.psql(WATER_CHECKSUM_SQL).strip(), self.water_checksum)
        # Samples and alerts stay append-only for everything but the demo's own.
        for sql in ("DELETE FROM water_samples", "DELETE FROM alerts",
                    "UPDATE water_samples SET note = 'x'"):
            with self.assertRaises(Exception, msg=sql):
                pg2.psql(sql)
        with self.assertRaises(Exception):
            pg2.psql("BEGIN; SELECT set_config('rci.demo_replace', 'on', true); "
                     "INSERT INTO water_samples (section_code, agency_code, month, revision, "
                     "sampled_on, content, request_id, recorded_at) VALUES ('dj-dd', 'dg-eeb', "
                     "'2019-01', 1, '2019-01-10', 'x', 'real', now()); "
                     "DELETE FROM water_samples WHERE request_id = 'real'; COMMIT")

    # -- served by rcid ----------------------------------------------------------------------

    def make_token(self, pg, agency):
        secret = "rci_" + secrets.token_urlsafe(32)
        digest = hashlib.sha256(secret.encode()).hexdigest()
        pg.psql(f"INSERT INTO tokens (agency_code, hash, prefix) VALUES "
                f"('{agency}', decode('{digest}', 'hex'), '{secret[:8]}')")
        return (("authorization", "Bearer " + secret),)

    def test_rcid_serves_them(self):
        self.rcid.start()
        md = self.make_token(self.pg, "sz-eeb")
        stub = indicators_pb2_grpc.IndicatorServiceStub(self.rcid.channel())
        q = stub.QueryValues(indicators_pb2.QueryValuesRequest(
            indicators=[GOOD], regions=[HZ], period_from="2024-01", period_to="2024-12"),
            metadata=md, timeout=10)
        want = rows(self.pg, f"SELECT period, value, revision FROM cells WHERE indicator_code = "
                             f"'{GOOD}' AND region_code = '{HZ}' AND period LIKE '2024-%' "
                             f"ORDER BY period")
        self.assertGreaterEqual(len(want), 10)
        self.assertEqual([[v.period, v.value, str(v.revision)] for v in q.values], want)
        self.assertTrue(all(v.agency_code == "hz-eeb" for v in q.values))
        # A whole circle, every page.
        got, token = 0, ""
        while True:
            r = stub.QueryValues(indicators_pb2.QueryValuesRequest(
                regions=["szdghz"], page_size=2000, page_token=token), metadata=md, timeout=20)
            got += len(r.values)
            token = r.next_page_token
            if not token:
                break
        self.assertEqual(got, int(self.one("SELECT count(*) FROM cells WHERE region_code IN "
                                           "('440300','441900','441300','441500','441600')")))
        # A corrected cell: latest is revision 2; as of between the two, revision 1.
        ind, reg, per, v1, v2, t2 = rows(self.pg, """
            SELECT r1.indicator_code, r1.region_code, r1.period, r1.value, r2.value,
                   (extract(epoch FROM b2.committed_at))::bigint
              FROM revisions r1 JOIN revisions r2 USING (indicator_code, region_code, period)
              JOIN batches b2 ON b2.id = r2.batch_id
             WHERE r1.revision = 1 AND r2.revision = 2
             ORDER BY 1, 2, 3 LIMIT 1""")[0]
        latest = stub.QueryValues(indicators_pb2.QueryValuesRequest(
            indicators=[ind], regions=[reg], period_from=per, period_to=per), metadata=md, timeout=10)
        self.assertEqual([(v.value, v.revision) for v in latest.values], [(v2, 2)])
        before = timestamp_pb2.Timestamp(seconds=int(t2) - 1)
        old = stub.QueryValues(indicators_pb2.QueryValuesRequest(
            indicators=[ind], regions=[reg], period_from=per, period_to=per, as_of=before),
            metadata=md, timeout=10)
        self.assertEqual([(v.value, v.revision) for v in old.values], [(v1, 1)])
        h = stub.GetHistory(indicators_pb2.GetHistoryRequest(indicator=ind, region=reg, period=per),
                            metadata=md, timeout=10)
        self.assertEqual([x.revision for x in h.revisions], [1, 2])
        self.assertTrue(h.revisions[1].reason.startswith(CORRECTION))
        # The daily air data: each month's statistics by the AQI module give
        # the demo's monthly figures back, in both HJ 633 editions.
        air = air_pb2_grpc.AirServiceStub(self.rcid.channel())
        for per in ("2024-07", "2025-01", "2026-02", "2026-03", "2026-10"):
            cells = dict(rows(self.pg, f"SELECT indicator_code, value FROM cells WHERE region_code "
                                       f"= '{HZ}' AND period = '{per}' AND indicator_code IN "
                                       f"('{GOOD}', 'air.pm25_mean')"))
            days = air.GetAirCalendar(air_pb2.GetAirCalendarRequest(city=HZ, month=per),
                                      metadata=md, timeout=10).days
            if not days:
                continue        # a month the demo left without days
            st = air.GetAirStats(air_pb2.GetAirStatsRequest(city=HZ, period=per), metadata=md,
                                 timeout=10)
            pm = {x.statistic: x.value for x in st.statistics}["pm25_mean"]
            self.assertEqual((float(st.good_rate), int(pm), st.enough_days),
                             (float(cells[GOOD]), int(cells["air.pm25_mean"]), True), per)
            self.assertEqual(days[0].edition, "HJ 633-2026" if per >= "2026-03" else "HJ 633-2012")
        r = air.RankAir(air_pb2.RankAirRequest(region="szdghz", period="2025"), metadata=md,
                        timeout=10)
        self.assertIn("GB 3095-2012", r.method)
        self.assertEqual(len(r.cities), 5)
        # The water samples: a section's year of 12 months, each graded from
        # the monitor's sample, with its compliance rate.
        water = water_pb2_grpc.WaterServiceStub(self.rcid.channel())
        for code in ("dj-lhs", "smh-qp", "lgh-xhc"):
            st = water.GetSectionStatus(water_pb2.GetSectionStatusRequest(section=code, year=2025),
                                        metadata=md, timeout=10)
            self.assertEqual([m.month for m in st.months], [f"2025-{i:02d}" for i in range(1, 13)])
            self.assertTrue(all(m.water_class for m in st.months), code)
            self.assertEqual(st.months_assessed, 12)
            met = sum(m.meets_target for m in st.months)
            self.assertEqual(st.months_met, met)
            self.assertEqual(st.compliance_rate, f"{met * 100 / 12:.1f}", code)
            off = int(self.one(f"""
                SELECT count(*) FROM alerts WHERE kind = 'water.off_target' AND subject = '{code}'
                   AND detail->>'official' = 'true' AND detail->>'month' LIKE '2025-%'"""))
            self.assertEqual(12 - met, off, code)
            disc = int(self.one(f"""
                SELECT count(*) FROM alerts WHERE kind = 'water.joint_discrepancy'
                   AND subject = '{code}' AND detail->>'month' LIKE '2025-%'"""))
            self.assertEqual(sum(m.discrepancy for m in st.months), disc, code)
        self.rcid.stop_ok(self)


class DemoEmbeddedTest(unittest.TestCase):
    """The README's way: `rcid demo --data-dir DIR` on a fresh directory
    (creates the embedded cluster), again (a no-op), then rcid on it."""

    def test_fresh_data_dir(self):
        import shutil
        d = harness.make_temp_dir("rci-demo-")
        self.addCleanup(shutil.rmtree, d, True)
        p = rcid_demo("--data-dir", d)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("starting the embedded PostgreSQL", p.stderr)
        s = summary_numbers(p.stderr)
        p2 = rcid_demo("--data-dir", d)
        self.assertEqual(p2.returncode, 0, p2.stderr)
        self.assertIn("already loaded", p2.stderr)
        self.assertEqual(harness.processes_using(d), [], "the cluster was left running")

        r = harness.Rcid(data_dir=d)
        self.addCleanup(r.cleanup)
        r.start(timeout=harness.EMBEDDED_START_TIMEOUT)
        # With rcid running, the demo goes through its socket, and still writes nothing.
        p3 = rcid_demo("--data-dir", d)
        self.assertEqual(p3.returncode, 0, p3.stderr)
        self.assertIn("using the embedded PostgreSQL of the rcid running", p3.stderr)
        self.assertIn("already loaded", p3.stderr)
        # Read it through gRPC with a token made by `rcid token`.
        t = subprocess.run([harness.RCID, "token", "create", "--agency", "gz-eeb", "--data-dir", d],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(t.returncode, 0, t.stderr)
        md = (("authorization", "Bearer " + t.stdout.strip()),)
        stub = indicators_pb2_grpc.IndicatorServiceStub(r.channel())
        q = stub.QueryValues(indicators_pb2.QueryValuesRequest(
            indicators=["econ.gdp"], regions=["gfz"]), metadata=md, timeout=10)
        self.assertGreater(len(q.values), 40)
        self.assertLessEqual(len(q.values), 5 * 12)
        self.assertGreater(s["cells"], 9000)
        r.stop_ok(self)


if __name__ == "__main__":
    unittest.main()
