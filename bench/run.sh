#!/usr/bin/env bash
# bench/run.sh: rcid's throughput, latency and memory, measured against the
# limit on the same machine in the same run (DESIGN §4).
#
#   bench/run.sh [BUILD_DIR]          (default ./build; builds nothing)
#
# Starts a throw-away PostgreSQL 15 (initdb in a temp dir, Unix socket only,
# fsync left at its default; as user postgres when run as root), starts rcid
# on free ports with --database pointing at it, then drives with h2load:
#   rcid    /grpc.health.v1.Health/Check           (no database work)
#   rcid    /rci.v1.RegistryService/ListRegions    (answered from the loop's
#                                                  cache, one query a minute)
#   nghttpd a constant file as large as the Check response (the limit)
# and prints req/s, p50 and p99 (from h2load --log-file), the ratio
# rcid/nghttpd against the goal (>= 0.5) and rcid's VmRSS idle, after
# 10,000 streams and after all the load (goals: idle < 16 MiB, after load
# within 2 MiB of idle). h2load counts any HTTP 2xx as success, so every rcid
# run is also checked for real gRPC answers: one nghttp probe must show
# grpc-status: 0, and on a run of BENCH_VERIFY_CALLS calls (50,000) h2load's
# "data" traffic must be calls × response size.
#
# Environment: BENCH_DURATION (seconds per run, 8), BENCH_CLIENTS (8),
# BENCH_STREAMS (streams per client, 32), BENCH_SERVER_THREADS (event loops
# for rcid and workers for nghttpd; default half the cores, at least 1, so
# the load generator keeps the other half). Takes well under two minutes.
# Needs: h2load and nghttp (nghttp2-client), nghttpd (nghttp2-server),
# postgresql-15, python3. Exit status 1 when a run did not get the answers
# it should (rcid: gRPC OK); goals missed are reported, not fatal.
set -euo pipefail

BUILD_DIR=${1:-./build}
RCID=$BUILD_DIR/rcid
DURATION=${BENCH_DURATION:-8}
VERIFY_CALLS=${BENCH_VERIFY_CALLS:-50000}
CLIENTS=${BENCH_CLIENTS:-8}
STREAMS=${BENCH_STREAMS:-32}
CORES=$(nproc)
SERVER_THREADS=${BENCH_SERVER_THREADS:-$(( CORES / 2 > 0 ? CORES / 2 : 1 ))}
CHECK_PATH=/grpc.health.v1.Health/Check
LIST_PATH=/rci.v1.RegistryService/ListRegions

NGHTTPD_PID=

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

# ---- helpers ----------------------------------------------------------------

vmrss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# ---- set-up -----------------------------------------------------------------

check_tools() {
    [ -x "$RCID" ] || die "$RCID not found: build first (cmake --build $BUILD_DIR)"
    need h2load nghttp2-client
    need nghttp nghttp2-client
    need nghttpd nghttp2-server
    need python3 python3
    find_pg_bin
}

start_nghttpd() {
    mkdir -p "$WORK/www"
    head -c "$CHECK_SIZE" /dev/zero >"$WORK/www/check"
    NGHTTPD_PORT=$(free_port)
    nghttpd --no-tls -n "$SERVER_THREADS" -d "$WORK/www" "$NGHTTPD_PORT" >"$WORK/nghttpd.log" 2>&1 &
    NGHTTPD_PID=$!
    track_pid "$NGHTTPD_PID"
    for _ in $(seq 100); do
        nghttp -n "http://127.0.0.1:$NGHTTPD_PORT/check" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    die "nghttpd did not start"
}

# ---- measuring --------------------------------------------------------------

# probe PATH: one gRPC call with nghttp; checks grpc-status: 0 and prints the
# response's DATA bytes (frame prefix included).
probe() {
    local out
    out=$(nghttp -v -H 'content-type: application/grpc' -H 'te: trailers' \
        -d "$WORK/empty.bin" "http://127.0.0.1:$RCID_PORT$1" 2>&1 | tr -c '[:print:]\n' '.')
    if ! grep -q 'grpc-status: 0$' <<<"$out"; then
        grep -E ':status|grpc-' <<<"$out" >&2 || true
        die "$1 did not answer grpc-status 0"
    fi
    grep -o 'recv DATA frame <length=[0-9]*' <<<"$out" | awk -F= '{ s += $2 } END { print s + 0 }'
}

# load NAME URL [h2load args...]: run h2load, keep its output in $WORK/NAME.out
# and its per-request log in $WORK/NAME.log.
load() {
    local name=$1 url=$2
    shift 2
    h2load "$@" -c "$CLIENTS" -m "$STREAMS" -t 1 -d "$WORK/empty.bin" \
        -H 'content-type: application/grpc' -H 'te: trailers' \
        --log-file="$WORK/$name.log" "$url" >"$WORK/$name.out" 2>&1 ||
        { cat "$WORK/$name.out" >&2; die "h2load failed on $url"; }
}

# h2load_figure NAME FIELD: succeeded, data or rps from NAME.out.
h2load_figure() {
    case $2 in
    succeeded) sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' "$WORK/$1.out" ;;
    data) sed -n 's/^traffic: .*, [0-9.]*[KMG]*B (\([0-9]*\)) data$/\1/p' "$WORK/$1.out" ;;
    rps) sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p' "$WORK/$1.out" ;;
    esac
}

# verify NAME SIZE: every succeeded call carried a SIZE-byte answer. A call
# that failed with a gRPC status has no DATA, so data = calls × SIZE proves
# they were answered (h2load counts any 2xx as success). Sets VERIFIED to
# yes or NO, and FAILED=1 on NO.
verify() {
    local ok data want
    ok=$(h2load_figure "$1" succeeded)
    data=$(h2load_figure "$1" data)
    want=$(( ${ok:-0} * $2 ))
    if [ "${ok:-0}" -eq 0 ] || [ "$data" != "$want" ]; then
        echo "bench: $1: ${ok:-0} calls but ${data:-?} data bytes, want $want ($2 each)" >&2
        grep -E '^(requests|status codes|traffic):' "$WORK/$1.out" >&2 || true
        FAILED=1
        VERIFIED=NO
    else
        VERIFIED=yes
    fi
}

row() {  # row NAME LABEL VERIFIED
    local p
    p=$(percentiles "$WORK/$1.log")
    printf '%-44s %10s %8s %8s  %s\n' "$2" "$(h2load_figure "$1" rps)" "${p% *}" "${p#* }" "$3"
}

# ---- main -------------------------------------------------------------------

main() {
    check_tools
    WORK=$(mktemp -d /tmp/rci-bench.XXXXXX)
    printf '\x00\x00\x00\x00\x00' >"$WORK/empty.bin"
    FAILED=0

    log "PostgreSQL in $WORK"
    start_postgres
    start_rcid rcid
    sleep 1
    local rss_idle rss_10k rss_after
    rss_idle=$(vmrss_kib "$RCID_PID")
    CHECK_SIZE=$(probe "$CHECK_PATH")
    LIST_SIZE=$(probe "$LIST_PATH")
    start_nghttpd
    log "rcid pid $RCID_PID on :$RCID_PORT, nghttpd on :$NGHTTPD_PORT, $SERVER_THREADS" \
        "server thread(s), h2load -c $CLIENTS -m $STREAMS -t 1, ${DURATION}s per run"

    log "10,000 Check calls"
    load streams10k "http://127.0.0.1:$RCID_PORT$CHECK_PATH" -n 10000
    local v10k
    verify streams10k "$CHECK_SIZE"
    v10k=$VERIFIED
    sleep 1
    rss_10k=$(vmrss_kib "$RCID_PID")

    log "rcid Check"
    load check "http://127.0.0.1:$RCID_PORT$CHECK_PATH" -D "$DURATION"
    log "rcid ListRegions"
    load list "http://127.0.0.1:$RCID_PORT$LIST_PATH" -D "$DURATION"
    log "nghttpd constant file"
    load nghttpd "http://127.0.0.1:$NGHTTPD_PORT/check" -D "$DURATION"
    # A timed run ends with calls in flight, whose DATA h2load counts but
    # whose calls it does not, so the answers are checked on runs of a
    # fixed number of calls, which end with none in flight.
    log "the answers, $VERIFY_CALLS calls each"
    load check-n "http://127.0.0.1:$RCID_PORT$CHECK_PATH" -n "$VERIFY_CALLS"
    load list-n "http://127.0.0.1:$RCID_PORT$LIST_PATH" -n "$VERIFY_CALLS"
    load nghttpd-n "http://127.0.0.1:$NGHTTPD_PORT/check" -n "$VERIFY_CALLS"
    sleep 2
    rss_after=$(vmrss_kib "$RCID_PID")

    local vcheck vlist vngx rc rn rl
    verify check-n "$CHECK_SIZE"
    vcheck=$VERIFIED
    verify list-n "$LIST_SIZE"
    vlist=$VERIFIED
    verify nghttpd-n "$CHECK_SIZE"
    vngx=$VERIFIED
    rc=$(h2load_figure check rps)
    rl=$(h2load_figure list rps)
    rn=$(h2load_figure nghttpd rps)

    echo
    echo "rcid $(rcid_version), $CORES core(s), $SERVER_THREADS server" \
        "thread(s), h2load -c $CLIENTS -m $STREAMS -t 1, ${DURATION}s per run"
    printf '%-44s %10s %8s %8s  %s\n' target req/s "p50 ms" "p99 ms" "answers ok"
    row check "rcid  Health/Check ($CHECK_SIZE B)" "$vcheck"
    row list "rcid  RegistryService/ListRegions ($LIST_SIZE B)" "$vlist"
    row nghttpd "nghttpd constant file ($CHECK_SIZE B)" "$vngx"
    echo
    local ratio ratio_l
    ratio=$(awk -v a="$rc" -v b="$rn" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    ratio_l=$(awk -v a="$rl" -v b="$rn" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    goal "$(awk -v r="$ratio" 'BEGIN { print (r + 0 >= 0.5) }')" \
        "rcid Check / nghttpd = $ratio (goal >= 0.5)"
    echo "       rcid ListRegions / nghttpd = $ratio_l (cached per loop, 60 s)"
    goal "$(( rss_idle < 16384 ))" "VmRSS idle $(mib "$rss_idle") MiB (goal < 16 MiB)"
    echo "       VmRSS after 10,000 streams $(mib "$rss_10k") MiB (answers ok: $v10k)"
    goal "$(( rss_after - rss_idle <= 2048 ))" \
        "VmRSS after load $(mib "$rss_after") MiB, $(mib $(( rss_after - rss_idle ))) MiB" \
        "over idle (goal <= 2 MiB; each loop calls malloc_trim(0) once it has no connection)"
    [ "$FAILED" = 0 ] || { echo "bench: some calls did not get their answer (see above)" >&2; exit 1; }
}

main
