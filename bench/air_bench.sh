#!/usr/bin/env bash
# bench/air_bench.sh: a year of daily air data for 11 cities pushed and
# ranked (issue 4), measured against PostgreSQL's own COPY of as many rows
# on the same machine in the same run (DESIGN §4).
#
#   bench/air_bench.sh [BUILD_DIR]     (default ./build; builds nothing)
#
# Starts a throw-away PostgreSQL 15 (as bench/push_series.sh does) and rcid
# on a free port, makes an environment token for each of the 11 cities (the
# ten of szdghz and gfz, and Zhuhai) with `rcid token create`, then:
#
#  (a) push: bench/air_bench.py sends each city's 365 days of 2025 in one
#      PushAirDays (each call also republishes 12 months × 2 indicator values
#      and raises the heavy-pollution alerts), then the same days again under
#      new request ids (every day unchanged); prints days/s;
#  (b) COPY: psql \copy loads as many rows (2024, so they are new too) into
#      air_days + air_day_revisions, one transaction per city, timed by
#      psql's \timing; prints rows/s and push / COPY;
#  (c) reads: RankAir of a circle's month and of the province's year,
#      GetAirStats of a city's year, GetAirCalendar of a month, one call at a
#      time (BENCH_READS each, default 50): p50 and p99.
#
# Needs: postgresql-15, python3-grpcio (Debian's /usr/bin/python3) and the
# Python stubs the build makes (BUILD_DIR/pygen). Exit status 1 when a call
# did not get the answer it should; 2 on set-up failure.
set -euo pipefail

BUILD_DIR=${1:-./build}
RCID=$BUILD_DIR/rcid
HERE=$(cd "$(dirname "$0")" && pwd)
PYTHON=/usr/bin/python3
CITIES=(440300 441900 441300 441500 441600 440100 440600 441200 441800 445300 440400)
AGENCIES=(sz-eeb dg-eeb hz-eeb sw-eeb hy-eeb gz-eeb fs-eeb zq-eeb qy-eeb yf-eeb zh-eeb)

SERVER_THREADS=${BENCH_SERVER_THREADS:-$(nproc)}

# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"

check_tools() {
    [ -x "$RCID" ] || die "$RCID not found: build first (cmake --build $BUILD_DIR)"
    [ -d "$BUILD_DIR/pygen/rci" ] || die "$BUILD_DIR/pygen not found: the build makes it"
    "$PYTHON" -c 'import grpc' 2>/dev/null || die "python3-grpcio not found (apt-get install python3-grpcio)"
    find_pg_bin
}

# copy_rate: "ROWS SECONDS" of one \copy transaction per city into
# air_days + air_day_revisions (2024's days).
copy_rate() {
    local batch dir=$WORK/copy city
    mkdir -p "$dir"
    batch=$(psql_rci -c "INSERT INTO air_batches (agency_code, request_id, committed_at)
                         VALUES ('hz-eeb', 'bench-copy', now()) RETURNING id")
    PYTHONPATH="$BUILD_DIR/pygen" "$PYTHON" "$HERE/air_bench.py" data "$dir" 2024 "$batch" \
        "${CITIES[@]}" || die "air_bench.py data failed"
    {
        echo '\timing on'
        for city in "${CITIES[@]}"; do
            echo 'BEGIN;'
            echo "\\copy air_days (city_code, day, revision, so2, no2, pm10, co, o3_1h, o3_8h, pm25, note, aqi, rev_seq, air_batch_id, first_air_batch_id) FROM '$dir/days.$city.csv' WITH (FORMAT csv)"
            echo "\\copy air_day_revisions (city_code, day, revision, so2, no2, pm10, co, o3_1h, o3_8h, pm25, note, aqi, air_batch_id) FROM '$dir/revisions.$city.csv' WITH (FORMAT csv)"
            echo 'COMMIT;'
        done
    } >"$dir/copy.sql"
    psql_rci -f "$dir/copy.sql" >"$dir/copy.out" 2>&1 || { cat "$dir/copy.out" >&2; die "COPY failed"; }
    local ms
    ms=$(awk '/^Time: / { s += $2 } END { printf "%.3f", s }' "$dir/copy.out")
    echo "$(( 365 * ${#CITIES[@]} )) $(awk -v ms="$ms" 'BEGIN { printf "%.6f", ms / 1000 }')"
}

main() {
    check_tools
    WORK=$(mktemp -d /tmp/rci-air-bench.XXXXXX)
    log "PostgreSQL in $WORK"
    start_postgres
    start_rcid rcid
    local i tokens="{"
    for i in "${!CITIES[@]}"; do
        local t
        t=$("$RCID" token create --agency "${AGENCIES[$i]}" --label bench --database "$CONNINFO" \
            2>"$WORK/token.log") || { cat "$WORK/token.log" >&2; die "rcid token create failed"; }
        tokens+="$([ "$i" = 0 ] || echo ,)\"${CITIES[$i]}\": \"$t\""
    done
    echo "$tokens}" >"$WORK/tokens.json"

    echo
    echo "rcid $(rcid_version), $(nproc) core(s), $SERVER_THREADS event loop(s), PostgreSQL" \
        "$(pg_version) (fsync on, Unix socket)"
    echo
    log "push: ${#CITIES[@]} cities × 365 days of 2025, one call per city, twice"
    PYTHONPATH="$BUILD_DIR/pygen" "$PYTHON" "$HERE/air_bench.py" push "127.0.0.1:$RCID_PORT" 2025 \
        "$WORK/tokens.json" >"$WORK/push.out" || { cat "$WORK/push.out"; exit 1; }
    log "COPY: as many rows into air_days + air_day_revisions"
    local c new unchanged
    c=$(copy_rate)
    new=$(awk '$1 == "push_new" { print $2, $3 }' "$WORK/push.out")
    unchanged=$(awk '$1 == "push_unchanged" { print $2, $3 }' "$WORK/push.out")
    printf '%-60s %12s\n' "PushAirDays, 365 new days per call (11 calls)" "$(rate $new) days/s"
    printf '%-60s %12s\n' "PushAirDays, 365 unchanged days per call (11 calls)" "$(rate $unchanged) days/s"
    printf '%-60s %12s\n' "COPY into air_days + air_day_revisions, 365 rows per txn" "$(rate $c) rows/s"
    awk -v a="$(rate $new)" -v b="$(rate $c)" \
        'BEGIN { printf "push / COPY = %.2f (a push also computes AQIs, month figures, alerts)\n", (b > 0 ? a / b : 0) }'
    awk '$1 == "push_new" { printf "alerts raised %d, indicator values published %d\n", $4, $5 }' \
        "$WORK/push.out"
    echo
    printf '%-30s %10s %10s\n' read "p50 ms" "p99 ms"
    awk 'NF == 3 && $1 !~ /^push/ { printf "%-30s %10s %10s\n", $1, $2, $3 }' "$WORK/push.out"
}

main
