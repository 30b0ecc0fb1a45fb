"""Water cross-sections (issue 4): WaterService through python3-grpcio and
rcictl against a real PostgreSQL.

Expected classes and exceedance multiples come from GB 3838-2002 Table 1
(shared reference water-quality.md §2, §3), worked by hand in the comments,
never from the implementation. Joint comparisons use the relative deviation
of parallel samples |A−B|/(A+B), default tolerance 20 %, pH 0.5 absolute
(DESIGN §6). Each test uses its own section or year, so they do not see
each other's samples.

Seeded sections used (migrations/0013_water.sql, targets are demo):
  smh-qp  企坪   Shenzhen → Dongguan, target III, monitor sz-eeb
  mzh-ghc 共和村 Shenzhen ≈ Dongguan (border), target IV, monitor sz-eeb
  dj-lhs  莲花山 Guangzhou ≈ Dongguan (border), target III, monitor dg-eeb
  psh-sy  上垟   Shenzhen → Huizhou, target III, monitor sz-eeb
  lgh-xhc 西湖村 Shenzhen → Huizhou, target V, monitor sz-eeb
"""
import csv
import hashlib
import json
import os
import secrets
import tempfile
import unittest

import grpc

import harness
from rci.v1 import water_pb2, water_pb2_grpc
from rpcpb import error_details_pb2, status_pb2

SZ, DG, HZ, GZ = "440300", "441900", "441300", "440100"
MG = "mg/L"


def bad_request(err):
    for key, value in err.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            st = status_pb2.Status.FromString(value)
            for any_ in st.details:
                if any_.type_url.endswith("google.rpc.BadRequest"):
                    return error_details_pb2.BadRequest.FromString(any_.value)
    return None


def S(section, day, params, note=""):
    """A SampleInput; params are (code, value) or (code, value, unit)."""
    ps = []
    for p in params:
        code, value = p[0], p[1]
        unit = p[2] if len(p) > 2 else ("" if code == "ph" else MG)
        ps.append(water_pb2.WaterParam(parameter=code, value=value, unit=unit))
    return water_pb2.SampleInput(section=section, sampled_on=day, params=ps, note=note)


class WaterTest(harness.RcidTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tokens = {}
        for name, agency, admin in (("sz", "sz-eeb", False), ("dg", "dg-eeb", False),
                                    ("hz", "hz-eeb", False), ("gz", "gz-eeb", False),
                                    ("szt", "sz-transport", False), ("admin", None, True)):
            cls.tokens[name] = cls.make_token(agency, admin)
        cls.stub = water_pb2_grpc.WaterServiceStub(cls.rcid.channel())

    @classmethod
    def make_token(cls, agency, admin=False):
        secret = "rci_" + secrets.token_urlsafe(32)
        digest = hashlib.sha256(secret.encode()).hexdigest()
        ag = f"'{agency}'" if agency else "NULL"
        cls.pg.psql(f"INSERT INTO tokens (agency_code, admin, hash, prefix) VALUES "
                    f"({ag}, {str(admin).lower()}, decode('{digest}', 'hex'), '{secret[:8]}')")
        return secret

    def md(self, who):
        return (("authorization", "Bearer " + self.tokens[who]),)

    def push(self, samples, who="sz", request_id=None, **kw):
        req = water_pb2.PushSamplesRequest(request_id=request_id or secrets.token_hex(8),
                                           samples=samples, **kw)
        return self.stub.PushSamples(req, metadata=self.md(who), timeout=20)

    def sql(self, q):
        return self.pg.psql(q).strip()

    def count_samples(self):
        return int(self.sql("SELECT count(*) FROM water_samples"))

    def status(self, section, year, who="hz"):
        return self.stub.GetSectionStatus(water_pb2.GetSectionStatusRequest(
            section=section, year=year), metadata=self.md(who), timeout=10)

    def joint(self, who="hz", **kw):
        return self.stub.GetJointComparisons(water_pb2.GetJointComparisonsRequest(**kw),
                                             metadata=self.md(who), timeout=10)

    @staticmethod
    def params(assessment):
        return {p.parameter: p for p in assessment.params}

    # ---- registry ---------------------------------------------------------------

    def test_sections_seeded(self):
        r = self.stub.ListSections(water_pb2.ListSectionsRequest(), metadata=self.md("hz"),
                                   timeout=10)
        # (test_put_section may have added test-… sections.)
        by = {s.code: s for s in r.sections if not s.code.startswith("test-")}
        self.assertEqual(set(by), {"dj-lhs", "dj-dd", "dj-slbh", "dj-da", "smh-qp", "mzh-ghc",
                                   "lgh-xhc", "psh-sy"})
        names = {s.name_zh for s in by.values()}
        self.assertEqual(names, {"莲花山", "大墩", "石龙北河", "东岸", "企坪", "共和村", "西湖村",
                                 "上垟"})
        for s in by.values():
            self.assertTrue(s.target_is_demo, s.code)
            self.assertEqual(s.kind, "river")
            self.assertEqual(len(s.cities), 2, s.code)
        qp = by["smh-qp"]
        self.assertEqual((qp.upstream_city, qp.downstream_city), (SZ, DG))
        self.assertEqual(list(qp.border_cities), [])
        self.assertEqual((qp.target_class, qp.monitor_agency), ("III", "sz-eeb"))
        lhs = by["dj-lhs"]
        self.assertEqual(sorted(lhs.border_cities), [GZ, DG])
        self.assertEqual(lhs.upstream_city, "")
        self.assertEqual(lhs.monitor_agency, "dg-eeb")
        # Sections concerning Huizhou.
        r = self.stub.ListSections(water_pb2.ListSectionsRequest(city=HZ), metadata=self.md("hz"),
                                   timeout=10)
        self.assertEqual([s.code for s in r.sections if not s.code.startswith("test-")],
                         ["dj-da", "dj-slbh", "lgh-xhc", "psh-sy"])
        # No token: UNAUTHENTICATED.
        self.assertRpcError(lambda: self.stub.ListSections(water_pb2.ListSectionsRequest(),
                                                           timeout=10),
                            grpc.StatusCode.UNAUTHENTICATED)

    # ---- GB 3838 classes through the service -------------------------------------------

    def test_classes_and_multiples(self):
        """企坪 (river, target III), 2021, one month per case."""
        samples = [
            # I: pH 7.5 in 6..9; DO 7.5 ≥ 7.5; NH3-N 0.15 ≤ 0.15 (inclusive);
            # COD 15 ≤ 15 (I and II share 15: the better class wins); TP 0.02.
            S("smh-qp", "2021-01-10", [("ph", "7.5"), ("do", "7.5"), ("nh3n", "0.15"),
                                       ("cod", "15"), ("tp", "0.02")]),
            # II: DO 6 (≥ 6, < 7.5), NH3-N 0.5, TP 0.1; COD 15 is I.
            S("smh-qp", "2021-02-10", [("do", "6"), ("nh3n", "0.5"), ("tp", "0.1"),
                                       ("cod", "15")]),
            # III: NH3-N 1.0, COD 20, DO 5; TN 1.8 is V but not assessed for
            # rivers, fecal coliform 30000 is V but never assessed.
            S("smh-qp", "2021-03-10", [("nh3n", "1.0"), ("cod", "20"), ("do", "5"),
                                       ("tn", "1.8"), ("fecal_coliform", "30000", "个/L")]),
            # IV: NH3-N 1.5 → (1.5 − 1.0)/1.0 = 0.50; CODMn 10 → (10 − 6)/6 =
            # 0.666… → 0.67; DO 3 is IV, no multiple.
            S("smh-qp", "2021-04-10", [("nh3n", "1.5"), ("codmn", "10"), ("do", "3")]),
            # V: TP 0.4 → (0.4 − 0.2)/0.2 = 1.00; BOD5 10 → (10 − 4)/4 = 1.50.
            S("smh-qp", "2021-05-10", [("tp", "0.4"), ("bod5", "10"), ("do", "2")]),
            # 劣V: NH3-N 2.5 > 2.0 → (2.5 − 1.0)/1.0 = 1.50; DO 1.5 < 2; pH 9.5.
            S("smh-qp", "2021-06-10", [("nh3n", "2.5"), ("do", "1.5"), ("ph", "9.5")]),
            # pH bounds 6 and 9 are inside (I); DO 5.99 (≥ 5, < 6) is III;
            # NH3-N 0.16 (> 0.15, ≤ 0.5) is II, given by its Chinese name 氨氮.
            # August: DO 4.99 (≥ 3, < 5) is IV.
            S("smh-qp", "2021-07-10", [("ph", "6"), ("do", "5.99"), ("氨氮", "0.16")]),
            S("smh-qp", "2021-08-10", [("ph", "9"), ("do", "4.99")]),
        ]
        r = self.push(samples)
        self.assertEqual((r.written, r.unchanged, r.replayed), (8, 0, False))
        self.assertEqual(len(r.assessments), 8)
        a = r.assessments
        self.assertEqual([x.water_class for x in a], ["I", "II", "III", "IV", "V", "劣V", "III",
                                                      "IV"])
        self.assertEqual([x.meets_target for x in a], [True, True, True, False, False, False,
                                                       True, False])
        for x in a:
            self.assertEqual((x.target_class, x.city, x.agency_code, x.official),
                             ("III", SZ, "sz-eeb", True))
            self.assertGreater(x.sample_id, 0)
            self.assertEqual(x.section, "smh-qp")
        p = self.params(a[0])
        self.assertEqual(p["cod"].water_class, "I")
        self.assertEqual(p["nh3n"].water_class, "I")
        self.assertEqual(p["do"].water_class, "I")
        self.assertEqual(sorted(a[1].deciding), ["do", "nh3n", "tp"])
        p = self.params(a[2])
        self.assertEqual((p["tn"].water_class, p["tn"].assessed), ("V", False))
        self.assertEqual((p["fecal_coliform"].water_class, p["fecal_coliform"].assessed),
                         ("V", False))
        self.assertEqual(sorted(a[2].deciding), ["cod", "do", "nh3n"])
        p = self.params(a[3])
        self.assertEqual(p["nh3n"].exceedance_multiple, "0.50")
        self.assertEqual(p["codmn"].exceedance_multiple, "0.67")
        self.assertEqual((p["do"].water_class, p["do"].over_target, p["do"].exceedance_multiple),
                         ("IV", True, ""))
        p = self.params(a[4])
        self.assertEqual(p["tp"].exceedance_multiple, "1.00")
        self.assertEqual(p["bod5"].exceedance_multiple, "1.50")
        self.assertEqual(p["do"].water_class, "V")
        p = self.params(a[5])
        self.assertEqual(p["nh3n"].exceedance_multiple, "1.50")
        self.assertEqual((p["do"].water_class, p["do"].exceedance_multiple), ("劣V", ""))
        self.assertEqual((p["ph"].water_class, p["ph"].exceedance_multiple), ("劣V", ""))
        self.assertEqual(sorted(a[5].deciding), ["do", "nh3n", "ph"])
        p = self.params(a[6])
        self.assertEqual(p["ph"].water_class, "I")
        self.assertEqual(p["do"].water_class, "III")
        self.assertEqual(p["nh3n"].water_class, "II")
        self.assertEqual(self.params(a[7])["ph"].water_class, "I")
        self.assertEqual(self.params(a[7])["do"].water_class, "IV")

        # Off-target alerts: April, May, June, August; to both cities.
        self.assertEqual(r.alerts_raised, 4)
        rows = self.sql("SELECT kind, severity, array_to_string(cities, ','), detail->>'month', "
                        "detail->>'water_class', (detail->>'sample_id')::bigint > 0 FROM alerts "
                        "WHERE subject = 'smh-qp' AND detail->>'month' LIKE '2021-%' "
                        "ORDER BY id").splitlines()
        self.assertEqual(rows, [
            f"water.off_target|warning|{SZ},{DG}|2021-04|IV|t",
            f"water.off_target|warning|{SZ},{DG}|2021-05|V|t",
            f"water.off_target|critical|{SZ},{DG}|2021-06|劣V|t",
            f"water.off_target|warning|{SZ},{DG}|2021-08|IV|t",
        ])
        msg = self.sql("SELECT message FROM alerts WHERE subject = 'smh-qp' "
                       "AND detail->>'month' = '2021-04'")
        self.assertIn("企坪", msg)
        self.assertIn("nh3n 1.5", msg)
        over = json.loads(self.sql("SELECT detail->'over' FROM alerts WHERE subject = 'smh-qp' "
                                   "AND detail->>'month' = '2021-04'"))
        self.assertEqual({o["parameter"]: o["multiple"] for o in over},
                         {"nh3n": "0.50", "codmn": "0.67", "do": ""})

        # The same samples again under a new id: unchanged, no alert again.
        before = self.sql("SELECT count(*) FROM alerts")
        r2 = self.push(samples)
        self.assertEqual((r2.written, r2.unchanged, r2.alerts_raised), (0, 8, 0))
        self.assertEqual([x.sample_id for x in r2.assessments], [x.sample_id for x in a])
        self.assertEqual(self.sql("SELECT count(*) FROM alerts"), before)

        # The year: 8 months assessed, Jan, Feb, Mar, Jul met → 4/8 = 50.0 %.
        st = self.status("smh-qp", 2021)
        self.assertEqual(len(st.months), 12)
        self.assertEqual(st.months[0].month, "2021-01")
        self.assertEqual([m.water_class for m in st.months],
                         ["I", "II", "III", "IV", "V", "劣V", "III", "IV", "", "", "", ""])
        self.assertEqual((st.months_assessed, st.months_met, st.compliance_rate), (8, 4, "50.0"))
        self.assertEqual(st.section.code, "smh-qp")

    def test_compliance_with_missing_months(self):
        """共和村 (target IV), 2022: seven months sampled by the monitor."""
        plan = {  # month → (NH3-N value, its class)
            1: ("1.0", "III"), 2: ("1.5", "IV"), 3: ("2.0", "V"), 5: ("2.01", "劣V"),
            7: ("0.5", "II"), 9: ("1.2", "IV"), 12: ("0.1", "I"),
        }
        samples = [S("mzh-ghc", f"2022-{m:02d}-05", [("nh3n", v)]) for m, (v, _) in plan.items()]
        r = self.push(samples)
        self.assertEqual(r.written, 7)
        self.assertEqual([x.water_class for x in r.assessments], [c for _, c in plan.values()])
        # Dongguan's joint sample of April does not give April a class.
        r = self.push([S("mzh-ghc", "2022-04-05", [("nh3n", "0.3")])], who="dg")
        self.assertEqual(r.written, 1)
        self.assertFalse(r.assessments[0].official)
        self.assertEqual(r.assessments[0].city, DG)
        st = self.status("mzh-ghc", 2022)
        classes = [m.water_class for m in st.months]
        self.assertEqual(classes, ["III", "IV", "V", "", "劣V", "", "II", "", "IV", "", "", "I"])
        self.assertEqual(st.months[3].joint.agency_code, "dg-eeb")
        self.assertFalse(st.months[3].HasField("official"))
        # Met (≤ IV): Jan, Feb, Jul, Sep, Dec = 5 of 7 → 71.428… → 71.4 %.
        self.assertEqual((st.months_assessed, st.months_met, st.compliance_rate), (7, 5, "71.4"))
        self.assertEqual([m.meets_target for m in st.months if m.water_class],
                         [True, True, False, False, True, True, True])
        # A year with nothing: no rate at all.
        st = self.status("mzh-ghc", 2019)
        self.assertEqual((st.months_assessed, st.compliance_rate), (0, ""))
        # Unknown section: NOT_FOUND.
        self.assertRpcError(lambda: self.status("nope", 2022), grpc.StatusCode.NOT_FOUND)

    # ---- joint monitoring --------------------------------------------------------------

    def test_joint_comparison(self):
        """莲花山: Dongguan monitors, Guangzhou's sample is the joint check."""
        # March: Guangzhou first. NH3-N 1.0/1.3: 0.3/2.3 = 13.04 %; COD 20/23:
        # 3/43 = 6.98 %; pH 7.0/7.4: 0.4 ≤ 0.5. All within.
        self.push([S("dj-lhs", "2023-03-08", [("nh3n", "1.3"), ("cod", "23"), ("ph", "7.4")])],
                  who="gz")
        r = self.push([S("dj-lhs", "2023-03-08", [("nh3n", "1.0"), ("cod", "20"), ("ph", "7.0")])],
                      who="dg")
        self.assertEqual(r.alerts_raised, 0)
        # April: Dongguan first. NH3-N 0.8/1.2: 0.4/2.0 = 20 % exactly, within;
        # COD 16/26: 10/42 = 23.81 % beyond; pH 7.0/7.6: 0.6 beyond.
        r = self.push([S("dj-lhs", "2023-04-08", [("nh3n", "0.8"), ("cod", "16"), ("ph", "7.0")])],
                      who="dg")
        self.assertEqual(r.alerts_raised, 0)
        r = self.push([S("dj-lhs", "2023-04-09", [("nh3n", "1.2"), ("cod", "26"), ("ph", "7.6")])],
                      who="gz")
        # COD 26 is IV (> 20, ≤ 30): off target III, and the discrepancy.
        self.assertEqual(r.alerts_raised, 2)
        rows = self.sql("SELECT kind, array_to_string(cities, ',') FROM alerts "
                        "WHERE subject = 'dj-lhs' AND detail->>'month' = '2023-04' "
                        "ORDER BY id").splitlines()
        self.assertEqual(rows, [f"water.off_target|{GZ},{DG}",
                                f"water.joint_discrepancy|{GZ},{DG}"])
        det = json.loads(self.sql("SELECT detail FROM alerts WHERE subject = 'dj-lhs' AND "
                                  "kind = 'water.joint_discrepancy'"))
        self.assertEqual({p["parameter"] for p in det["params"]}, {"cod", "ph"})
        self.assertEqual((det["city_a"], det["city_b"]), (DG, GZ))
        self.assertEqual(int(self.sql("SELECT count(*) FROM alerts WHERE subject = 'dj-lhs' "
                                      "AND kind = 'water.joint_discrepancy'")), 1)

        r = self.joint(section="dj-lhs", month_from="2023-01", month_to="2023-12")
        self.assertEqual([c.month for c in r.comparisons], ["2023-03", "2023-04"])
        mar, apr = r.comparisons
        self.assertEqual((mar.city_a, mar.city_b, mar.discrepancy), (DG, GZ, False))
        pm = {p.parameter: p for p in mar.params}
        self.assertEqual((pm["nh3n"].difference, pm["nh3n"].tolerance, pm["nh3n"].relative),
                         ("13.04", "20", True))
        self.assertEqual(pm["cod"].difference, "6.98")
        self.assertEqual((pm["ph"].difference, pm["ph"].tolerance, pm["ph"].relative),
                         ("0.4", "0.5", False))
        self.assertEqual((pm["nh3n"].value_a, pm["nh3n"].value_b), ("1", "1.3"))
        pa = {p.parameter: p for p in apr.params}
        self.assertTrue(apr.discrepancy)
        self.assertEqual((pa["nh3n"].difference, pa["nh3n"].within), ("20", True))
        self.assertEqual((pa["cod"].difference, pa["cod"].within), ("23.81", False))
        self.assertEqual((pa["ph"].difference, pa["ph"].within), ("0.6", False))
        r = self.joint(section="dj-lhs", month_from="2023-01", month_to="2023-12",
                       discrepancies_only=True)
        self.assertEqual([c.month for c in r.comparisons], ["2023-04"])
        # By city: Guangzhou's sections.
        r = self.joint(city=GZ, month_from="2023-04", month_to="2023-04")
        self.assertEqual([(c.section, c.month) for c in r.comparisons], [("dj-lhs", "2023-04")])
        # The month's status shows the discrepancy; class from Dongguan's
        # sample (COD 16, NH3-N 0.8 → III), not Guangzhou's IV.
        st = self.status("dj-lhs", 2023)
        self.assertEqual((st.months[3].water_class, st.months[3].discrepancy), ("III", True))
        self.assertEqual(st.months[3].joint.water_class, "IV")
        self.assertFalse(st.months[2].discrepancy)
        # Bad ranges.
        self.assertRpcError(lambda: self.joint(section="dj-lhs", month_from="2023-05",
                                               month_to="2023-04"),
                            grpc.StatusCode.INVALID_ARGUMENT)
        self.assertRpcError(lambda: self.joint(section="dj-lhs", month_from="2023-5",
                                               month_to="2023-06"),
                            grpc.StatusCode.INVALID_ARGUMENT)

    def test_put_section_and_tolerances(self):
        sec = water_pb2.Section(
            code="test-ph", name_zh="测试断面", name_en="Test section", river="测试河",
            basin="东江", upstream_city=HZ, downstream_city=DG, latitude=23.0, longitude=114.0,
            target_class="II", target_is_demo=True, monitor_agency="hz-eeb", kind="river",
            tolerances=[water_pb2.ParamTolerance(parameter="cod", tolerance="25"),
                        water_pb2.ParamTolerance(parameter="ph", tolerance="1")])
        put = lambda who, s=sec: self.stub.PutSection(  # noqa: E731
            water_pb2.PutSectionRequest(section=s, reason="test"), metadata=self.md(who),
            timeout=10)
        self.assertRpcError(lambda: put("hz"), grpc.StatusCode.PERMISSION_DENIED)
        self.assertRpcError(lambda: self.stub.PutSection(
            water_pb2.PutSectionRequest(section=sec), timeout=10),
            grpc.StatusCode.UNAUTHENTICATED)
        got = put("admin")
        self.assertEqual((got.code, got.target_class, sorted(got.cities)), ("test-ph", "II",
                                                                            [HZ, DG]))
        self.assertEqual({t.parameter: t.tolerance for t in got.tolerances},
                         {"cod": "25", "ph": "1"})
        self.assertEqual(self.sql("SELECT action || ' ' || (detail->>'section') FROM audit "
                                  "WHERE action LIKE 'water.section.%' ORDER BY id"),
                         "water.section.create test-ph")
        # Joint check with the overrides: COD 16/26 = 23.81 % ≤ 25; pH 0.6 ≤ 1.
        self.push([S("test-ph", "2023-04-08", [("cod", "16"), ("ph", "7.0")])], who="hz")
        self.push([S("test-ph", "2023-04-08", [("cod", "26"), ("ph", "7.6")])], who="dg")
        c = self.joint(section="test-ph", month_from="2023-04", month_to="2023-04").comparisons[0]
        self.assertFalse(c.discrepancy)
        self.assertEqual({p.parameter: p.tolerance for p in c.params}, {"cod": "25", "ph": "1"})
        # Change the target and a tolerance: audited as an update; the
        # months are graded again on read (COD 16 is III, target now III).
        sec2 = water_pb2.Section()
        sec2.CopyFrom(sec)
        sec2.target_class = "III"
        del sec2.tolerances[:]
        sec2.tolerances.append(water_pb2.ParamTolerance(parameter="cod", tolerance="10"))
        got = put("admin", sec2)
        self.assertEqual(got.target_class, "III")
        st = self.status("test-ph", 2023)
        self.assertTrue(st.months[3].meets_target)
        c = self.joint(section="test-ph", month_from="2023-04", month_to="2023-04").comparisons[0]
        self.assertTrue(c.discrepancy)
        self.assertIn("water.section.update test-ph",
                      self.sql("SELECT action || ' ' || (detail->>'section') FROM audit "
                               "WHERE action LIKE 'water.section.%' ORDER BY id"))
        # Invalid sections: every field named; nothing written.
        bad = water_pb2.Section(code="Bad Code", name_zh="", target_class="VI", kind="sea",
                                upstream_city=HZ, latitude=100,
                                tolerances=[water_pb2.ParamTolerance(parameter="xx",
                                                                     tolerance="1")])
        e = self.assertRpcError(lambda: put("admin", bad), grpc.StatusCode.INVALID_ARGUMENT)
        fields = {v.field for v in bad_request(e).field_violations}
        for f in ("code", "name_zh", "name_en", "river", "basin", "upstream_city", "latitude",
                  "target_class", "monitor_agency", "kind", "tolerances"):
            self.assertIn(f, fields)
        # A monitor from a city the section does not concern.
        sec3 = water_pb2.Section()
        sec3.CopyFrom(sec)
        sec3.code = "test-x"
        sec3.name_zh = "测试断面二"
        sec3.monitor_agency = "sz-eeb"
        e = self.assertRpcError(lambda: put("admin", sec3), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("sz-eeb", e.details())
        sec3.monitor_agency = "hz-transport"
        e = self.assertRpcError(lambda: put("admin", sec3), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("environment", e.details())
        sec3.monitor_agency = "hz-eeb"
        sec3.downstream_city = "999999"
        e = self.assertRpcError(lambda: put("admin", sec3), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("999999", e.details())
        self.assertEqual(self.sql("SELECT count(*) FROM water_sections WHERE code = 'test-x'"),
                         "0")

    # ---- permissions -------------------------------------------------------------------

    def test_permissions(self):
        before = self.count_samples()
        one = [S("smh-qp", "2020-01-10", [("nh3n", "0.5")])]
        # Huizhou's bureau: 企坪 is Shenzhen → Dongguan.
        e = self.assertRpcError(lambda: self.push(one, who="hz"),
                                grpc.StatusCode.PERMISSION_DENIED)
        self.assertIn("441300", e.details())
        self.assertIn("smh-qp", e.details())
        br = bad_request(e)
        self.assertEqual([v.field for v in br.field_violations], ["samples[0].section"])
        # Scope answers before validation: a bad value too, still PERMISSION_DENIED.
        bad = [S("smh-qp", "2020-01-10", [("nh3n", "-1")])]
        self.assertRpcError(lambda: self.push(bad, who="hz"), grpc.StatusCode.PERMISSION_DENIED)
        # Shenzhen's transport bureau: right city, no environment domain.
        e = self.assertRpcError(lambda: self.push(one, who="szt"),
                                grpc.StatusCode.PERMISSION_DENIED)
        self.assertIn("environment", e.details())
        # No token; an admin token without an agency.
        self.assertRpcError(lambda: self.stub.PushSamples(water_pb2.PushSamplesRequest(
            request_id="x1", samples=one), timeout=10), grpc.StatusCode.UNAUTHENTICATED)
        self.assertRpcError(lambda: self.push(one, who="admin"),
                            grpc.StatusCode.PERMISSION_DENIED)
        self.assertEqual(self.count_samples(), before)
        # Both cities of a section may push: Shenzhen (monitor) and Dongguan.
        self.assertEqual(self.push(one, who="sz").written, 1)
        self.assertEqual(self.push(one, who="dg").written, 1)
        # validate_only reports the scope failure as a violation.
        r = self.push(one, who="hz", validate_only=True)
        self.assertEqual([(v.row, v.field) for v in r.violations], [(0, "section")])

    # ---- validation -------------------------------------------------------------------

    def test_validation_every_row(self):
        before = self.count_samples()
        alerts_before = self.sql("SELECT count(*) FROM alerts")
        samples = [
            S("nope", "2020-02-01", [("nh3n", "1")]),                       # 0 section
            S("psh-sy", "2021-13-01", [("nh3n", "1")]),                     # 1 date
            S("psh-sy", "2099-01-01", [("nh3n", "1")]),                     # 2 future
            S("psh-sy", "2020-03-01", [("nh4", "1")]),                      # 3 parameter
            S("psh-sy", "2020-04-01", [("nh3n", "1", "µg/L")]),             # 4 unit
            S("psh-sy", "2020-05-01", [("nh3n", "-0.5")]),                  # 5 negative
            S("psh-sy", "2020-06-01", [("ph", "14.5")]),                    # 6 pH range
            S("psh-sy", "2020-07-01", [("nh3n", "1"), ("nh3n", "2")]),      # 7 duplicate
            S("psh-sy", "2020-08-01", [("nh3n", "1")]),                     # 8 fine
            S("psh-sy", "2020-08-15", [("cod", "10")]),                     # 9 same month
            S("psh-sy", "2020-09-01", [("cod", "1e3")]),                    # 10 not decimal
            S("psh-sy", "2020-10-01", []),                                  # 11 no params
        ]
        expect = [
            (0, "section"), (1, "sampled_on"), (2, "sampled_on"), (3, "params[0].parameter"),
            (4, "params[0].unit"), (5, "params[0].value"), (6, "params[0].value"),
            (7, "params[1].parameter"), (9, "sampled_on"), (10, "params[0].value"),
            (11, "params"),
        ]
        e = self.assertRpcError(lambda: self.push(samples), grpc.StatusCode.INVALID_ARGUMENT)
        br = bad_request(e)
        got = sorted((v.field for v in br.field_violations))
        self.assertEqual(got, sorted(f"samples[{r}].{f}" for r, f in expect))
        self.assertIn("11 ", e.details())
        descs = {v.field: v.description for v in br.field_violations}
        self.assertIn("unknown section", descs["samples[0].section"])
        self.assertIn("future", descs["samples[2].sampled_on"])
        self.assertIn("negative", descs["samples[5].params[0].value"])
        self.assertIn("14.5", descs["samples[6].params[0].value"])
        self.assertIn("twice", descs["samples[7].params[1].parameter"])
        self.assertIn("samples[8]", descs["samples[9].sampled_on"])
        self.assertEqual(self.count_samples(), before)
        self.assertEqual(self.sql("SELECT count(*) FROM alerts"), alerts_before)
        # validate_only: the same list as a response; nothing written.
        r = self.push(samples, validate_only=True)
        self.assertEqual(sorted((v.row, v.field) for v in r.violations), sorted(expect))
        self.assertEqual(self.count_samples(), before)
        # A clean dry run returns the assessments, writes nothing.
        r = self.push([samples[8]], validate_only=True)
        self.assertEqual((len(r.violations), r.written, r.assessments[0].water_class),
                         (0, 0, "III"))
        self.assertEqual(self.count_samples(), before)
        # Too many samples.
        many = [S("psh-sy", "2020-01-01", [("nh3n", "1")])] * 5001
        e = self.assertRpcError(lambda: self.push(many), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual([v.field for v in bad_request(e).field_violations], ["samples"])
        # Request-level checks.
        self.assertRpcError(lambda: self.push(samples[8:9], request_id=" "),
                            grpc.StatusCode.INVALID_ARGUMENT)
        self.assertRpcError(lambda: self.push([]), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual(self.count_samples(), before)

    # ---- idempotency and revisions ------------------------------------------------------------

    def test_idempotency_and_revisions(self):
        s1 = [S("lgh-xhc", "2024-02-06", [("nh3n", "1.8"), ("tp", "0.3")], note="first")]
        r = self.push(s1, request_id="xhc-2024-02")
        self.assertEqual((r.written, r.unchanged, r.replayed), (1, 0, False))
        sid = r.assessments[0].sample_id
        # Replay: the first answer, nothing new.
        r = self.push(s1, request_id="xhc-2024-02")
        self.assertEqual((r.written, r.unchanged, r.replayed), (1, 0, True))
        # The id again for other content: ALREADY_EXISTS.
        s2 = [S("lgh-xhc", "2024-02-06", [("nh3n", "1.9"), ("tp", "0.3")], note="first")]
        self.assertRpcError(lambda: self.push(s2, request_id="xhc-2024-02"),
                            grpc.StatusCode.ALREADY_EXISTS)
        # Another agency may use the same id.
        r = self.push([S("lgh-xhc", "2024-02-06", [("nh3n", "1.8")])], who="hz",
                      request_id="xhc-2024-02")
        self.assertEqual(r.replayed, False)
        # Same content under a new id (values written differently): unchanged.
        s1b = [S("lgh-xhc", "2024-02-06", [("tp", "0.30"), ("nh3n", "1.80")], note="first")]
        r = self.push(s1b)
        self.assertEqual((r.written, r.unchanged), (0, 1))
        self.assertEqual(r.assessments[0].sample_id, sid)
        # Changed content: revision 2, revision 1 kept.
        r = self.push(s2)
        self.assertEqual((r.written, r.unchanged), (1, 0))
        self.assertNotEqual(r.assessments[0].sample_id, sid)
        rows = self.sql("SELECT revision, content FROM water_samples WHERE section_code = "
                        "'lgh-xhc' AND agency_code = 'sz-eeb' AND month = '2024-02' "
                        "ORDER BY revision").splitlines()
        self.assertEqual(rows, ["1|2024-02-06|nh3n=1.8;tp=0.3|first",
                                "2|2024-02-06|nh3n=1.9;tp=0.3|first"])
        # History cannot be rewritten.
        with self.assertRaises(Exception):
            self.sql("UPDATE water_samples SET note = 'x'")
        # The status shows the newest revision: NH3-N 1.9 is V (target V).
        st = self.status("lgh-xhc", 2024)
        self.assertEqual(self.params(st.months[1].official)["nh3n"].value, "1.9")
        self.assertEqual(st.months[1].water_class, "V")
        self.assertTrue(st.months[1].meets_target)
        # Audit row per written push.
        self.assertGreaterEqual(int(self.sql("SELECT count(*) FROM audit WHERE action = "
                                             "'water.push' AND request_id = 'xhc-2024-02'")), 2)


    # ---- concurrency ---------------------------------------------------------------------

    def test_concurrent_pushes(self):
        """Both cities push every month of 大墩 2020 at once, on separate
        connections: whichever sample comes second is compared with the
        first, so each month gets exactly one discrepancy alert (COD 10 and
        20: 10/30 = 33.3 % > 20 %). Five pushes of one request id at once
        write once. A push that finds the section's state moved is decided
        again by the server; ABORTED (state kept moving) is retried here,
        as any client would."""
        import threading
        stubs = [water_pb2_grpc.WaterServiceStub(self.rcid.channel(separate=True))
                 for _ in range(8)]
        errors = []

        def run(k, who, samples, request_id=None, results=None):
            req = water_pb2.PushSamplesRequest(request_id=request_id or secrets.token_hex(8),
                                               samples=samples)
            for _ in range(5):
                try:
                    r = stubs[k % len(stubs)].PushSamples(req, metadata=self.md(who), timeout=30)
                    if results is not None:
                        results.append(r)
                    return
                except grpc.RpcError as e:
                    if e.code() != grpc.StatusCode.ABORTED:
                        errors.append(e)
                        return
            errors.append("ABORTED five times")

        threads = []
        for m in range(1, 13):
            day = f"2020-{m:02d}-11"
            threads.append(threading.Thread(target=run, args=(
                2 * m, "dg", [S("dj-dd", day, [("cod", "10")])])))
            threads.append(threading.Thread(target=run, args=(
                2 * m + 1, "gz", [S("dj-dd", day, [("cod", "20")])])))
        same = []
        for k in range(5):
            threads.append(threading.Thread(target=run, args=(
                k, "dg", [S("dj-dd", "2019-12-20", [("cod", "11")]),
                          S("dj-slbh", "2019-12-20", [("cod", "11")])], "dd-same-id", same)))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        rows = self.sql("SELECT detail->>'month', count(*) FROM alerts WHERE subject = 'dj-dd' "
                        "AND kind = 'water.joint_discrepancy' GROUP BY 1 ORDER BY 1").splitlines()
        self.assertEqual(rows, [f"2020-{m:02d}|1" for m in range(1, 13)])
        # The same id: one answer, written once.
        self.assertEqual(len(same), 5)
        self.assertEqual(sum(1 for r in same if not r.replayed), 1)
        self.assertEqual({(r.written, r.unchanged) for r in same}, {(2, 0)})
        self.assertEqual(self.sql("SELECT count(*) FROM water_samples WHERE section_code IN "
                                  "('dj-dd', 'dj-slbh') AND month = '2019-12'"), "2")
        self.assertEqual(self.sql("SELECT count(*) FROM water_push_requests WHERE request_id = "
                                  "'dd-same-id'"), "1")

    # ---- rcictl -------------------------------------------------------------------------

    def rcictl(self, who, *args):
        env_token = self.tokens[who]
        return self.rcid.rcictl("--token", env_token, *args)

    def test_rcictl(self):
        d = tempfile.mkdtemp()
        path = os.path.join(d, "samples.csv")
        with open(path, "w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f)
            w.writerow(["section", "date", "parameter", "value", "unit", "note"])
            w.writerow(["上垟", "2025-01-07", "氨氮", "1.2", "mg/L", "rcictl"])
            w.writerow(["psh-sy", "2025-01-07", "ph", "7.1", "", "rcictl"])
            w.writerow(["psh-sy", "2025-02-07", "tp", "0.15", "mg/L", ""])
        p = self.rcictl("sz", "water", "push", path, "--dry-run")
        self.assertEqual(p.returncode, 0, p.stderr + p.stdout)
        self.assertEqual(self.sql("SELECT count(*) FROM water_samples WHERE section_code = "
                                  "'psh-sy' AND month LIKE '2025-%'"), "0")
        p = self.rcictl("sz", "water", "push", path)
        self.assertEqual(p.returncode, 0, p.stderr + p.stdout)
        self.assertIn("2 written", p.stdout)
        self.assertEqual(self.sql("SELECT count(*) FROM water_samples WHERE section_code = "
                                  "'psh-sy' AND month LIKE '2025-%'"), "2")
        # January: NH3-N 1.2 is IV, off target III.
        p = self.rcictl("sz", "water", "status", "--section", "psh-sy", "--year", "2025")
        self.assertEqual(p.returncode, 0, p.stderr + p.stdout)
        lines = p.stdout.splitlines()
        jan = [ln for ln in lines if ln.startswith("2025-01")][0]
        self.assertIn("IV", jan)
        feb = [ln for ln in lines if ln.startswith("2025-02")][0]
        self.assertIn("II", feb)
        self.assertIn("50.0", p.stdout)
        p = self.rcictl("sz", "water", "status", "--section", "psh-sy", "--year", "2025",
                        "--format", "json")
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = json.loads(p.stdout)
        self.assertEqual(rows[0]["month"], "2025-01")
        p = self.rcictl("sz", "water", "sections", "--format", "csv")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("smh-qp", p.stdout)
        self.assertIn("企坪", p.stdout)
        p = self.rcictl("sz", "water", "joint", "--section", "psh-sy", "--from", "2025-01",
                        "--to", "2025-02")
        self.assertEqual(p.returncode, 0, p.stderr)
        # Excel's "CSV" on a Chinese Windows: GB18030, Chinese header and names.
        gbk = os.path.join(d, "gbk.csv")
        with open(gbk, "w", encoding="gb18030", newline="") as f:
            f.write("断面,采样日期,项目,数值,单位,备注\r\n"
                    "西湖村,2025-05-06,氨氮,2.1,mg/L,退潮采样\r\n"
                    "西湖村,2025-05-06,总磷,0.3,mg/L,退潮采样\r\n")
        p = self.rcictl("sz", "water", "push", gbk)
        self.assertEqual(p.returncode, 0, p.stderr + p.stdout)
        # NH3-N 2.1 > 2.0 is 劣V: (2.1 − 2.0)/2.0 = 0.05 over target V.
        self.assertIn("劣V", p.stdout)
        self.assertIn("×0.05", p.stdout)
        self.assertEqual(self.sql("SELECT note FROM water_samples WHERE section_code = "
                                  "'lgh-xhc' AND month = '2025-05'"), "退潮采样")
        # A bad file: every failing row named, exit non-zero, nothing written.
        bad = os.path.join(d, "bad.csv")
        with open(bad, "w", encoding="utf-8") as f:
            f.write("section,date,parameter,value,unit,note\n"
                    "psh-sy,2025-03-07,nh4,1,mg/L,\n"
                    "psh-sy,2025-04-07,nh3n,-1,mg/L,\n")
        p = self.rcictl("sz", "water", "push", bad)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("nh4", p.stderr + p.stdout)
        self.assertIn("negative", p.stderr + p.stdout)
        self.assertEqual(self.sql("SELECT count(*) FROM water_samples WHERE section_code = "
                                  "'psh-sy' AND month IN ('2025-03', '2025-04')"), "0")

if __name__ == "__main__":
    unittest.main()
