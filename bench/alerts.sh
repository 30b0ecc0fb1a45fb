#!/usr/bin/env bash
# bench/alerts.sh: WatchAlerts fan-out — issue 4's benchmark: how long an
# alert takes to reach 1,000 subscribers spread over two rcid daemons on one
# database (the fan-out across daemons goes through PostgreSQL
# LISTEN/NOTIFY, DESIGN §3), against the goal p99 < 100 ms.
#
#   bench/alerts.sh [BUILD_DIR]          (default ./build; builds nothing)
#
# Starts a throw-away PostgreSQL 15 (initdb in a temp dir, Unix socket only;
# as user postgres when run as root) and two rcid on free ports with
# --database pointing at it (bench/lib.sh), makes an admin token with
# `rcid token create --admin` and one for hz-eeb, then runs bench/alerts_bench.py (python3 and
# grpc.aio; the stubs CMake generates in BUILD_DIR/pygen):
#
#   - BENCH_CONNECTIONS HTTP/2 connections to each daemon, BENCH_STREAMS
#     WatchAlerts streams on each (default 2 × 10 × 50 = 1,000 subscribers),
#     all with after_id = the highest alert id before the bench, so none
#     can miss an alert whenever its stream goes live; one untimed warm-up
#     alert that every subscriber must get;
#   - BENCH_ALERTS alerts, BENCH_INTERVAL_MS apart (default 100: 10 alerts
#     a second to 1,000 subscribers is 10,000 messages a second, which the
#     Python subscribers can take on this machine; see the note below), each
#     raised as an agency raises one: a PushAirDays of Huizhou (an hz-eeb
#     token) for a new day with PM2.5 at 300 µg/m³, whose AQI above 200
#     raises air.heavy_pollution for the cities of its circle in the push's
#     transaction (Raiser.raise_alert in alerts_bench.py).
#
# Latency per (subscriber, alert) = the subscriber's receive time - the
# raiser's send time (one clock). Prints p50, p99 and max against the goal,
# how long the slowest subscriber of an alert took, and the limit measured
# in the same run: the raise's own round trip to its commit, before which no
# daemon can know of the alert. Every subscriber must get every alert
# exactly once and in order (exit 1 otherwise, with each wrong subscriber
# named on stderr).
#
# The subscribers' own cost is part of what is measured: grpc.aio takes
# some 25-35 µs of CPU per message, rcid some 3. So the subscribers of each
# daemon run in their own process (BENCH_CLIENT_PROCS per daemon), the CPU
# of both sides is printed, and a "note" line says when the clients needed
# more than half the cores they could have: then their queueing, not
# rcid's, makes most of the latency (1,000 subscribers × 50 alerts/s is
# about 1.4 cores of Python).
#
# Environment: BENCH_ALERTS (50), BENCH_INTERVAL_MS (20), BENCH_CONNECTIONS
# (per daemon, 10), BENCH_STREAMS (per connection, 50), BENCH_CLIENT_PROCS
# (client processes per daemon, 1), BENCH_SERVER_THREADS (event loops of
# each rcid; default half the cores, at least 1). Takes about 10 s.
# Needs: postgresql-15, python3-grpcio and python3-protobuf (Debian's, used
# by /usr/bin/python3). Exit status 1 when a subscriber did not get exactly
# the alerts it should; 2 on set-up failure; goals missed are reported, not
# fatal.
set -euo pipefail

BUILD_DIR=${1:-./build}
RCID=$BUILD_DIR/rcid
PYGEN=$BUILD_DIR/pygen
PYTHON=/usr/bin/python3
ALERTS=${BENCH_ALERTS:-50}
INTERVAL_MS=${BENCH_INTERVAL_MS:-100}
CONNECTIONS=${BENCH_CONNECTIONS:-10}
STREAMS=${BENCH_STREAMS:-50}
CLIENT_PROCS=${BENCH_CLIENT_PROCS:-1}
CORES=$(nproc)
SERVER_THREADS=${BENCH_SERVER_THREADS:-$(( CORES / 2 > 0 ? CORES / 2 : 1 ))}
HERE=$(dirname "$0")

# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"

check_tools() {
    [ -x "$RCID" ] || die "$RCID not found: build first (cmake --build $BUILD_DIR)"
    [ -f "$PYGEN/rci/v1/alerts_pb2_grpc.py" ] ||
        die "$PYGEN/rci/v1/alerts_pb2_grpc.py not found: build first (cmake --build $BUILD_DIR)"
    need python3 python3
    if ! "$PYTHON" -c 'import grpc.aio, google.protobuf' 2>/dev/null; then
        die "$PYTHON cannot import grpc.aio (apt-get install python3-grpcio python3-protobuf)"
    fi
    find_pg_bin
}

# result KEY: one figure from alerts_bench.py's result file.
result() { sed -n "s/^$1=//p" "$WORK/alerts.result"; }

# per_delivery SECONDS_EXPR DELIVERIES: µs of CPU per delivery.
per_delivery() { awk -v d="$2" "BEGIN { printf \"%.1f\", (d > 0 ? ($1) * 1e6 / d : 0) }"; }

# rcid_warnings NAME: the warnings and errors in $WORK/NAME.log, counted.
rcid_warnings() { grep -c -E ' (WARN|ERROR) ' "$WORK/$1.log" || true; }

main() {
    check_tools
    WORK=$(mktemp -d /tmp/rci-bench.XXXXXX)
    LOAD=$(cut -d' ' -f1 /proc/loadavg)   # other work on the machine shows in the figures

    log "PostgreSQL in $WORK"
    start_postgres
    local port1 port2 pid1 pid2 token push_token after
    start_rcid rcid1
    port1=$RCID_PORT pid1=$RCID_PID
    start_rcid rcid2
    port2=$RCID_PORT pid2=$RCID_PID
    token=$("$RCID" token create --admin --label bench --database "$CONNINFO" \
            2>"$WORK/token.log") || { cat "$WORK/token.log" >&2; die "rcid token create failed"; }
    push_token=$("$RCID" token create --agency hz-eeb --label bench --database "$CONNINFO" \
            2>"$WORK/token.log") || { cat "$WORK/token.log" >&2; die "rcid token create failed"; }
    after=$(psql_rci -c 'SELECT coalesce(max(id), 0) FROM alerts')
    log "rcid pids $pid1 on :$port1 and $pid2 on :$port2, $SERVER_THREADS event loop(s) each;" \
        "alerts after id $after"

    local rc=0
    PYTHONPATH=$PYGEN${PYTHONPATH:+:$PYTHONPATH} "$PYTHON" "$HERE/alerts_bench.py" \
        --target "127.0.0.1:$port1" --target "127.0.0.1:$port2" --token "$token" \
        --after-id "$after" --push-token "$push_token" \
        --result "$WORK/alerts.result" --alerts "$ALERTS" --interval-ms "$INTERVAL_MS" \
        --connections "$CONNECTIONS" --streams "$STREAMS" --procs-per-target "$CLIENT_PROCS" \
        --server-pid "$pid1" --server-pid "$pid2" --pg-pid "$(head -1 "$WORK/pg/postmaster.pid")" ||
        rc=$?
    if [ "$rc" -gt 1 ] || [ ! -s "$WORK/alerts.result" ]; then
        die "alerts_bench.py failed (exit $rc)"
    fi

    local p99
    p99=$(result p99_ms)
    echo
    echo "rcid $(rcid_version), $CORES core(s) (load average $LOAD before the run), 2 daemons ×" \
        "$SERVER_THREADS event loop(s), PostgreSQL $(pg_version) (fsync on, Unix socket)," \
        "$(result client_procs) client process(es)"
    echo "$(result subscribers) WatchAlerts subscribers: $(result daemons) daemons ×" \
        "$CONNECTIONS connections × $STREAMS streams (connections open: $(result connections))"
    echo "$(result alerts) alerts, ${INTERVAL_MS} ms apart, each raised by a PushAirDays of a" \
        "heavy-pollution day (to the first daemon)"
    echo
    printf '%-52s %8s %8s %8s\n' "" "p50 ms" "p99 ms" "max ms"
    printf '%-52s %8s %8s %8s\n' "delivery, per (subscriber, alert)" \
        "$(result p50_ms)" "$p99" "$(result max_ms)"
    printf '%-52s %8s %8s %8s\n' "delivery to the first subscriber, per alert" \
        "$(result first_p50_ms)" "" "$(result first_max_ms)"
    printf '%-52s %8s %8s %8s\n' "delivery to the last subscriber, per alert" \
        "$(result all_p50_ms)" "" "$(result all_max_ms)"
    printf '%-52s %8s %8s %8s\n' "limit: the push's round trip (committed)" \
        "$(result commit_p50_ms)" "$(result commit_p99_ms)" ""
    echo "deliveries $(result deliveries) of $(result expected), $(result duration_s) s" \
        "from the first raise to the last delivery;" \
        "subscribers with wrong deliveries: $(result wrong_subscribers)"
    local cpu wall ccpu deliveries procs
    cpu=$(result cpu_servers_s)
    wall=$(result cpu_wall_s)
    ccpu=$(result cpu_clients_s)
    deliveries=$(result deliveries)
    procs=$(result client_procs)
    echo "CPU seconds from the first raise to the last delivery (${wall} s): rcid ${cpu% *}" \
        "+ ${cpu#* } ($(per_delivery "${cpu% *}+${cpu#* }" "$deliveries") µs per delivery)," \
        "PostgreSQL $(result cpu_pg_s), clients $ccpu ($(per_delivery "$ccpu" "$deliveries") µs per delivery)"
    # The clients' CPU per second of raising, against the cores they can
    # have: past half of them, the subscribers take their messages later
    # than rcid sends them, and that queueing is part of the figures.
    local span
    span=$(result raise_span_s)
    if awk -v c="$ccpu" -v s="$span" -v p="$procs" -v n="$CORES" \
        'BEGIN { exit !(s > 0 && c / s > 0.5 * (p < n ? p : n)) }'; then
        echo "note   the clients needed $(awk -v c="$ccpu" -v s="$span" 'BEGIN { printf "%.2f", c / s }')" \
            "CPU-seconds per second of raising, on $CORES core(s) shared with both rcid and" \
            "PostgreSQL: the latencies include the clients' own queueing (BENCH_INTERVAL_MS" \
            "or fewer BENCH_STREAMS offer less)"
    fi
    echo
    goal "$(awk -v v="$p99" -v n="$deliveries" 'BEGIN { print (n > 0 && v + 0 < 100) }')" \
        "WatchAlerts p99 $p99 ms from raise to delivery, $(result subscribers) subscribers" \
        "on 2 daemons (goal < 100 ms)"
    local w1 w2
    w1=$(rcid_warnings rcid1)
    w2=$(rcid_warnings rcid2)
    if [ "$w1" != 0 ] || [ "$w2" != 0 ]; then
        log "rcid logged warnings or errors (rcid1: $w1, rcid2: $w2):"
        grep -h -E ' (WARN|ERROR) ' "$WORK/rcid1.log" "$WORK/rcid2.log" | head -20 >&2
    fi
    [ "$rc" = 0 ] || { echo "bench: some subscribers did not get exactly the alerts raised (see above)" >&2; exit 1; }
}

main
