#!/usr/bin/python3
"""bench/air_bench.py: the client half of bench/air_bench.sh.

  air_bench.py data DIR YEAR AIR_BATCH_ID CITY...
      writes DIR/days.CITY.csv and DIR/revisions.CITY.csv: a year of daily
      rows per city, the same figures `push` sends, for psql \\copy into
      air_days / air_day_revisions (the limit a push is measured against)
  air_bench.py push TARGET YEAR TOKENS.json
      PushAirDays: one call per city with its whole year (365 days), then the
      same again (every day unchanged), then RankAir and GetAirStats; prints
      "name count seconds" lines, and latencies "name p50_ms p99_ms"

The figures are deterministic (a hash of city and day), plausible for the
Pearl River Delta (PM2.5 around 20-35, ozone peaks in autumn), with a few
heavy-pollution days so alerts are raised too.
"""
import hashlib
import json
import os
import sys
import time

import grpc

from rci.v1 import air_pb2, air_pb2_grpc

COLS = ("so2", "no2", "pm10", "co", "o3_1h", "o3_8h", "pm25")
POLLUTANT = dict(so2="so2_24h", no2="no2_24h", pm10="pm10_24h", co="co_24h",
                 o3_1h="o3_1h_max", o3_8h="o3_8h_max", pm25="pm25_24h")


def u(*parts):
    h = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(h[:8], "big") / 2.0 ** 64


def days_of(year):
    import datetime
    d = datetime.date(year, 1, 1)
    while d.year == year:
        yield d
        d += datetime.timedelta(days=1)


def figures(city, d):
    m = d.month
    winter = 1.0 if m in (12, 1, 2, 3) else 0.0
    autumn = 1.0 if m in (8, 9, 10) else 0.0
    pm25 = int(18 + 14 * winter + 12 * u(city, d, "pm25"))
    if u(city, d, "heavy") < 0.004:
        pm25 = 160 + int(60 * u(city, d, "heavyv"))
    o3_8h = int(70 + 60 * autumn + 50 * u(city, d, "o3"))
    return dict(so2=str(int(4 + 6 * u(city, d, "so2"))), no2=str(int(15 + 20 * u(city, d, "no2"))),
                pm10=str(int(pm25 * 1.6)), co="%.1f" % (0.5 + 0.5 * u(city, d, "co")),
                o3_1h=str(o3_8h + 25), o3_8h=str(o3_8h), pm25=str(pm25))


def cmd_data(out, year, batch, cities):
    for city in cities:
        with open(os.path.join(out, f"days.{city}.csv"), "w") as f1, \
                open(os.path.join(out, f"revisions.{city}.csv"), "w") as f2:
            for seq, d in enumerate(days_of(year), 1):
                v = figures(city, d)
                vals = ",".join(v[c] for c in COLS)
                f1.write(f'{city},{d},1,{vals},"",,{seq},{batch},{batch}\n')
                f2.write(f'{city},{d},1,{vals},"",,{batch}\n')


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] * 1000


def cmd_push(target, year, tokens_file):
    tokens = json.load(open(tokens_file))
    ch = grpc.insecure_channel(target, options=[("grpc.enable_http_proxy", 0),
                                                ("grpc.max_receive_message_length", 64 << 20)])
    stub = air_pb2_grpc.AirServiceStub(ch)
    reqs = {}
    for city in tokens:
        days = []
        for d in days_of(year):
            v = figures(city, d)
            days.append(air_pb2.AirDayInput(city=city, date=str(d), values=[
                air_pb2.AirConcentration(pollutant=POLLUTANT[c], value=v[c],
                                         unit="mg/m³" if c == "co" else "µg/m³")
                for c in COLS]))
        reqs[city] = days
    for label, suffix in (("push_new", "a"), ("push_unchanged", "b")):
        n = alerts = values = 0
        t0 = time.monotonic()
        for city, days in reqs.items():
            md = (("authorization", "Bearer " + tokens[city]),)
            r = stub.PushAirDays(air_pb2.PushAirDaysRequest(
                request_id=f"bench-{year}-{city}-{suffix}", days=days), metadata=md, timeout=120)
            n += r.written + r.unchanged
            alerts += r.alerts_raised
            values += r.indicator_values_written
            if label == "push_new" and r.written != len(days):
                sys.exit(f"bench: {city}: {r.written} of {len(days)} days written")
            if label == "push_unchanged" and r.unchanged != len(days):
                sys.exit(f"bench: {city}: {r.unchanged} of {len(days)} days unchanged")
        print(f"{label} {n} {time.monotonic() - t0:.6f} {alerts} {values}")
    md = (("authorization", "Bearer " + next(iter(tokens.values()))),)
    calls = [
        ("rank_circle_month", lambda: stub.RankAir(air_pb2.RankAirRequest(
            region="szdghz", period=f"{year}-06"), metadata=md, timeout=30)),
        ("rank_province_year", lambda: stub.RankAir(air_pb2.RankAirRequest(
            region="440000", period=str(year)), metadata=md, timeout=30)),
        ("stats_city_year", lambda: stub.GetAirStats(air_pb2.GetAirStatsRequest(
            city="441300", period=str(year)), metadata=md, timeout=30)),
        ("calendar_month", lambda: stub.GetAirCalendar(air_pb2.GetAirCalendarRequest(
            city="441300", month=f"{year}-06"), metadata=md, timeout=30)),
    ]
    r = calls[1][1]()
    ranked = sum(1 for c in r.cities if c.rank > 0)
    if ranked != len(tokens):
        sys.exit(f"bench: the province ranking ranks {ranked} cities, want {len(tokens)}")
    for name, fn in calls:
        lat = []
        for _ in range(int(os.environ.get("BENCH_READS", "50"))):
            t0 = time.monotonic()
            fn()
            lat.append(time.monotonic() - t0)
        print(f"{name} {pct(lat, 0.5):.2f} {pct(lat, 0.99):.2f}")


if __name__ == "__main__":
    if sys.argv[1] == "data":
        cmd_data(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:])
    elif sys.argv[1] == "push":
        cmd_push(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        sys.exit(__doc__)
