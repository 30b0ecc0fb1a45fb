"""bench/alerts_bench.py: the client side of bench/alerts.sh — many
WatchAlerts subscribers on several rcid daemons, alerts raised one at a time,
and the delivery latency of every (subscriber, alert) pair.

    PYTHONPATH=BUILD_DIR/pygen /usr/bin/python3 bench/alerts_bench.py \
        --target 127.0.0.1:PORT [--target ...] --token ADMIN --after-id N \
        --push-token HZ_EEB --result FILE [options]

One process (this one) raises the alerts; the subscribers live in worker
processes, --procs-per-target for each daemon, each an asyncio event loop
with grpc.aio over its share of the --connections HTTP/2 connections to its
daemon (one channel each, with a local subchannel pool so that channels do
not share a connection), --streams WatchAlerts calls per connection, all
with after_id = --after-id (the highest alert id before the bench), so no
subscriber can miss an alert whatever the moment its stream went live.

Then:
  1. one warm-up alert, not timed: every subscriber must get it (up to
     --warmup-timeout seconds); afterwards every stream is open and has
     caught up, and every connection is up;
  2. --alerts alerts, --interval-ms apart, each by raise_alert (below): its
     send time is the raiser's clock just before the alert is sent;
  3. wait until every subscriber has the last one (up to --drain-timeout
     seconds after it was raised), then cancel the streams.

Every subscriber must have received the warm-up alert and then every timed
alert, each exactly once, in the order raised, with the id the database
gave it, and nothing else; otherwise the failures are printed on stderr and
the exit status is 1. Latency = receive time (the subscriber's
time.time() when grpc hands it the message) - send time; both clocks are
CLOCK_REALTIME of the same machine. Alerts are raised as agencies raise
them, by a push (PushAirDays of a heavy-pollution day, to the first daemon):
the latency is "from the push that raised the alert" (issue 4). The push's
own round trip (send until its answer, after its commit) is measured too:
an alert cannot be delivered before it has committed, so that is the floor.

Figures go to --result as KEY=VALUE lines for alerts.sh to print; progress
and failures to stderr. Exit status: 0 every delivery right, 1 a subscriber
missed, repeated or reordered an alert or its stream failed, 2 the bench
could not be set up.
"""

import argparse
import asyncio
import datetime
import multiprocessing
import os
import subprocess
import sys
import time
import traceback

import grpc
import grpc.aio
from google.protobuf import wrappers_pb2
from rci.v1 import air_pb2, air_pb2_grpc, alerts_pb2, alerts_pb2_grpc

UG, MG = "µg/m³", "mg/m³"


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


# ---- the subscribers (worker processes) -------------------------------------


class Subscriber:
    """One WatchAlerts stream. got holds (message bytes, receive time): the
    messages are decoded after the run, so that the subscriber's own work
    per message, which adds to the latency measured, is as small as it can
    be in Python."""

    def __init__(self, name):
        self.name = name
        self.got = []
        self.call = None
        self.error = None
        self.cancelled = False

    async def run(self, watch, request, metadata, watcher):
        self.call = watch(request, metadata=metadata)
        try:
            async for raw in self.call:
                self.got.append((raw, time.time()))
                watcher.received(raw)
            if not self.cancelled:
                self.error = "stream ended by the server with status OK"
        except asyncio.CancelledError:
            if not self.cancelled:
                self.error = "cancelled"
        except grpc.aio.AioRpcError as e:
            if not self.cancelled:
                self.error = "%s: %s" % (e.code().name, e.details())

    def alerts(self):
        """(id, subject, receive time) of every message received."""
        out = []
        for raw, t in self.got:
            a = alerts_pb2.Alert.FromString(raw)
            out.append((a.id, a.subject, t))
        return out


class Watcher:
    """Counts the subscribers that still miss the alert waited for. The
    messages are not decoded while the alerts come in, so the alert is
    recognised by its encoded subject field inside the message bytes."""

    def __init__(self):
        self.key = None
        self.remaining = 0
        self.event = asyncio.Event()

    def wait_for(self, subject, subs):
        # Field 5 (subject), wire type 2: tag 0x2a, length, bytes.
        self.key = b"\x2a" + bytes([len(subject)]) + subject.encode()
        self.remaining = sum(1 for s in subs if not any(self.key in raw for raw, _ in s.got))
        self.event = asyncio.Event()
        if self.remaining == 0:
            self.event.set()

    def received(self, raw):
        if self.key is not None and self.key in raw:
            self.remaining -= 1
            if self.remaining == 0:
                self.event.set()


async def worker_async(cfg, pipe):
    loop = asyncio.get_running_loop()
    request = alerts_pb2.WatchAlertsRequest(after_id=wrappers_pb2.Int64Value(value=cfg["after_id"]))
    metadata = (("authorization", "Bearer " + cfg["token"]),)
    watcher = Watcher()
    channels, subs, tasks = [], [], []
    for c in cfg["connections"]:
        # A local subchannel pool: this channel's connection is its own.
        ch = grpc.aio.insecure_channel(cfg["target"], options=[("grpc.use_local_subchannel_pool", 1)])
        channels.append(ch)
        # The messages are taken as bytes: see Subscriber.
        watch = ch.unary_stream("/rci.v1.AlertService/WatchAlerts",
                                request_serializer=alerts_pb2.WatchAlertsRequest.SerializeToString,
                                response_deserializer=None)
        for s in range(cfg["streams"]):
            sub = Subscriber("%s conn %d stream %d" % (cfg["label"], c, s))
            subs.append(sub)
            tasks.append(asyncio.ensure_future(sub.run(watch, request, metadata, watcher)))
    pipe.send(("started", len(subs)))

    while True:
        msg = await loop.run_in_executor(None, pipe.recv)
        if msg[0] == "wait":   # ("wait", subject, timeout): until every subscriber has it
            _, subject, timeout = msg
            watcher.wait_for(subject, subs)
            try:
                await asyncio.wait_for(watcher.event.wait(), timeout)
            except asyncio.TimeoutError:
                pass
            failed = [s.name + ": " + s.error for s in subs if s.error]
            pipe.send(("waited", len(subs) - watcher.remaining, failed[:5], len(failed),
                       time.process_time()))
        elif msg[0] == "finish":
            for s in subs:
                s.cancelled = True
                s.call.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for ch in channels:
                await ch.close()
            pipe.send(("results", [(s.name, s.alerts(), s.error) for s in subs]))
            return


def worker(cfg, pipe):
    try:
        asyncio.run(worker_async(cfg, pipe))
    except Exception:
        pipe.send(("crashed", traceback.format_exc()))


# ---- raising alerts ---------------------------------------------------------


class Raiser:
    """Raises alerts the way agencies do: each call is one PushAirDays of
    Huizhou (hz-eeb's token) for a new day with PM2.5 at 300 µg/m³, whose
    AQI is above 200, so the push raises one air.heavy_pollution alert for
    the city and the other cities of its circle (migrations/0012_air.sql) in
    its transaction. Days are 2025-01-01 on, one per alert: never pushed
    before, so each push writes and raises."""

    FIRST_DAY = datetime.date(2025, 1, 1)

    def __init__(self, target, push_token, admin_token):
        self.channel = grpc.insecure_channel(target)
        self.air = air_pb2_grpc.AirServiceStub(self.channel)
        self.alerts = alerts_pb2_grpc.AlertServiceStub(self.channel)
        self.push_md = (("authorization", "Bearer " + push_token),)
        self.admin_md = (("authorization", "Bearer " + admin_token),)
        self.day = 0
        self.last_id = self.alerts.ListAlerts(alerts_pb2.ListAlertsRequest(
            after_id=2 ** 63 - 1, page_size=1), metadata=self.admin_md, timeout=10).latest_id

    def raise_alert(self):
        """The raising step: push one heavy day; returns (alert id, its
        subject, send time, time the push's answer was back). The send time
        is taken just before the call; the alert's id and subject are read
        afterwards with ListAlerts, outside the timing."""
        date = self.FIRST_DAY + datetime.timedelta(days=self.day)
        self.day += 1
        values = [("so2_24h", "10", UG), ("no2_24h", "30", UG), ("pm10_24h", "60", UG),
                  ("co_24h", "0.8", MG), ("o3_1h_max", "100", UG), ("o3_8h_max", "80", UG),
                  ("pm25_24h", "300", UG)]
        req = air_pb2.PushAirDaysRequest(
            request_id="bench-" + date.isoformat(),
            days=[air_pb2.AirDayInput(city="441300", date=date.isoformat(), values=[
                air_pb2.AirConcentration(pollutant=p, value=v, unit=u) for p, v, u in values])])
        t_send = time.time()
        r = self.air.PushAirDays(req, metadata=self.push_md, timeout=30)
        t_done = time.time()
        if r.alerts_raised != 1:
            raise RuntimeError("PushAirDays of %s raised %d alerts, not 1" % (date, r.alerts_raised))
        page = self.alerts.ListAlerts(alerts_pb2.ListAlertsRequest(
            after_id=self.last_id, page_size=2), metadata=self.admin_md, timeout=10)
        if len(page.alerts) != 1:
            raise RuntimeError("expected exactly one new alert after %d, got %d"
                               % (self.last_id, len(page.alerts)))
        a = page.alerts[0]
        self.last_id = a.id
        return a.id, a.subject, t_send, t_done

    def close(self):
        self.channel.close()


# ---- figures and checks -----------------------------------------------------


def pct(sorted_values, p):
    """The p-th percentile, nearest rank (as the other benches)."""
    if not sorted_values:
        return float("nan")
    i = max(1, int(len(sorted_values) * p)) - 1
    return sorted_values[i]


def check_subscriber(got, expected):
    """None if got is exactly expected ((id, subject) pairs, in order), else
    a one-line account of how it differs."""
    seq = [(g[0], g[1]) for g in got]
    if seq == expected:
        return None
    want = set(expected)
    seen, dups, extra = set(), [], []
    for p in seq:
        if p in seen:
            dups.append(p)
        elif p not in want:
            extra.append(p)
        seen.add(p)
    missing = [p for p in expected if p not in seen]
    parts = []
    if missing:
        parts.append("missing %d (%s)" % (len(missing), ", ".join("%d %s" % p for p in missing[:5])))
    if dups:
        parts.append("repeated %d (%s)" % (len(dups), ", ".join("%d %s" % p for p in dups[:5])))
    if extra:
        parts.append("unexpected %d (%s)" % (len(extra), ", ".join("%d %s" % p for p in extra[:5])))
    ids = [p[0] for p in seq]
    if any(b <= a for a, b in zip(ids, ids[1:])):
        parts.append("out of order (ids %s)" % ids[:12])
    return "; ".join(parts) or "differs"


def established(port):
    """TCP connections to port in state ESTABLISHED (client side); gRPC's
    sockets are dual-stack, so they are in tcp6."""
    n = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            next(f)
            for line in f:
                fields = line.split()
                if int(fields[2].split(":")[1], 16) == port and fields[3] == "01":
                    n += 1
    return n


def cpu_seconds(pids):
    """User + system CPU seconds of these processes (gone ones count 0)."""
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])   # utime, stime (fields 14, 15)
    return total / os.sysconf("SC_CLK_TCK")


def children(ppid):
    """The pids whose parent is ppid (PostgreSQL's backends and workers)."""
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == ppid:
                        pids.append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    return pids


class CpuMeter:
    """CPU seconds used by each daemon and by PostgreSQL (the postmaster and
    the processes it had at start()) between start() and stop()."""

    def __init__(self, server_pids, pg_pid):
        self.server_pids = server_pids
        self.pg_pids = [pg_pid] + children(pg_pid) if pg_pid else []

    def start(self):
        self.t0 = time.time()
        self.s0 = [cpu_seconds([p]) for p in self.server_pids]
        self.pg0 = cpu_seconds(self.pg_pids)

    def stop(self):
        self.wall = time.time() - self.t0
        self.servers = [cpu_seconds([p]) - c for p, c in zip(self.server_pids, self.s0)]
        self.pg = cpu_seconds(self.pg_pids) - self.pg0


# ---- main -------------------------------------------------------------------


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--target", action="append", required=True, help="host:port of an rcid")
    ap.add_argument("--token", required=True)
    ap.add_argument("--after-id", type=int, required=True)
    ap.add_argument("--push-token", required=True, help="an hz-eeb token: the pushes raise")
    ap.add_argument("--result", required=True)
    ap.add_argument("--alerts", type=int, default=50)
    ap.add_argument("--interval-ms", type=float, default=100)
    ap.add_argument("--connections", type=int, default=10, help="per daemon")
    ap.add_argument("--streams", type=int, default=50, help="per connection")
    ap.add_argument("--procs-per-target", type=int, default=1)
    ap.add_argument("--warmup-timeout", type=float, default=30)
    ap.add_argument("--drain-timeout", type=float, default=10)
    ap.add_argument("--server-pid", type=int, action="append", default=[],
                    help="an rcid's pid, for its CPU time")
    ap.add_argument("--pg-pid", type=int, default=0, help="the postmaster's pid, for its CPU time")
    return ap.parse_args()


def start_workers(args):
    ctx = multiprocessing.get_context("spawn")
    workers = []
    for d, target in enumerate(args.target):
        for p in range(args.procs_per_target):
            conns = list(range(p, args.connections, args.procs_per_target))
            if not conns:
                continue
            mine, theirs = ctx.Pipe()
            cfg = {"target": target, "token": args.token, "after_id": args.after_id,
                   "connections": conns, "streams": args.streams, "label": "rcid-%d" % (d + 1)}
            proc = ctx.Process(target=worker, args=(cfg, theirs), daemon=True)
            proc.start()
            workers.append((proc, mine))
    return workers


def ask(workers, msg, timeout):
    """Send msg to every worker (None: send nothing) and collect one answer each."""
    if msg is not None:
        for _, pipe in workers:
            pipe.send(msg)
    answers = []
    for proc, pipe in workers:
        if not pipe.poll(timeout):
            raise RuntimeError("a subscriber process did not answer within %.0f s" % timeout)
        a = pipe.recv()
        if a[0] == "crashed":
            raise RuntimeError("a subscriber process failed:\n" + a[1])
        answers.append(a)
    return answers


def wait_all(workers, subject, timeout):
    answers = ask(workers, ("wait", subject, timeout), timeout + 30)
    have = sum(a[1] for a in answers)
    for a in answers:
        for line in a[2]:
            log("stream failed: " + line)
    return have, sum(a[4] for a in answers)


def main():
    args = parse_args()
    ports = [int(t.rsplit(":", 1)[1]) for t in args.target]
    t0 = time.time()
    workers = start_workers(args)
    nsubs = sum(a[1] for a in ask(workers, None, 60))
    log("%d WatchAlerts streams: %d daemon(s) × %d connections × %d streams, %d client process(es)"
        % (nsubs, len(args.target), args.connections, args.streams, len(workers)))

    raiser = Raiser(args.target[0], args.push_token, args.token)
    warm_id, warm_subject, _, _ = raiser.raise_alert()
    have, client_cpu0 = wait_all(workers, warm_subject, args.warmup_timeout)
    conns = [established(p) for p in ports]
    log("warm-up alert %d reached %d of %d streams in %.1f s since start; connections %s"
        % (warm_id, have, nsubs, time.time() - t0, " + ".join(map(str, conns))))
    time.sleep(0.2)

    meter = CpuMeter(args.server_pid, args.pg_pid)
    meter.start()
    sent = []   # (subject, id, send time, committed time)
    start = time.time()
    for i in range(args.alerts):
        delay = start + i * args.interval_ms / 1000 - time.time()
        if delay > 0:
            time.sleep(delay)
        aid, subject, t_send, t_done = raiser.raise_alert()
        sent.append((subject, aid, t_send, t_done))
    raiser.close()
    last = sent[-1][0] if sent else warm_subject
    have_last, client_cpu1 = wait_all(workers, last, args.drain_timeout)
    meter.stop()
    results = []
    for a in ask(workers, ("finish",), 60):
        results.extend(a[1])
    for proc, _ in workers:
        proc.join(10)

    # ---- checks
    expected = [(warm_id, warm_subject)] + [(aid, subj) for subj, aid, _, _ in sent]
    send_time = {subj: t for subj, _, t, _ in sent}
    bad = []
    latencies, last_recv = [], 0.0
    per_alert_first, per_alert_last = {}, {}
    for name, got, error in results:
        why = check_subscriber(got, expected)
        if error:
            why = (why + "; " if why else "") + "stream error " + error
        if why:
            bad.append("%s: %s" % (name, why))
        for aid, subj, t in got:
            if subj in send_time:
                latencies.append(t - send_time[subj])
                last_recv = max(last_recv, t)
                lat = t - send_time[subj]
                per_alert_first[subj] = min(per_alert_first.get(subj, lat), lat)
                per_alert_last[subj] = max(per_alert_last.get(subj, lat), lat)
    for line in bad[:20]:
        log("WRONG " + line)
    if len(bad) > 20:
        log("... and %d more subscribers with wrong deliveries" % (len(bad) - 20))

    latencies.sort()
    commits = sorted(t_done - t_send for _, _, t_send, t_done in sent)
    first = sorted(per_alert_first.values())
    fanout = sorted(per_alert_last.values())
    ms = lambda v: "%.2f" % (v * 1000)
    figures = {
        "subscribers": nsubs,
        "daemons": len(args.target),
        "connections": "+".join(map(str, conns)),
        "client_procs": len(workers),
        "alerts": len(sent),
        "interval_ms": "%g" % args.interval_ms,
        "deliveries": len(latencies),
        "expected": nsubs * len(sent),
        "wrong_subscribers": len(bad),
        "got_last": have_last,
        "p50_ms": ms(pct(latencies, 0.50)),
        "p99_ms": ms(pct(latencies, 0.99)),
        "max_ms": ms(latencies[-1]) if latencies else "nan",
        "first_p50_ms": ms(pct(first, 0.50)),
        "first_max_ms": ms(first[-1]) if first else "nan",
        "all_p50_ms": ms(pct(fanout, 0.50)),
        "all_max_ms": ms(fanout[-1]) if fanout else "nan",
        "commit_p50_ms": ms(pct(commits, 0.50)),
        "commit_p99_ms": ms(pct(commits, 0.99)),
        "cpu_wall_s": "%.2f" % meter.wall,
        "cpu_servers_s": " ".join("%.2f" % c for c in meter.servers),
        "cpu_pg_s": "%.2f" % meter.pg,
        "cpu_clients_s": "%.2f" % (client_cpu1 - client_cpu0),
        "raise_span_s": "%.2f" % ((sent[-1][2] - sent[0][2] + args.interval_ms / 1000) if sent else 0),
        "duration_s": "%.2f" % ((last_recv - sent[0][2]) if sent and last_recv else 0),
    }
    with open(args.result, "w") as f:
        for k, v in figures.items():
            f.write("%s=%s\n" % (k, v))
    return 1 if bad else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as e:
        log(str(e))
        sys.exit(2)
