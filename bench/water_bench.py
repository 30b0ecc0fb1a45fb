#!/usr/bin/python3
"""bench/water_bench.py: the client half of bench/water_bench.sh.

  water_bench.py TARGET YEAR TOKENS.json

TOKENS.json maps "admin" and each agency code to a token secret. Steps:

  1. sections: PutSection (admin) adds bench sections until there are 50:
     upstream -> downstream pairs of neighbouring cities, each monitored by
     the upstream city's ecology and environment bureau, target II..IV;
  2. push: each monitor agency sends the year's monthly samples of all its
     sections in one PushSamples (the official samples), then each
     downstream agency its joint samples of the same sections and months
     (graded, compared with the official ones, alerts raised), then the
     official samples again under new request ids (every one unchanged);
  3. status: GetSectionStatus of every section for the year (one call at a
     time); the sections ranked by compliance rate; GetJointComparisons of
     every section for the year.

Prints "name count seconds" lines for the pushes, "name p50_ms p99_ms" for
the reads, and the ranking's head and tail. The figures are deterministic
(a hash of section, month and parameter), plausible for the Pearl River
Delta (NH3-N and TP highest in the dry season), and miss the target now and
then, so off-target and discrepancy alerts are raised as in real use.
"""
import hashlib
import json
import sys
import time

import grpc

from rci.v1 import water_pb2, water_pb2_grpc

SECTIONS = 50
# Neighbouring cities (upstream, downstream) with their bureaus.
PAIRS = [("441300", "hz-eeb", "441900", "dg-eeb"), ("440300", "sz-eeb", "441900", "dg-eeb"),
         ("441600", "hy-eeb", "441300", "hz-eeb"), ("441500", "sw-eeb", "441300", "hz-eeb"),
         ("441200", "zq-eeb", "440600", "fs-eeb"), ("441800", "qy-eeb", "440100", "gz-eeb"),
         ("445300", "yf-eeb", "441200", "zq-eeb"), ("440600", "fs-eeb", "440100", "gz-eeb"),
         ("440100", "gz-eeb", "441900", "dg-eeb"), ("441300", "hz-eeb", "440300", "sz-eeb")]
BUREAU = {c: a for pair in PAIRS for c, a in (pair[:2], pair[2:])}
# (code, base value, spread, decimals): mostly class II of GB 3838 Table 1, class III
# and worse in the dry season's worst months.
PARAMS = [("ph", 7.3, 0.6, 2), ("do", 7.2, 1.4, 2), ("codmn", 2.8, 1.6, 1),
          ("cod", 11.0, 6.0, 1), ("bod5", 2.0, 1.2, 1), ("nh3n", 0.30, 0.5, 3),
          ("tp", 0.07, 0.08, 3)]


def u(*parts):
    h = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(h[:8], "big") / 2.0 ** 64


def value(section, month, code, base, spread, decimals, who):
    dry = 1.0 if month in (12, 1, 2, 3) else 0.0
    v = base + spread * (u(section, month, code) - 0.5)
    if code in ("nh3n", "tp", "codmn", "cod"):
        v += spread * 0.4 * dry
    if who == "joint":   # the other city's lab: close, now and then far off
        v *= 1 + (0.08 if u(section, month, code, "far") > 0.05 else 0.6) * (
            u(section, month, code, "j") - 0.5)
    return "%.*f" % (decimals, max(v, 10 ** -decimals))


def sample(section, year, month, who):
    day = 5 + int(10 * u(section, month, "day"))
    return water_pb2.SampleInput(
        section=section, sampled_on="%04d-%02d-%02d" % (year, month, day),
        params=[water_pb2.WaterParam(parameter=c, value=value(section, month, c, b, s, d, who),
                                     unit="" if c == "ph" else "mg/L")
                for c, b, s, d in PARAMS])


def md(tokens, who):
    return (("authorization", "Bearer " + tokens[who]),)


def pct(xs, p):
    xs = sorted(xs)
    return xs[max(1, int(len(xs) * p)) - 1] if xs else float("nan")


def ensure_sections(stub, tokens):
    have = stub.ListSections(water_pb2.ListSectionsRequest(), metadata=md(tokens, "admin"),
                             timeout=30).sections
    sections = list(have)
    i = 0
    while len(sections) < SECTIONS:
        up, up_agency, down, _ = PAIRS[i % len(PAIRS)]
        code = "bench-%02d" % i
        s = water_pb2.Section(
            code=code, name_zh="测试断面%02d" % i, name_en="Bench section %02d" % i,
            river="测试河%02d" % i, basin="东江", upstream_city=up, downstream_city=down,
            latitude=22.5 + i / 100, longitude=113.5 + i / 100,
            target_class=("II", "III", "IV")[i % 3], target_is_demo=True,
            monitor_agency=up_agency, kind="river")
        sections.append(stub.PutSection(water_pb2.PutSectionRequest(section=s, reason="bench"),
                                        metadata=md(tokens, "admin"), timeout=30))
        i += 1
    return sections


def agencies_of(section):
    """(monitor agency, the other city's bureau or None) of a section."""
    monitor = section.monitor_agency
    others = [BUREAU[c] for c in section.cities if c in BUREAU and BUREAU[c] != monitor]
    return monitor, (others[0] if others else None)


def push_all(stub, tokens, batches, tag):
    """One PushSamples per agency; returns (samples, seconds, alerts)."""
    n, alerts, t0 = 0, 0, time.monotonic()
    for agency, samples in sorted(batches.items()):
        r = stub.PushSamples(water_pb2.PushSamplesRequest(
            request_id="bench-%s-%s" % (tag, agency), samples=samples, reason="bench"),
            metadata=md(tokens, agency), timeout=120)
        if r.violations:
            sys.exit("PushSamples of %s refused: %s" % (agency, r.violations[0].description))
        n += len(samples)
        alerts += r.alerts_raised
    return n, time.monotonic() - t0, alerts


def main():
    target, year, tokens_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(tokens_file) as f:
        tokens = json.load(f)
    stub = water_pb2_grpc.WaterServiceStub(grpc.insecure_channel(target))
    sections = ensure_sections(stub, tokens)

    official, joint = {}, {}
    for s in sections:
        monitor, other = agencies_of(s)
        if monitor not in tokens:
            sys.exit("no token for %s, the monitor of %s" % (monitor, s.code))
        for m in range(1, 13):
            official.setdefault(monitor, []).append(sample(s.code, year, m, "official"))
            if other in tokens:
                joint.setdefault(other, []).append(sample(s.code, year, m, "joint"))

    n, secs, alerts = push_all(stub, tokens, official, "official")
    print("push_official %d %.6f %d" % (n, secs, alerts))
    n, secs, alerts = push_all(stub, tokens, joint, "joint")
    print("push_joint %d %.6f %d" % (n, secs, alerts))
    n, secs, _ = push_all(stub, tokens, official, "again")
    print("push_unchanged %d %.6f 0" % (n, secs))

    lat, ranking = [], []
    for s in sections:
        t0 = time.monotonic()
        st = stub.GetSectionStatus(water_pb2.GetSectionStatusRequest(section=s.code, year=year),
                                   metadata=md(tokens, "admin"), timeout=30)
        lat.append((time.monotonic() - t0) * 1000)
        if st.months_assessed != 12:
            sys.exit("%s: %d months assessed, want 12" % (s.code, st.months_assessed))
        ranking.append((-float(st.compliance_rate), s.code, s.target_class, st.compliance_rate))
    print("status_section_year %.2f %.2f" % (pct(lat, 0.5), pct(lat, 0.99)))
    lat = []
    ncmp = 0
    for s in sections:
        t0 = time.monotonic()
        r = stub.GetJointComparisons(water_pb2.GetJointComparisonsRequest(
            section=s.code, month_from="%d-01" % year, month_to="%d-12" % year),
            metadata=md(tokens, "admin"), timeout=30)
        lat.append((time.monotonic() - t0) * 1000)
        ncmp += len(r.comparisons)
    print("joint_section_year %.2f %.2f" % (pct(lat, 0.5), pct(lat, 0.99)))
    ranking.sort()
    print("comparisons %d" % ncmp)
    for i, (_, code, target, rate) in enumerate(ranking):
        if i < 3 or i >= len(ranking) - 3:
            print("rank %d %s %s %s" % (i + 1, code, target, rate))


if __name__ == "__main__":
    main()
