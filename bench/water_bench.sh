#!/usr/bin/env bash
# bench/water_bench.sh: a year of monthly samples for 50 river sections
# pushed, graded and ranked (issue 4).
#
#   bench/water_bench.sh [BUILD_DIR]     (default ./build; builds nothing)
#
# Starts a throw-away PostgreSQL 15 and rcid (bench/lib.sh), makes an admin
# token and one for each city's ecology and environment bureau with
# `rcid token create`, then bench/water_bench.py:
#  (a) adds bench sections (PutSection) to the 8 seeded ones: 50 in all;
#  (b) pushes 2025's monthly samples (7 parameters each): each monitor
#      agency all its sections' official samples in one PushSamples, then
#      each other city's bureau its joint samples (compared with the
#      official ones; off-target and discrepancy alerts raised), then the
#      official samples again (all unchanged); prints samples/s;
#  (c) GetSectionStatus of each section's year and GetJointComparisons of
#      each section's year, one call at a time: p50 and p99; the sections
#      ranked by compliance rate (head and tail).
#
# Needs: postgresql-15, python3-grpcio (Debian's /usr/bin/python3), the
# stubs the build makes (BUILD_DIR/pygen). Exit status 1 when a call did not
# get the answer it should; 2 on set-up failure.
set -euo pipefail

BUILD_DIR=${1:-./build}
RCID=$BUILD_DIR/rcid
HERE=$(cd "$(dirname "$0")" && pwd)
PYTHON=/usr/bin/python3
SERVER_THREADS=${BENCH_SERVER_THREADS:-$(nproc)}
AGENCIES=(hz-eeb dg-eeb sz-eeb hy-eeb sw-eeb zq-eeb fs-eeb qy-eeb gz-eeb yf-eeb)

# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"

check_tools() {
    [ -x "$RCID" ] || die "$RCID not found: build first (cmake --build $BUILD_DIR)"
    [ -f "$BUILD_DIR/pygen/rci/v1/water_pb2_grpc.py" ] || die "$BUILD_DIR/pygen not found: the build makes it"
    "$PYTHON" -c 'import grpc' 2>/dev/null || die "python3-grpcio not found (apt-get install python3-grpcio)"
    find_pg_bin
}

token() {  # token ARGS...: a new token's secret
    "$RCID" token create "$@" --label bench --database "$CONNINFO" 2>"$WORK/token.log" ||
        { cat "$WORK/token.log" >&2; die "rcid token create failed"; }
}

main() {
    check_tools
    WORK=$(mktemp -d /tmp/rci-water-bench.XXXXXX)
    log "PostgreSQL in $WORK"
    start_postgres
    start_rcid rcid
    local a tokens
    tokens="{\"admin\": \"$(token --admin)\""
    for a in "${AGENCIES[@]}"; do
        tokens+=", \"$a\": \"$(token --agency "$a")\""
    done
    echo "$tokens}" >"$WORK/tokens.json"

    echo
    echo "rcid $(rcid_version), $(nproc) core(s), $SERVER_THREADS event loop(s), PostgreSQL" \
        "$(pg_version) (fsync on, Unix socket)"
    echo
    log "50 sections, a year of monthly samples: official, joint, official again"
    PYTHONPATH="$BUILD_DIR/pygen" "$PYTHON" "$HERE/water_bench.py" "127.0.0.1:$RCID_PORT" 2025 \
        "$WORK/tokens.json" >"$WORK/out" || { cat "$WORK/out"; exit 1; }
    awk '$1 ~ /^push_/ {
             what = "official samples (unchanged)"
             if ($1 == "push_official") what = "official samples (new)"
             if ($1 == "push_joint") what = "joint samples (new, compared)"
             printf "%-46s %5d samples %7.0f samples/s, alerts %d\n", "PushSamples, " what, $2,
                    ($3 > 0 ? $2 / $3 : 0), $4 }' "$WORK/out"
    echo
    printf '%-52s %10s %10s\n' read "p50 ms" "p99 ms"
    awk '$1 ~ /_year$/ { printf "%-52s %10s %10s\n", $1, $2, $3 }' "$WORK/out"
    awk '$1 == "comparisons" { print "joint comparisons over the year: " $2 }' "$WORK/out"
    echo
    echo "sections by compliance rate, 2025 (head and tail):"
    awk '$1 == "rank" { printf "  %3d  %-10s target %-4s %6s %%\n", $2, $3, $4, $5 }' "$WORK/out"
}

main
