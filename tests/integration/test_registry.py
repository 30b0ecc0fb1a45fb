"""rci.v1.RegistryService/ListRegions against a running rcid and a real
PostgreSQL: every region, the filters by kind and by circle, the order the
proto promises, bad filters; `rcictl regions`.
(Issue 2 "First service"; DESIGN §6 "Regions".)"""

import json
import unittest

import grpc

import harness
from harness import registry_pb2

K = registry_pb2.RegionKind

# GB/T 2260 codes of the nine PRD cities and the six neighbours (issue 2).
CITIES = {
    "440100": ("广州市", "Guangzhou"),
    "440200": ("韶关市", "Shaoguan"),
    "440300": ("深圳市", "Shenzhen"),
    "440400": ("珠海市", "Zhuhai"),
    "440600": ("佛山市", "Foshan"),
    "440700": ("江门市", "Jiangmen"),
    "441200": ("肇庆市", "Zhaoqing"),
    "441300": ("惠州市", "Huizhou"),
    "441500": ("汕尾市", "Shanwei"),
    "441600": ("河源市", "Heyuan"),
    "441700": ("阳江市", "Yangjiang"),
    "441800": ("清远市", "Qingyuan"),
    "441900": ("东莞市", "Dongguan"),
    "442000": ("中山市", "Zhongshan"),
    "445300": ("云浮市", "Yunfu"),
}
PRD_NINE = {"440100", "440300", "440400", "440600", "440700", "441200", "441300", "441900",
            "442000"}
# 深莞惠+汕尾、河源; 广佛肇+清远、云浮; 珠中江+阳江 (DESIGN §6).
CIRCLES = {
    "szdghz": ["440300", "441300", "441500", "441600", "441900"],
    "gfz": ["440100", "440600", "441200", "441800", "445300"],
    "zzj": ["440400", "440700", "441700", "442000"],
}
KIND_ORDER = [K.REGION_KIND_PROVINCE, K.REGION_KIND_CIRCLE, K.REGION_KIND_CITY,
              K.REGION_KIND_DISTRICT]


class RegistryTest(harness.RcidTestCase):

    def regions(self, **kw):
        return list(self.rcid.list_regions(**kw).regions)

    def assertOrdered(self, regions):
        keys = [(KIND_ORDER.index(r.kind), r.code) for r in regions]
        self.assertEqual(keys, sorted(keys), "not ordered by kind, then code")

    def test_all_regions(self):
        rs = self.regions()
        codes = [r.code for r in rs]
        self.assertEqual(len(codes), len(set(codes)), "duplicate regions")
        self.assertEqual(set(codes), {"440000"} | set(CIRCLES) | set(CITIES))
        self.assertOrdered(rs)
        prov = rs[0]
        self.assertEqual((prov.code, prov.kind, prov.name_zh, prov.name_en, prov.parent_code),
                         ("440000", K.REGION_KIND_PROVINCE, "广东省", "Guangdong", ""))

    def test_cities(self):
        rs = self.regions(kind=K.REGION_KIND_CITY)
        self.assertEqual([r.code for r in rs], sorted(CITIES))
        for r in rs:
            with self.subTest(city=r.code):
                self.assertEqual(r.kind, K.REGION_KIND_CITY)
                self.assertEqual((r.name_zh, r.name_en), CITIES[r.code])
                self.assertEqual(r.parent_code, "440000")
                self.assertEqual(list(r.member_codes), [])
                want = sorted(c for c, members in CIRCLES.items() if r.code in members)
                self.assertEqual(sorted(r.circle_codes), want)
        self.assertTrue(PRD_NINE <= {r.code for r in rs})

    def test_shenzhen(self):
        sz = {r.code: r for r in self.regions(kind=K.REGION_KIND_CITY)}["440300"]
        self.assertEqual(sz.name_zh, "深圳市")
        self.assertEqual(sz.name_en, "Shenzhen")
        self.assertEqual(list(sz.circle_codes), ["szdghz"])
        # Shaoguan belongs to no circle.
        sg = {r.code: r for r in self.regions(kind=K.REGION_KIND_CITY)}["440200"]
        self.assertEqual(list(sg.circle_codes), [])

    def test_circles(self):
        rs = self.regions(kind=K.REGION_KIND_CIRCLE)
        self.assertEqual([r.code for r in rs], sorted(CIRCLES))
        for r in rs:
            with self.subTest(circle=r.code):
                self.assertEqual(r.kind, K.REGION_KIND_CIRCLE)
                self.assertEqual(list(r.member_codes), CIRCLES[r.code])   # in code order
                self.assertEqual(r.parent_code, "")
                self.assertTrue(r.name_zh and r.name_en)
        names = {r.code: r.name_zh for r in rs}
        self.assertIn("深莞惠", names["szdghz"])
        self.assertIn("广佛肇", names["gfz"])
        self.assertIn("珠中江", names["zzj"])

    def test_province(self):
        rs = self.regions(kind=K.REGION_KIND_PROVINCE)
        self.assertEqual([r.code for r in rs], ["440000"])

    def test_districts_none_yet(self):
        self.assertEqual(self.regions(kind=K.REGION_KIND_DISTRICT), [])

    def test_circle_members(self):
        for circle, members in CIRCLES.items():
            with self.subTest(circle=circle):
                rs = self.regions(circle=circle)
                self.assertEqual([r.code for r in rs], members)
                for r in rs:
                    self.assertEqual(r.kind, K.REGION_KIND_CITY)
                    self.assertIn(circle, list(r.circle_codes))

    def test_szdghz(self):
        self.assertEqual({r.code for r in self.regions(circle="szdghz")},
                         {"440300", "441900", "441300", "441500", "441600"})

    def test_circle_and_city_kind(self):
        rs = self.regions(circle="zzj", kind=K.REGION_KIND_CITY)
        self.assertEqual([r.code for r in rs], CIRCLES["zzj"])

    def test_unknown_circle(self):
        # A well-formed circle code that names nothing → NOT_FOUND (DESIGN §4).
        for circle in ("nosuch", "zz", "szdghz_2"):
            with self.subTest(circle=circle):
                e = self.assertRpcError(lambda: self.regions(circle=circle),
                                        grpc.StatusCode.NOT_FOUND)
                self.assertIn(circle, e.details())

    def test_malformed_circle(self):
        # Not a circle code at all → INVALID_ARGUMENT naming the field (DESIGN §6);
        # a city's code is no circle either (NOT_FOUND is as good there).
        for circle in ("SZDGHZ", "深莞惠", "a", "x" * 33, "szdghz;drop", " szdghz"):
            with self.subTest(circle=circle):
                e = self.assertRpcError(lambda: self.regions(circle=circle),
                                        grpc.StatusCode.INVALID_ARGUMENT)
                self.assertIn("circle", e.details())
        self.assertRpcError(lambda: self.regions(circle="440300"),
                            (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND))

    def test_bad_kind(self):
        # An enum value outside RegionKind is a bad argument, not "everything".
        e = self.assertRpcError(lambda: self.regions(kind=99), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertTrue(e.details())

    def test_same_answer_every_time(self):
        first = self.rcid.list_regions().SerializeToString(deterministic=True)
        for _ in range(10):
            self.assertEqual(self.rcid.list_regions().SerializeToString(deterministic=True), first)

    # -- rcictl --

    def test_rcictl_regions_circles(self):
        p = self.rcid.rcictl("regions", "--kind", "circle")
        self.assertEqual(p.returncode, 0, f"exit {p.returncode}\n{p.stdout}\n{p.stderr}")
        for c in CIRCLES:
            self.assertIn(c, p.stdout)
        self.assertNotIn("440000", p.stdout.split())

    def test_rcictl_regions_json(self):
        p = self.rcid.rcictl("regions", "--kind", "circle", "--format", "json")
        self.assertEqual(p.returncode, 0, f"exit {p.returncode}\n{p.stdout}\n{p.stderr}")
        doc = json.loads(p.stdout)
        # Accept a bare list or an object holding the list (ListRegionsResponse as JSON).
        items = doc if isinstance(doc, list) else doc.get("regions")
        self.assertIsInstance(items, list, p.stdout)
        self.assertEqual(sorted(x.get("code") for x in items), sorted(CIRCLES))
        sz = [x for x in items if x.get("code") == "szdghz"][0]
        members = sz.get("memberCodes", sz.get("member_codes"))
        self.assertEqual(members, CIRCLES["szdghz"])

    def test_rcictl_regions_cities_utf8(self):
        p = self.rcid.rcictl("regions", "--kind", "city")
        self.assertEqual(p.returncode, 0, f"exit {p.returncode}\n{p.stdout}\n{p.stderr}")
        self.assertIn("440300", p.stdout)
        self.assertIn("深圳市", p.stdout)


if __name__ == "__main__":
    unittest.main()
