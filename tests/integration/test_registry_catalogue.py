"""rci.v1.RegistryService beyond regions: ListDomains, ListAgencies,
CreateAgency, ListIndicators, GetIndicator, PutIndicator — against a running
rcid and a real PostgreSQL, through python3-grpcio.

The seeded catalogue (migrations/0002_registry.sql) and the populations;
the permission matrix (no token → UNAUTHENTICATED, agency token → reads
only, admin token → writes); every validation failure, named by field in
the message and in google.rpc.BadRequest; ALREADY_EXISTS and
FAILED_PRECONDITION; one audit row per admin write, written in the same
statement (a failing audit writes nothing); concurrent creates.
(Issue 3 "Registry", "Identity and permissions", "Audit".)

Tokens are made straight in the database (a secret, its SHA-256 in
tokens.hash): their own commands and RPCs are tested elsewhere.
"""

import hashlib
import json
import math
import re
import secrets
import threading
import unittest

import grpc

import harness
from harness import registry_pb2, registry_pb2_grpc
from rpcpb import error_details_pb2, status_pb2

F = registry_pb2.Frequency
VT = registry_pb2.ValueType
AG = registry_pb2.Aggregation
D = registry_pb2.Direction

DOMAINS = {
    "credit": ("信用", "Social credit"),
    "economy": ("经济", "Economy"),
    "environment": ("生态环境", "Ecology and environment"),
    "innovation": ("科技创新", "Science, technology and innovation"),
    "tasks": ("重点任务", "Key tasks"),
    "transit": ("交通", "Transport"),
}

# City prefix of the agency codes (the migration's scheme).
PREFIX = {
    "440100": "gz", "440200": "sg", "440300": "sz", "440400": "zh", "440600": "fs",
    "440700": "jm", "441200": "zq", "441300": "hz", "441500": "sw", "441600": "hy",
    "441700": "yj", "441800": "qy", "441900": "dg", "442000": "zs", "445300": "yf",
}
# Every city's five agencies and what they report.
CITY_AGENCIES = {
    "eeb": ["environment"],
    "transport": ["transit"],
    "credit": ["credit"],
    "stats": ["economy", "innovation"],
    "supervision": ["tasks"],
}

# 2020 census (reference calendar-population-sections.md §2.1).
CENSUS_2020_TOTAL_15 = 95_335_753

INDICATOR_CODE = re.compile(r"^[a-z][a-z0-9_.]{1,63}$")
AGENCY_CODE = re.compile(r"^[a-z][a-z0-9-]{1,63}$")


def bad_request(err):
    """The google.rpc.BadRequest in an error's grpc-status-details-bin, or None."""
    for key, value in err.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            st = status_pb2.Status.FromString(value)
            assert st.code == err.code().value[0], (st.code, err.code())
            for any_ in st.details:
                if any_.type_url.endswith("/google.rpc.BadRequest"):
                    return error_details_pb2.BadRequest.FromString(any_.value)
    return None


def dv(x):
    from google.protobuf import wrappers_pb2
    return wrappers_pb2.DoubleValue(value=x)


def indicator(**kw):
    """A valid definition to put, with kw replacing fields."""
    base = dict(code="test.pm25", name_zh="测试细颗粒物", name_en="Test PM2.5", unit="µg/m³",
                domain="environment", frequency=F.FREQUENCY_MONTHLY,
                value_type=VT.VALUE_TYPE_DECIMAL, decimals=0,
                aggregation=AG.AGGREGATION_MEAN, better=D.DIRECTION_LOWER_IS_BETTER,
                standard="GB 3095-2012", min_value=dv(0), max_value=dv(500))
    base.update(kw)
    for k in [k for k, v in base.items() if v is None]:
        del base[k]
    return registry_pb2.Indicator(**base)


class RegistryCatalogueTest(harness.RcidTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tokens = {}
        cls.token_ids = {}
        for name, agency, admin in (("admin", None, True),        # admin-only
                                    ("hz_admin", "hz-eeb", True),  # an agency that is admin
                                    ("hz", "hz-eeb", False),
                                    ("dg", "dg-credit", False)):
            cls.tokens[name], cls.token_ids[name] = cls.make_token(agency, admin)
        cls.revoked, _ = cls.make_token("hz-eeb", False, revoked=True)
        cls.stub = registry_pb2_grpc.RegistryServiceStub(cls.rcid.channel())

    @classmethod
    def make_token(cls, agency, admin=False, revoked=False):
        secret = "rci_" + secrets.token_urlsafe(32)
        digest = hashlib.sha256(secret.encode()).hexdigest()
        out = cls.pg.psql(
            "INSERT INTO tokens (agency_code, admin, hash, prefix, revoked_at) VALUES "
            f"({'NULL' if agency is None else repr(agency)}, {str(admin).lower()}, "
            f"decode('{digest}', 'hex'), '{secret[:8]}', "
            f"{'now()' if revoked else 'NULL'}) RETURNING id")
        return secret, int(out.strip().splitlines()[0])

    # -- helpers --

    def md(self, who="hz", request_id=None):
        m = [("authorization", "Bearer " + self.tokens[who])]
        if request_id:
            m.append(("x-request-id", request_id))
        return tuple(m)

    def call(self, method, req, who="hz", **kw):
        md = self.md(who, kw.pop("request_id", None)) if who else ()
        return getattr(self.stub, method)(req, metadata=md, timeout=10, **kw)

    def sql(self, q):
        return self.pg.psql(q).strip()

    def audit_count(self, action=None):
        where = f"WHERE action = '{action}'" if action else ""
        return int(self.sql(f"SELECT count(*) FROM audit {where}"))

    def last_audit(self, action):
        row = self.sql("SELECT json_build_object('agency_code', agency_code, 'token_id', token_id, "
                       "'request_id', request_id, 'peer', peer, 'detail', detail) "
                       f"FROM audit WHERE action = '{action}' ORDER BY id DESC LIMIT 1")
        return json.loads(row)

    def assertInvalid(self, fn, fields, msg=None):
        """INVALID_ARGUMENT naming every one of fields, in the message and in
        the BadRequest details."""
        e = self.assertRpcError(fn, grpc.StatusCode.INVALID_ARGUMENT, msg)
        br = bad_request(e)
        self.assertIsNotNone(br, f"no BadRequest details with {e.details()!r}")
        got = [v.field for v in br.field_violations]
        for f in fields:
            self.assertIn(f, e.details(), msg)
            self.assertIn(f, got, msg)
        for v in br.field_violations:
            self.assertTrue(v.description)
        return e

    def agencies(self, who="hz", **kw):
        return list(self.call("ListAgencies", registry_pb2.ListAgenciesRequest(**kw), who).agencies)

    def indicators(self, who="hz", **kw):
        return list(self.call("ListIndicators", registry_pb2.ListIndicatorsRequest(**kw),
                              who).indicators)

    def get(self, code, who="hz"):
        return self.call("GetIndicator", registry_pb2.GetIndicatorRequest(code=code), who)

    def put(self, ind, who="admin", reason="", **kw):
        return self.call("PutIndicator", registry_pb2.PutIndicatorRequest(indicator=ind,
                                                                          reason=reason), who, **kw)

    def create(self, who="admin", request_id=None, **kw):
        a = dict(code="sz-water", city_code="440300", name_zh="深圳市水务局",
                 name_en="Shenzhen Water Authority", domains=["environment"])
        a.update(kw)
        return self.call("CreateAgency",
                         registry_pb2.CreateAgencyRequest(agency=registry_pb2.Agency(**a)), who,
                         request_id=request_id)

    # -- tokens and scope --

    def test_every_read_needs_a_token(self):
        reads = [("ListDomains", registry_pb2.ListDomainsRequest()),
                 ("ListAgencies", registry_pb2.ListAgenciesRequest()),
                 ("ListIndicators", registry_pb2.ListIndicatorsRequest()),
                 ("GetIndicator", registry_pb2.GetIndicatorRequest(code="air.pm25_mean"))]
        writes = [("CreateAgency", registry_pb2.CreateAgencyRequest(
                      agency=registry_pb2.Agency(code="xx-test", city_code="440300",
                                                 name_zh="x", name_en="x"))),
                  ("PutIndicator", registry_pb2.PutIndicatorRequest(indicator=indicator()))]
        bad_headers = [(), (("authorization", "Bearer rci_" + "A" * 43),),
                       (("authorization", "Bearer " + self.revoked),),
                       (("authorization", "Basic " + self.tokens["admin"]),),
                       (("authorization", self.tokens["admin"]),)]
        for method, req in reads + writes:
            for md in bad_headers:
                with self.subTest(method=method, md=md):
                    self.assertRpcError(
                        lambda: getattr(self.stub, method)(req, metadata=md, timeout=10),
                        grpc.StatusCode.UNAUTHENTICATED)
        for method, req in reads:
            for who in ("hz", "dg", "admin"):
                with self.subTest(method=method, who=who):
                    getattr(self.stub, method)(req, metadata=self.md(who), timeout=10)
        # The regions stay public.
        self.assertTrue(self.stub.ListRegions(registry_pb2.ListRegionsRequest(), timeout=10).regions)
        self.assertEqual(self.sql("SELECT count(*) FROM agencies WHERE code = 'xx-test'"), "0")

    def test_writes_need_an_admin_token(self):
        before = self.audit_count()
        for who in ("hz", "dg"):
            with self.subTest(who=who):
                e = self.assertRpcError(lambda: self.create(who=who, code="hz-denied"),
                                        grpc.StatusCode.PERMISSION_DENIED)
                self.assertIn("admin", e.details())
                self.assertRpcError(lambda: self.put(indicator(code="test.denied"), who=who),
                                    grpc.StatusCode.PERMISSION_DENIED)
        # Scope comes before validation: a bad request from a non-admin is
        # still PERMISSION_DENIED (DESIGN §6 order).
        self.assertRpcError(lambda: self.put(indicator(code="BAD", frequency=0), who="hz"),
                            grpc.StatusCode.PERMISSION_DENIED)
        self.assertEqual(self.sql("SELECT count(*) FROM agencies WHERE code = 'hz-denied'"), "0")
        self.assertEqual(self.sql("SELECT count(*) FROM indicators WHERE code = 'test.denied'"), "0")
        self.assertEqual(self.audit_count(), before)

    # -- domains --

    def test_list_domains(self):
        ds = self.call("ListDomains", registry_pb2.ListDomainsRequest()).domains
        self.assertEqual([d.code for d in ds], sorted(DOMAINS))
        for d in ds:
            self.assertEqual((d.name_zh, d.name_en), DOMAINS[d.code])

    # -- agencies --

    def test_seeded_agencies(self):
        agencies = {a.code: a for a in self.agencies()}
        for city, prefix in PREFIX.items():
            for kind, domains in CITY_AGENCIES.items():
                with self.subTest(city=city, kind=kind):
                    a = agencies[f"{prefix}-{kind}"]
                    self.assertEqual(a.city_code, city)
                    self.assertEqual(list(a.domains), domains)
                    self.assertTrue(a.name_zh and a.name_en)
        for code, a in agencies.items():
            self.assertRegex(code, AGENCY_CODE)
            self.assertEqual(list(a.domains), sorted(a.domains))
        self.assertEqual(agencies["hz-eeb"].name_zh, "惠州市生态环境局")
        self.assertEqual(agencies["sz-transport"].name_en, "Shenzhen Transport Bureau")
        self.assertEqual(agencies["hy-supervision"].name_zh, "河源市人民政府督查室")
        self.assertIn("信用办", agencies["dg-credit"].name_zh)
        self.assertEqual(agencies["gd-drc"].city_code, "440000")
        self.assertEqual(list(agencies["gd-eed"].domains), ["environment"])

    def test_agencies_ordered_by_city_then_code(self):
        got = [(a.city_code, a.code) for a in self.agencies()]
        self.assertEqual(got, sorted(got))

    def test_agency_filters(self):
        hz = self.agencies(city_code="441300")
        self.assertEqual({a.code for a in hz} >= {f"hz-{k}" for k in CITY_AGENCIES}, True)
        self.assertTrue(all(a.city_code == "441300" for a in hz))
        credit = self.agencies(domain="credit")
        self.assertTrue({f"{p}-credit" for p in PREFIX.values()} | {"gd-drc"} <= {a.code for a in credit})
        self.assertTrue(all("credit" in a.domains for a in credit))
        self.assertEqual([a.code for a in self.agencies(city_code="441900", domain="credit")],
                         ["dg-credit"])
        self.assertEqual([a.code for a in self.agencies(city_code="440000", domain="environment")],
                         ["gd-eed"])
        self.assertEqual(self.agencies(city_code="441900", domain="innovation")[0].code, "dg-stats")
        # A region with no agencies: an empty answer, not an error.
        self.assertEqual(self.agencies(city_code="440000", domain="transit"), [])

    def test_agency_filter_errors(self):
        for kw, code, word in ((dict(city_code="449999"), grpc.StatusCode.NOT_FOUND, "449999"),
                               (dict(domain="water"), grpc.StatusCode.NOT_FOUND, "water"),
                               (dict(city_code="abc"), grpc.StatusCode.INVALID_ARGUMENT, "city_code"),
                               (dict(city_code="szdghz"), grpc.StatusCode.INVALID_ARGUMENT, "city_code"),
                               (dict(domain="Credit!"), grpc.StatusCode.INVALID_ARGUMENT, "domain")):
            with self.subTest(**kw):
                e = self.assertRpcError(lambda: self.agencies(**kw), code)
                self.assertIn(word, e.details())

    def test_create_agency(self):
        before = self.audit_count("agency.create")
        a = self.create(code="sz-water", domains=["transit", "environment"], request_id="req-sz-1")
        self.assertEqual((a.code, a.city_code, a.name_zh, a.name_en),
                         ("sz-water", "440300", "深圳市水务局", "Shenzhen Water Authority"))
        self.assertEqual(list(a.domains), ["environment", "transit"])   # stored order
        listed = {x.code: x for x in self.agencies(city_code="440300")}
        self.assertEqual(listed["sz-water"], a)
        self.assertIn("sz-water", [x.code for x in self.agencies(domain="transit")])
        # Audited once, with who and where.
        self.assertEqual(self.audit_count("agency.create"), before + 1)
        au = self.last_audit("agency.create")
        self.assertIsNone(au["agency_code"])                 # an admin-only token
        self.assertEqual(au["token_id"], self.token_ids["admin"])
        self.assertEqual(au["request_id"], "req-sz-1")
        self.assertRegex(au["peer"], r"^127\.0\.0\.1:\d+$")
        self.assertEqual(au["detail"]["agency"], "sz-water")
        self.assertEqual(au["detail"]["city_code"], "440300")
        self.assertEqual(sorted(au["detail"]["domains"]), ["environment", "transit"])
        # The same code again: ALREADY_EXISTS, nothing written or audited.
        e = self.assertRpcError(lambda: self.create(code="sz-water", name_zh="另一个"),
                                grpc.StatusCode.ALREADY_EXISTS)
        self.assertIn("sz-water", e.details())
        self.assertEqual(self.sql("SELECT name_zh FROM agencies WHERE code = 'sz-water'"),
                         "深圳市水务局")
        self.assertEqual(self.audit_count("agency.create"), before + 1)
        # Its tokens can read at once: the agency is real.
        secret, _ = self.make_token("sz-water")
        self.tokens["sz_water"] = secret
        self.assertTrue(self.indicators(who="sz_water"))

    def test_create_agency_variants(self):
        # The province, no domains (a reader), an agency-bound admin token.
        a = self.create(code="gd-stats", city_code="440000", name_zh="广东省统计局",
                        name_en="Guangdong Provincial Bureau of Statistics",
                        domains=["economy", "innovation"])
        self.assertEqual(a.city_code, "440000")
        r = self.create(code="szdghz-office", city_code="440300", name_zh="深莞惠联席会议办公室",
                        name_en="Shenzhen-Dongguan-Huizhou Joint Meeting Office", domains=[],
                        who="hz_admin")
        self.assertEqual(list(r.domains), [])
        self.assertEqual(self.sql("SELECT count(*) FROM agency_domains "
                                  "WHERE agency_code = 'szdghz-office'"), "0")
        au = self.last_audit("agency.create")
        self.assertEqual(au["agency_code"], "hz-eeb")
        self.assertEqual(au["token_id"], self.token_ids["hz_admin"])
        self.assertEqual(au["request_id"], "")

    def test_create_agency_validation(self):
        long = "x" * 201
        cases = [
            (dict(code=""), ["agency.code"]),
            (dict(code="SZ-water"), ["agency.code"]),
            (dict(code="sz_water"), ["agency.code"]),
            (dict(code="s"), ["agency.code"]),
            (dict(code="9sz"), ["agency.code"]),
            (dict(code="a" * 65), ["agency.code"]),
            (dict(city_code=""), ["agency.city_code"]),
            (dict(city_code="abc"), ["agency.city_code"]),
            (dict(city_code="szdghz"), ["agency.city_code"]),
            (dict(city_code="449900"), ["agency.city_code"]),           # no such region
            (dict(name_zh=""), ["agency.name_zh"]),
            (dict(name_zh="   "), ["agency.name_zh"]),
            (dict(name_en="Shenzhen\nWater"), ["agency.name_en"]),
            (dict(name_en=long), ["agency.name_en"]),
            (dict(domains=["water"]), ["agency.domains"]),             # no such domain
            (dict(domains=["transit", "nope", "environment", "gone"]), ["agency.domains"]),
            (dict(domains=["Transit"]), ["agency.domains[0]"]),
            (dict(domains=["transit", "transit"]), ["agency.domains[1]"]),
            (dict(domains=[f"d{i:02d}" for i in range(17)]), ["agency.domains"]),
            (dict(code="X", city_code="", name_zh="", name_en=""),
             ["agency.code", "agency.city_code", "agency.name_zh", "agency.name_en"]),
            (dict(city_code="449900", domains=["water"]), ["agency.city_code", "agency.domains"]),
        ]
        before = self.audit_count()
        for kw, fields in cases:
            kw.setdefault("code", "sz-invalid")
            with self.subTest(**{k: v if len(str(v)) < 40 else str(v)[:40] for k, v in kw.items()}):
                e = self.assertInvalid(lambda: self.create(**kw), fields)
                if "domains" in kw and kw["domains"] and kw["domains"][0] in ("water", "transit"):
                    for d in kw["domains"]:
                        if d in ("water", "nope", "gone"):
                            self.assertIn(d, e.details())
        e = self.assertInvalid(lambda: self.call("CreateAgency", registry_pb2.CreateAgencyRequest(),
                                                 "admin"), ["agency"])
        self.assertEqual(self.sql("SELECT count(*) FROM agencies WHERE code = 'sz-invalid'"), "0")
        self.assertEqual(self.audit_count(), before)

    def test_agency_belongs_to_a_city_or_the_province(self):
        # A district is a region but not a place agencies are registered at.
        self.pg.psql("INSERT INTO regions (code, kind, name_zh, name_en, parent_code) "
                     "VALUES ('441302', 'district', '惠城区', 'Huicheng', '441300') "
                     "ON CONFLICT DO NOTHING")
        e = self.assertInvalid(lambda: self.create(code="hc-eeb", city_code="441302"),
                               ["agency.city_code"])
        self.assertIn("district", e.details())

    def test_concurrent_creates_of_one_code(self):
        results = []

        def worker():
            try:
                self.create(code="zh-concurrent", city_code="440400")
                results.append("ok")
            except grpc.RpcError as e:
                results.append(e.code())

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(results.count("ok"), 1, results)
        self.assertEqual(results.count(grpc.StatusCode.ALREADY_EXISTS), 7, results)
        self.assertEqual(int(self.sql("SELECT count(*) FROM audit WHERE action = 'agency.create' "
                                      "AND detail->>'agency' = 'zh-concurrent'")), 1)

    def test_failing_audit_writes_nothing(self):
        """The audit row is part of the statement that writes: if rci_audit
        fails, neither the agency nor the indicator is written."""
        original = self.sql("SELECT pg_get_functiondef('rci_audit'::regproc)")
        self.pg.psql("CREATE OR REPLACE FUNCTION rci_audit(p_agency text, p_token bigint, "
                     "p_action text, p_request_id text, p_peer text, p_detail jsonb) "
                     "RETURNS bigint LANGUAGE plpgsql VOLATILE AS "
                     "$$ BEGIN RAISE EXCEPTION 'audit broken for the test'; END $$")
        try:
            self.assertRpcError(lambda: self.create(code="fs-audit"), grpc.StatusCode.INTERNAL)
            self.assertRpcError(lambda: self.put(indicator(code="test.audit")),
                                grpc.StatusCode.INTERNAL)
        finally:
            self.pg.psql(original)
        self.assertEqual(self.sql("SELECT count(*) FROM agencies WHERE code = 'fs-audit'"), "0")
        self.assertEqual(self.sql("SELECT count(*) FROM agency_domains "
                                  "WHERE agency_code = 'fs-audit'"), "0")
        self.assertEqual(self.sql("SELECT count(*) FROM indicators WHERE code = 'test.audit'"), "0")
        # And with the audit back, the same writes go through.
        self.create(code="fs-audit", city_code="440600")
        self.put(indicator(code="test.audit"))

    # -- the catalogue --

    def test_seeded_catalogue(self):
        inds = self.indicators()
        codes = [i.code for i in inds]
        self.assertEqual(codes, sorted(codes))
        seeded = [i for i in inds if not i.code.startswith("test.")]
        self.assertGreaterEqual(len(seeded), 25)
        self.assertLessEqual(len(seeded), 45)
        for i in seeded:
            with self.subTest(code=i.code):
                self.assertRegex(i.code, INDICATOR_CODE)
                self.assertTrue(i.name_zh and i.name_en)
                self.assertIn(i.domain, DOMAINS)
                self.assertNotEqual(i.frequency, F.FREQUENCY_UNSPECIFIED)
                self.assertNotEqual(i.value_type, VT.VALUE_TYPE_UNSPECIFIED)
                self.assertNotEqual(i.aggregation, AG.AGGREGATION_UNSPECIFIED)
                self.assertNotEqual(i.better, D.DIRECTION_UNSPECIFIED)
                self.assertTrue(0 <= i.decimals <= 6)
                if i.value_type == VT.VALUE_TYPE_PERCENT:
                    self.assertTrue(i.HasField("min_value") and i.HasField("max_value"))
                    self.assertEqual(i.unit, "%")
                if i.value_type == VT.VALUE_TYPE_INTEGER:
                    self.assertEqual(i.decimals, 0)
                if i.HasField("min_value") and i.HasField("max_value"):
                    self.assertLessEqual(i.min_value.value, i.max_value.value)
                self.assertEqual(self.get(i.code), i)
        # Every domain is covered, and every frequency the seeds imply.
        self.assertEqual({i.domain for i in seeded}, set(DOMAINS))
        self.assertEqual({i.frequency for i in seeded},
                         {F.FREQUENCY_MONTHLY, F.FREQUENCY_QUARTERLY, F.FREQUENCY_HALF_YEARLY,
                          F.FREQUENCY_YEARLY})
        self.assertIn(AG.AGGREGATION_POPULATION_WEIGHTED_MEAN, {i.aggregation for i in seeded})

    def test_seed_indicators(self):
        """The indicators the seeds track, as the seeds describe them."""
        want = {
            # code: (unit, domain, frequency, value_type, aggregation, better, min, max, decimals)
            "air.good_days_rate": ("%", "environment", F.FREQUENCY_MONTHLY, VT.VALUE_TYPE_PERCENT,
                                   AG.AGGREGATION_MEAN, D.DIRECTION_HIGHER_IS_BETTER, 0, 100, 1),
            "air.pm25_mean": ("µg/m³", "environment", F.FREQUENCY_MONTHLY, VT.VALUE_TYPE_DECIMAL,
                              AG.AGGREGATION_MEAN, D.DIRECTION_LOWER_IS_BETTER, 0, 500, 0),
            "air.composite_index": ("", "environment", F.FREQUENCY_MONTHLY, VT.VALUE_TYPE_DECIMAL,
                                    AG.AGGREGATION_MEAN, D.DIRECTION_LOWER_IS_BETTER, 0, 50, 2),
            "water.section_compliance_rate": ("%", "environment", F.FREQUENCY_MONTHLY,
                                              VT.VALUE_TYPE_PERCENT, AG.AGGREGATION_MEAN,
                                              D.DIRECTION_HIGHER_IS_BETTER, 0, 100, 1),
            "transit.cross_city_bus_lines": ("条", "transit", F.FREQUENCY_MONTHLY,
                                             VT.VALUE_TYPE_INTEGER, AG.AGGREGATION_SUM,
                                             D.DIRECTION_HIGHER_IS_BETTER, 0, None, 0),
            "transit.express_channels_opened": ("条", "transit", F.FREQUENCY_QUARTERLY,
                                                VT.VALUE_TYPE_INTEGER, AG.AGGREGATION_SUM,
                                                D.DIRECTION_HIGHER_IS_BETTER, 0, None, 0),
            "transit.border_roads_completed": ("项", "transit", F.FREQUENCY_QUARTERLY,
                                               VT.VALUE_TYPE_INTEGER, AG.AGGREGATION_SUM,
                                               D.DIRECTION_HIGHER_IS_BETTER, 0, None, 0),
            "credit.records_shared": ("条", "credit", F.FREQUENCY_MONTHLY, VT.VALUE_TYPE_INTEGER,
                                      AG.AGGREGATION_SUM, D.DIRECTION_HIGHER_IS_BETTER, 0, None, 0),
            "tasks.on_schedule_rate": ("%", "tasks", F.FREQUENCY_MONTHLY, VT.VALUE_TYPE_PERCENT,
                                       AG.AGGREGATION_MEAN, D.DIRECTION_HIGHER_IS_BETTER, 0, 100, 1),
            "tasks.cooperation_items_completion_rate": (
                "%", "tasks", F.FREQUENCY_HALF_YEARLY, VT.VALUE_TYPE_PERCENT, AG.AGGREGATION_MEAN,
                D.DIRECTION_HIGHER_IS_BETTER, 0, 100, 1),
            "econ.gdp_growth": ("%", "economy", F.FREQUENCY_QUARTERLY, VT.VALUE_TYPE_PERCENT,
                                AG.AGGREGATION_NONE, D.DIRECTION_HIGHER_IS_BETTER, -50, 50, 1),
            "econ.industrial_va_growth": ("%", "economy", F.FREQUENCY_MONTHLY,
                                          VT.VALUE_TYPE_PERCENT, AG.AGGREGATION_NONE,
                                          D.DIRECTION_HIGHER_IS_BETTER, -100, 500, 1),
            "innov.rd_spending_share": ("%", "innovation", F.FREQUENCY_YEARLY,
                                        VT.VALUE_TYPE_PERCENT, AG.AGGREGATION_NONE,
                                        D.DIRECTION_HIGHER_IS_BETTER, 0, 20, 2),
            "water.urban_sewage_treatment_rate": ("%", "environment", F.FREQUENCY_YEARLY,
                                                  VT.VALUE_TYPE_PERCENT,
                                                  AG.AGGREGATION_POPULATION_WEIGHTED_MEAN,
                                                  D.DIRECTION_HIGHER_IS_BETTER, 0, 100, 1),
        }
        for code, (unit, domain, freq, vt, agg, better, lo, hi, dec) in want.items():
            with self.subTest(code=code):
                i = self.get(code)
                self.assertEqual((i.unit, i.domain, i.frequency, i.value_type, i.aggregation,
                                  i.better, i.decimals), (unit, domain, freq, vt, agg, better, dec))
                self.assertEqual(i.min_value.value if i.HasField("min_value") else None, lo)
                self.assertEqual(i.max_value.value if i.HasField("max_value") else None, hi)
        self.assertIn("GB 3095", self.get("air.pm25_mean").standard)
        self.assertIn("HJ 633", self.get("air.good_days_rate").standard)

    def test_indicator_filters(self):
        env = self.indicators(domain="environment")
        self.assertTrue(env and all(i.domain == "environment" for i in env))
        monthly = self.indicators(frequency=F.FREQUENCY_MONTHLY)
        self.assertTrue(monthly and all(i.frequency == F.FREQUENCY_MONTHLY for i in monthly))
        both = self.indicators(domain="economy", frequency=F.FREQUENCY_QUARTERLY)
        self.assertIn("econ.gdp_growth", [i.code for i in both])
        self.assertTrue(all(i.domain == "economy" and i.frequency == F.FREQUENCY_QUARTERLY
                            for i in both))
        self.assertEqual(self.indicators(domain="transit", frequency=F.FREQUENCY_DAILY), [])
        every = self.indicators()
        self.assertEqual(sum(len(self.indicators(domain=d)) for d in DOMAINS), len(every))
        e = self.assertRpcError(lambda: self.indicators(domain="water"), grpc.StatusCode.NOT_FOUND)
        self.assertIn("water", e.details())
        e = self.assertRpcError(lambda: self.indicators(domain="Env"),
                                grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("domain", e.details())
        e = self.assertRpcError(lambda: self.indicators(frequency=42),
                                grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("frequency", e.details())

    def test_get_indicator_errors(self):
        e = self.assertRpcError(lambda: self.get("air.nothing"), grpc.StatusCode.NOT_FOUND)
        self.assertIn("air.nothing", e.details())
        for bad in ("", "Air.PM25", "air pm25", "a", "空气"):
            with self.subTest(code=bad):
                e = self.assertRpcError(lambda: self.get(bad), grpc.StatusCode.INVALID_ARGUMENT)
                self.assertIn("code", e.details())

    def test_populations(self):
        self.assertEqual(int(self.sql("SELECT sum(population) FROM populations "
                                      "WHERE year = 2020 AND region_code <> '440000'")),
                         CENSUS_2020_TOTAL_15)
        self.assertEqual(self.sql("SELECT string_agg(code, ',' ORDER BY code) FROM regions r "
                                  "WHERE kind = 'city' AND NOT EXISTS (SELECT 1 FROM populations p "
                                  "WHERE p.region_code = r.code AND p.year = 2020)"), "")
        self.assertEqual(int(self.sql("SELECT population FROM populations "
                                      "WHERE region_code = '440300' AND year = 2020")), 17_560_061)
        # The circles' sums as the reference gives them.
        for circle, total in (("szdghz", 39_580_043), ("gfz", 38_641_885), ("zzj", 14_258_694)):
            with self.subTest(circle=circle):
                self.assertEqual(int(self.sql(
                    "SELECT sum(p.population) FROM populations p JOIN circle_members m "
                    f"ON m.city_code = p.region_code WHERE m.circle_code = '{circle}' "
                    "AND p.year = 2020")), total)
        # No pre-census vintage (2016–2019) mixed in.
        self.assertEqual(self.sql("SELECT count(*) FROM populations WHERE year < 2020"), "0")

    # -- PutIndicator --

    def test_put_creates_then_updates(self):
        before = self.audit_count()
        ind = indicator(code="test.lifecycle")
        got = self.put(ind, reason="new for the test", request_id="put-1")
        self.assertEqual(got, ind)
        self.assertEqual(self.get("test.lifecycle"), ind)
        self.assertEqual(self.audit_count(), before + 1)
        au = self.last_audit("indicator.create")
        self.assertEqual(au["detail"]["indicator"], "test.lifecycle")
        self.assertEqual(au["detail"]["reason"], "new for the test")
        self.assertIsNone(au["detail"]["before"])
        self.assertEqual(au["detail"]["after"]["frequency"], "monthly")
        self.assertEqual(au["request_id"], "put-1")
        self.assertEqual(au["token_id"], self.token_ids["admin"])
        created, updated = self.sql("SELECT created_at || '|' || updated_at FROM indicators "
                                    "WHERE code = 'test.lifecycle'").split("|")

        # A change: every field is replaced.
        ind2 = indicator(code="test.lifecycle", name_zh="改名", name_en="Renamed", unit="mg/m³",
                         domain="transit", frequency=F.FREQUENCY_QUARTERLY,
                         value_type=VT.VALUE_TYPE_INTEGER, decimals=0, min_value=None,
                         max_value=dv(1000), aggregation=AG.AGGREGATION_SUM,
                         better=D.DIRECTION_NEUTRAL, standard="")
        self.assertEqual(self.put(ind2, reason="rename"), ind2)
        self.assertEqual(self.get("test.lifecycle"), ind2)
        au = self.last_audit("indicator.update")
        self.assertTrue(au["detail"]["changed"])
        self.assertEqual(au["detail"]["before"]["name_zh"], "测试细颗粒物")
        self.assertEqual(au["detail"]["after"]["name_zh"], "改名")
        c2, u2 = self.sql("SELECT created_at || '|' || updated_at FROM indicators "
                          "WHERE code = 'test.lifecycle'").split("|")
        self.assertEqual(c2, created)
        self.assertGreater(u2, updated)

        # The same definition again: nothing changes (updated_at stays, so
        # pushes reading the definitions are not disturbed), but it is audited.
        self.assertEqual(self.put(ind2), ind2)
        c3, u3 = self.sql("SELECT created_at || '|' || updated_at FROM indicators "
                          "WHERE code = 'test.lifecycle'").split("|")
        self.assertEqual((c3, u3), (c2, u2))
        au = self.last_audit("indicator.update")
        self.assertFalse(au["detail"]["changed"])
        self.assertEqual(self.audit_count(), before + 3)

    def test_put_percent_bounds(self):
        p = dict(value_type=VT.VALUE_TYPE_PERCENT, decimals=1, unit="%")
        got = self.put(indicator(code="test.pct", min_value=None, max_value=None, **p))
        self.assertEqual((got.min_value.value, got.max_value.value), (0, 100))
        self.assertEqual((self.get("test.pct").min_value.value, self.get("test.pct").max_value.value),
                         (0, 100))
        got = self.put(indicator(code="test.pct_growth", min_value=dv(-50), max_value=None, **p))
        self.assertEqual((got.min_value.value, got.max_value.value), (-50, 100))
        got = self.put(indicator(code="test.pct_wide", min_value=None, max_value=dv(300), **p))
        self.assertEqual((got.min_value.value, got.max_value.value), (0, 300))
        self.assertInvalid(lambda: self.put(indicator(code="test.pct_bad", min_value=dv(150),
                                                      max_value=None, **p)),
                           ["indicator.min_value"])
        # Open bounds stay open for other types; fractional bounds are kept exactly.
        got = self.put(indicator(code="test.open", min_value=None, max_value=None))
        self.assertFalse(got.HasField("min_value") or got.HasField("max_value"))
        self.assertFalse(self.get("test.open").HasField("min_value"))
        got = self.put(indicator(code="test.frac", min_value=dv(0.1), max_value=dv(29.5), decimals=1))
        self.assertEqual(self.sql("SELECT min_value || ' ' || max_value FROM indicators "
                                  "WHERE code = 'test.frac'"), "0.1 29.5")
        self.assertEqual(self.get("test.frac").min_value.value, 0.1)

    def test_put_validation(self):
        long = "长" * 100   # 300 bytes
        cases = [
            (dict(code=""), ["indicator.code"]),
            (dict(code="Test.Upper"), ["indicator.code"]),
            (dict(code="test-dash"), ["indicator.code"]),
            (dict(code="t"), ["indicator.code"]),
            (dict(code="t" * 65), ["indicator.code"]),
            (dict(name_zh=""), ["indicator.name_zh"]),
            (dict(name_en="  "), ["indicator.name_en"]),
            (dict(name_zh=long), ["indicator.name_zh"]),
            (dict(name_en="two\nlines"), ["indicator.name_en"]),
            (dict(unit="u" * 33), ["indicator.unit"]),
            (dict(standard="s" * 501), ["indicator.standard"]),
            (dict(domain=""), ["indicator.domain"]),
            (dict(domain="Env"), ["indicator.domain"]),
            (dict(domain="water"), ["indicator.domain"]),                # no such domain
            (dict(frequency=F.FREQUENCY_UNSPECIFIED), ["indicator.frequency"]),
            (dict(frequency=17), ["indicator.frequency"]),
            (dict(value_type=VT.VALUE_TYPE_UNSPECIFIED), ["indicator.value_type"]),
            (dict(value_type=9), ["indicator.value_type"]),
            (dict(aggregation=AG.AGGREGATION_UNSPECIFIED), ["indicator.aggregation"]),
            (dict(aggregation=6), ["indicator.aggregation"]),
            (dict(better=D.DIRECTION_UNSPECIFIED), ["indicator.better"]),
            (dict(better=4), ["indicator.better"]),
            (dict(decimals=-1), ["indicator.decimals"]),
            (dict(decimals=7), ["indicator.decimals"]),
            (dict(value_type=VT.VALUE_TYPE_INTEGER, decimals=2), ["indicator.decimals"]),
            (dict(value_type=VT.VALUE_TYPE_INTEGER, min_value=dv(0.5)), ["indicator.min_value"]),
            (dict(min_value=dv(10), max_value=dv(5)), ["indicator.min_value"]),
            (dict(min_value=dv(math.nan)), ["indicator.min_value"]),
            (dict(max_value=dv(math.inf)), ["indicator.max_value"]),
            (dict(max_value=dv(-math.inf)), ["indicator.max_value"]),
            (dict(max_value=dv(1e16)), ["indicator.max_value"]),
            (dict(max_value=dv(0.1234567)), ["indicator.max_value"]),
            (dict(code="", name_zh="", frequency=0, better=0, decimals=9),
             ["indicator.code", "indicator.name_zh", "indicator.frequency", "indicator.better",
              "indicator.decimals"]),
        ]
        before = self.audit_count()
        for kw, fields in cases:
            kw.setdefault("code", "test.invalid")
            with self.subTest(**{k: str(v)[:30] for k, v in kw.items()}):
                self.assertInvalid(lambda: self.put(indicator(**kw)), fields)
        self.assertInvalid(lambda: self.put(indicator(code="test.invalid"), reason="r" * 1001),
                           ["reason"])
        self.assertInvalid(lambda: self.call("PutIndicator", registry_pb2.PutIndicatorRequest(),
                                             "admin"), ["indicator"])
        self.assertEqual(self.sql("SELECT count(*) FROM indicators WHERE code = 'test.invalid'"), "0")
        self.assertEqual(self.audit_count(), before)

    def test_put_does_not_change_frequency_or_domain_of_an_indicator_with_values(self):
        ind = indicator(code="test.has_values")
        self.put(ind)
        # Which indicators have values is rci_indicator_has_values' answer
        # (the values migration defines it over its tables); here it is made
        # to say yes for this code, and put back afterwards.
        original = self.sql("SELECT pg_get_functiondef('rci_indicator_has_values'::regproc)")
        self.pg.psql("CREATE OR REPLACE FUNCTION rci_indicator_has_values(p_code text) "
                     "RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT p_code = 'test.has_values' $$")
        try:
            before = self.audit_count()
            for kw, word in ((dict(frequency=F.FREQUENCY_QUARTERLY), "monthly"),
                             (dict(domain="transit"), "environment")):
                with self.subTest(**kw):
                    e = self.assertRpcError(lambda: self.put(indicator(code="test.has_values", **kw)),
                                            grpc.StatusCode.FAILED_PRECONDITION)
                    self.assertIn("test.has_values", e.details())
                    self.assertIn(word, e.details())
            self.assertEqual(self.get("test.has_values"), ind)
            self.assertEqual(self.audit_count(), before)
            # Anything else may change.
            ind2 = indicator(code="test.has_values", name_en="Renamed", max_value=dv(600))
            self.assertEqual(self.put(ind2), ind2)
            # Another indicator without values may change its frequency.
            self.put(indicator(code="test.no_values"))
            self.put(indicator(code="test.no_values", frequency=F.FREQUENCY_YEARLY))
        finally:
            self.pg.psql(original)

    def test_new_indicator_is_listed_and_readable_by_agencies(self):
        ind = indicator(code="test.visible", domain="credit", frequency=F.FREQUENCY_HALF_YEARLY)
        self.put(ind, who="hz_admin")
        self.assertEqual(self.last_audit("indicator.create")["agency_code"], "hz-eeb")
        self.assertEqual(self.get("test.visible", who="dg"), ind)
        self.assertIn("test.visible",
                      [i.code for i in self.indicators(who="dg", domain="credit",
                                                       frequency=F.FREQUENCY_HALF_YEARLY)])


if __name__ == "__main__":
    unittest.main()
