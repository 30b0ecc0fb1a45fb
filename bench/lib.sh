# shellcheck shell=bash
# bench/lib.sh: what the benches share — a throw-away PostgreSQL, rcid daemons
# on free ports, the clean-up of every process a bench started, and the small
# helpers the reports are made with. Sourced, never run:
#
#   . "$(dirname "$0")/lib.sh"
#
# The bench sets, before calling in here:
#   RCID            the rcid binary (start_rcid)
#   SERVER_THREADS  rcid --threads (start_rcid)
# and calls find_pg_bin (in its check_tools), then, with WORK made by
# `WORK=$(mktemp -d /tmp/rci-bench.XXXXXX)`, start_postgres and start_rcid.
# Sourcing installs the EXIT trap: cleanup stops what track_pid recorded
# (every rcid start_rcid started, anything else the bench passed to it),
# newest first, stops PostgreSQL and removes WORK.
#
# Exit statuses: die exits 2 (set-up failed); the bench itself exits 1 when
# a call did not get the answer it should; Ctrl-C exits 130.

WORK=
PG_BIN=
PG_STARTED=
CONNINFO=
STARTED_PIDS=()

die() { echo "bench: $*" >&2; exit 2; }
log() { echo "bench: $*" >&2; }

# ---- clean-up: every process this script started, by pid -------------------

stop_pid() {  # stop_pid PID: SIGTERM, wait up to 10 s, then SIGKILL
    local pid=$1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}

track_pid() {  # track_pid PID: cleanup stops it
    STARTED_PIDS+=("$1")
}

cleanup() {
    local rc=$? i
    for (( i = ${#STARTED_PIDS[@]} - 1; i >= 0; i-- )); do
        stop_pid "${STARTED_PIDS[i]}"
    done
    if [ -n "$PG_STARTED" ]; then
        as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg" -m fast -w stop >/dev/null 2>&1 || true
    fi
    [ -n "$WORK" ] && rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- helpers ----------------------------------------------------------------

as_pg() {  # run a PostgreSQL binary as postgres when we are root
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# psql_rci ARGS...: psql on the bench's database, unaligned, tuples only,
# stopping at the first error.
psql_rci() { "$PG_BIN/psql" -qAtX -v ON_ERROR_STOP=1 -h "$WORK/sock" -U postgres -d rci "$@"; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# http_status PORT PATH: the HTTP status of GET PATH on 127.0.0.1:PORT, or 000.
http_status() {
    local line
    { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || { echo 000; return; }
    printf 'GET %s HTTP/1.0\r\n\r\n' "$2" >&3
    IFS=' ' read -r _ line _ <&3 || line=000
    exec 3<&-
    echo "${line:-000}"
}

need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found (apt-get install $2)"; }

rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }

goal() {  # goal OK TEXT...: "met    TEXT" when OK is 1, else "MISSED TEXT"
    local ok=$1
    shift
    if [ "$ok" = 1 ]; then echo "met    $*"; else echo "MISSED $*"; fi
}

# percentiles FILE: "p50 p99" in ms from an h2load --log-file (third
# column: µs); "- -" when it is empty.
percentiles() {
    awk -F'\t' '{ print $3 }' "$1" | sort -n | awk '
        { v[NR] = $1 }
        END {
            if (NR == 0) { print "- -"; exit }
            i50 = int(NR * 0.50); if (i50 < 1) i50 = 1
            i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
            printf "%.2f %.2f\n", v[i50] / 1000, v[i99] / 1000
        }'
}

pg_version() { "$PG_BIN/postgres" --version | awk '{ print $3 }'; }

rcid_version() { "$RCID" --version | awk '{ print $2 }'; }

# ---- set-up -----------------------------------------------------------------

# Sets PG_BIN to the directory of initdb, postgres, pg_ctl and psql.
find_pg_bin() {
    PG_BIN=$(pg_config --bindir 2>/dev/null || true)
    [ -x "$PG_BIN/initdb" ] || PG_BIN=/usr/lib/postgresql/15/bin
    [ -x "$PG_BIN/initdb" ] || die "initdb not found (apt-get install postgresql-15)"
}

# A private cluster in $WORK/pg with its socket in $WORK/sock (a short path:
# socket paths are limited to 107 bytes), database rci in it; sets CONNINFO.
start_postgres() {
    mkdir -p "$WORK/pg" "$WORK/sock"
    touch "$WORK/pg.log"
    if [ "$(id -u)" = 0 ]; then
        chmod 711 "$WORK"
        chown postgres "$WORK/pg" "$WORK/sock" "$WORK/pg.log"
    fi
    as_pg "$PG_BIN/initdb" -D "$WORK/pg" -U postgres -A trust -E UTF8 --locale=C \
        --no-sync >"$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
    PG_STARTED=1
    as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg.log" -w -o \
        "-c listen_addresses='' -c unix_socket_directories='$WORK/sock' -c max_connections=50" \
        start >/dev/null || { cat "$WORK/pg.log" >&2; die "PostgreSQL did not start"; }
    "$PG_BIN/psql" -qX -h "$WORK/sock" -U postgres -d postgres -c 'CREATE DATABASE rci' >/dev/null
    CONNINFO="host=$WORK/sock dbname=rci user=postgres"
}

# start_rcid NAME [ARG...]: one rcid on free ports with --database $CONNINFO,
# --threads $SERVER_THREADS and ARGs, its output in $WORK/NAME.log; waits
# until its /healthz answers 200. Sets RCID_PORT (gRPC), ADMIN_PORT and
# RCID_PID to this daemon's: a bench that starts more than one copies them
# before the next call. cleanup stops every one.
start_rcid() {
    local name=$1
    shift
    RCID_PORT=$(free_port)
    ADMIN_PORT=$(free_port)
    while [ "$ADMIN_PORT" = "$RCID_PORT" ]; do ADMIN_PORT=$(free_port); done
    "$RCID" --listen "127.0.0.1:$RCID_PORT" --admin-listen "127.0.0.1:$ADMIN_PORT" \
        --database "$CONNINFO" --data-dir "$WORK/data" --threads "$SERVER_THREADS" \
        "$@" --log-level warn >"$WORK/$name.log" 2>&1 &
    RCID_PID=$!
    track_pid "$RCID_PID"
    for _ in $(seq 300); do
        kill -0 "$RCID_PID" 2>/dev/null || { cat "$WORK/$name.log" >&2; die "$name exited"; }
        [ "$(http_status "$ADMIN_PORT" /healthz)" = 200 ] && return 0
        sleep 0.1
    done
    cat "$WORK/$name.log" >&2
    die "$name not healthy after 30 s"
}
