#!/usr/bin/env bash
# bench/push_series.sh: PushValues throughput next to PostgreSQL's own COPY of
# the same rows, and GetSeries latency under concurrent load — issue 3's
# benchmark, measured against the limit on the same machine in the same run
# (DESIGN §4).
#
#   bench/push_series.sh [BUILD_DIR]     (default ./build; builds nothing)
#
# Starts a throw-away PostgreSQL 15 (initdb in a temp dir, Unix socket only,
# fsync at its default; as user postgres when run as root) and rcid on a
# free port with --database pointing at it, makes a token for the Huizhou
# Ecology and Environment Bureau with `rcid token create`, then measures:
#
#  (a) push: BUILD_DIR/bench_push sends batches of 1,000 and of 10,000 new
#      values (monthly environment indicators of Huizhou, months from 2030 on:
#      past ones lock themselves), one call at a time on one connection, as
#      an agency's system would; then psql \copy loads
#      the very same rows (another city's cells, so they are new too) into
#        cells               the table the current values live in
#        cells + revisions   both tables a push writes, one transaction
#      one COPY per batch, each committed, timed by psql's \timing. Prints
#      values/s, and push / COPY(cells) against the goal (>= 0.5).
#  (b) series: h2load sends GetSeries for 36 months of one city (every month
#      has a value) from BENCH_SERIES_CLIENTS connections, one call each at a
#      time (64 concurrent calls); p50 and p99 from h2load's --log-file
#      against the goal (p99 < 10 ms). h2load counts any HTTP 2xx as success,
#      so one nghttp probe must show grpc-status 0 and the DATA traffic must
#      be calls × the response size.
#
# Environment: BENCH_SMALL_BATCHES (calls of 1,000; 20), BENCH_LARGE_BATCHES
# (calls of 10,000; 8), BENCH_DURATION (seconds of series load; 8),
# BENCH_SERIES_CLIENTS (64), BENCH_SERVER_THREADS (rcid's event loops;
# default half the cores, at least 1, so the load generator keeps the
# rest), BENCH_DB_POOL (rcid --db-pool-size; default rcid's own).
# Needs: h2load and nghttp (nghttp2-client), postgresql-15, python3.
# Exit status 1 when a call did not get the answer it should; 2 on set-up
# failure; goals missed are reported, not fatal.
set -euo pipefail

BUILD_DIR=${1:-./build}
RCID=$BUILD_DIR/rcid
BENCH_PUSH=$BUILD_DIR/bench_push
SMALL_BATCHES=${BENCH_SMALL_BATCHES:-20}
LARGE_BATCHES=${BENCH_LARGE_BATCHES:-8}
DURATION=${BENCH_DURATION:-8}
SERIES_CLIENTS=${BENCH_SERIES_CLIENTS:-64}
CORES=$(nproc)
SERVER_THREADS=${BENCH_SERVER_THREADS:-$(( CORES / 2 > 0 ? CORES / 2 : 1 ))}
DB_POOL=${BENCH_DB_POOL:-}
SERIES_PATH=/rci.v1.IndicatorService/GetSeries
AGENCY=hz-eeb
PUSH_REGION=441300         # Huizhou: the agency's own city
COPY_REGION=440300         # Shenzhen: COPY into cells
COPY2_REGION=441900        # Dongguan: COPY into cells + revisions
SERIES=(air.good_days_rate "$PUSH_REGION" 2030-01 2032-12)   # 36 months, all pushed below

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

# ---- set-up -----------------------------------------------------------------

check_tools() {
    [ -x "$RCID" ] || die "$RCID not found: build first (cmake --build $BUILD_DIR)"
    [ -x "$BENCH_PUSH" ] || die "$BENCH_PUSH not found: build first (cmake --build $BUILD_DIR)"
    need h2load nghttp2-client
    need nghttp nghttp2-client
    need python3 python3
    find_pg_bin
}

# rcid with --db-pool-size BENCH_DB_POOL when given.
start_bench_rcid() {
    local pool=()
    [ -n "$DB_POOL" ] && pool=(--db-pool-size "$DB_POOL")
    start_rcid rcid "${pool[@]}"
}

# ---- (a) push and COPY ------------------------------------------------------

# push_rate FIRST SIZE COUNT: "VALUES SECONDS" of COUNT pushes of SIZE
# values; "0 0" when a call failed (bench_push said why on stderr).
push_rate() {
    "$BENCH_PUSH" push "127.0.0.1:$RCID_PORT" "$TOKEN" "$PUSH_REGION" "$1" "$2" "$3" ||
        echo "0 0"
}

# copy_rate NAME FIRST SIZE COUNT REGION WITH_REVISIONS: "ROWS SECONDS" of
# COUNT psql \copy runs of SIZE rows each, the server-side time that \timing
# reports (so psql's own start-up is not counted), commits included.
copy_rate() {
    local name=$1 first=$2 size=$3 count=$4 region=$5 revs=$6 dir=$WORK/$1 k
    mkdir -p "$dir"
    "$BENCH_PUSH" csv "$dir" "$region" "$first" "$size" "$count" "$COPY_BATCH" ||
        die "bench_push csv failed"
    {
        echo '\timing on'
        for k in $(seq 0 $(( count - 1 ))); do
            [ "$revs" = 1 ] && echo 'BEGIN;'
            echo "\\copy cells (indicator_code, region_code, period, period_end, revision, value, note, batch_id, first_batch_id) FROM '$dir/cells.$k.csv' WITH (FORMAT csv)"
            if [ "$revs" = 1 ]; then
                echo "\\copy revisions (indicator_code, region_code, period, revision, value, note, batch_id) FROM '$dir/revisions.$k.csv' WITH (FORMAT csv)"
                echo 'COMMIT;'
            fi
        done
    } >"$dir/copy.sql"
    psql_rci -f "$dir/copy.sql" >"$dir/copy.out" 2>&1 || { cat "$dir/copy.out" >&2; die "COPY failed"; }
    local ms
    ms=$(awk '/^Time: / { s += $2 } END { printf "%.3f", s }' "$dir/copy.out")
    [ "$(grep -c '^Time: ' "$dir/copy.out")" -gt 0 ] || die "psql printed no timings for \\copy"
    echo "$(( size * count )) $(awk -v ms="$ms" 'BEGIN { printf "%.6f", ms / 1000 }')"
}

# push_vs_copy SIZE COUNT FIRST: one block of the report.
push_vs_copy() {
    local size=$1 count=$2 first=$3 p c c2 pr cr cr2 ratio
    log "push: $count calls of $size values"
    p=$(push_rate "$first" "$size" "$count")
    [ "$p" = "0 0" ] && FAILED=1
    log "COPY: the same rows, $count × $size, into cells / cells + revisions"
    c=$(copy_rate "copy_$size" "$first" "$size" "$count" "$COPY_REGION" 0)
    c2=$(copy_rate "copy2_$size" "$first" "$size" "$count" "$COPY2_REGION" 1)
    pr=$(rate $p)
    cr=$(rate $c)
    cr2=$(rate $c2)
    ratio=$(awk -v a="$pr" -v b="$cr" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    printf '%-52s %12s\n' "PushValues, $size values per call ($count calls)" "$pr values/s"
    printf '%-52s %12s\n' "COPY into cells, $size rows per COPY" "$cr rows/s"
    printf '%-52s %12s\n' "COPY into cells + revisions, $size rows per txn" "$cr2 rows/s"
    goal "$(awk -v r="$ratio" 'BEGIN { print (r + 0 >= 0.5) }')" \
        "push / COPY(cells) = $ratio at $size per call (goal >= 0.5)"
    echo
}

# ---- (b) series latency -------------------------------------------------------

# One GetSeries with nghttp: must be grpc-status 0; prints the response's
# DATA bytes (frame prefix included).
probe_series() {
    local out
    out=$(nghttp -v -H 'content-type: application/grpc' -H 'te: trailers' \
        -H "authorization: Bearer $TOKEN" -d "$WORK/series.bin" \
        "http://127.0.0.1:$RCID_PORT$SERIES_PATH" 2>&1 | tr -c '[:print:]\n' '.')
    if ! grep -q 'grpc-status: 0$' <<<"$out"; then
        grep -E ':status|grpc-' <<<"$out" >&2 || true
        die "GetSeries did not answer grpc-status 0"
    fi
    grep -o 'recv DATA frame <length=[0-9]*' <<<"$out" | awk -F= '{ s += $2 } END { print s + 0 }'
}

series_latency() {
    "$BENCH_PUSH" series-body "$WORK/series.bin" "${SERIES[@]}" || die "bench_push series-body failed"
    local size
    size=$(probe_series)
    log "GetSeries ${SERIES[*]}: $size-byte answer; $SERIES_CLIENTS connections × 1 call, ${DURATION}s"
    h2load -D "$DURATION" -c "$SERIES_CLIENTS" -m 1 -t 1 -d "$WORK/series.bin" \
        -H 'content-type: application/grpc' -H 'te: trailers' \
        -H "authorization: Bearer $TOKEN" --log-file="$WORK/series.log" \
        "http://127.0.0.1:$RCID_PORT$SERIES_PATH" >"$WORK/series.out" 2>&1 ||
        { cat "$WORK/series.out" >&2; die "h2load failed"; }
    local ok data rps p verified=yes
    ok=$(sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' "$WORK/series.out")
    data=$(sed -n 's/^traffic: .*, [0-9.]*[KMG]*B (\([0-9]*\)) data$/\1/p' "$WORK/series.out")
    rps=$(sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p' "$WORK/series.out")
    if [ "${ok:-0}" -eq 0 ] || [ "$data" != "$(( ${ok:-0} * size ))" ]; then
        echo "bench: series: ${ok:-0} calls but ${data:-?} data bytes, want $(( ${ok:-0} * size ))" >&2
        grep -E '^(requests|status codes|traffic):' "$WORK/series.out" >&2 || true
        FAILED=1
        verified=NO
    fi
    p=$(percentiles "$WORK/series.log")
    printf '%-52s %10s %8s %8s  %s\n' target req/s "p50 ms" "p99 ms" "answers ok"
    printf '%-52s %10s %8s %8s  %s\n' "GetSeries 36 months, $SERIES_CLIENTS concurrent" \
        "$rps" "${p% *}" "${p#* }" "$verified"
    goal "$(awk -v v="${p#* }" 'BEGIN { print (v + 0 < 10) }')" \
        "GetSeries p99 ${p#* } ms at $SERIES_CLIENTS concurrent calls (goal < 10 ms)"
}

# ---- main -------------------------------------------------------------------

main() {
    check_tools
    WORK=$(mktemp -d /tmp/rci-bench.XXXXXX)
    FAILED=0

    log "PostgreSQL in $WORK"
    start_postgres
    start_bench_rcid
    TOKEN=$("$RCID" token create --agency "$AGENCY" --label bench --database "$CONNINFO" \
            2>"$WORK/token.log") || { cat "$WORK/token.log" >&2; die "rcid token create failed"; }
    # The batch the COPY'd rows belong to (a push makes one per call).
    COPY_BATCH=$(psql_rci -c "INSERT INTO batches (agency_code, request_id, committed_at)
                              VALUES ('sz-eeb', 'bench-copy', now()) RETURNING id")
    log "rcid pid $RCID_PID on :$RCID_PORT, $SERVER_THREADS event loop(s)," \
        "db pool ${DB_POOL:-default}"

    echo
    echo "rcid $(rcid_version), $CORES core(s), $SERVER_THREADS" \
        "event loop(s), PostgreSQL $(pg_version)" \
        "(fsync on, Unix socket)"
    echo
    push_vs_copy 1000 "$SMALL_BATCHES" 0
    push_vs_copy 10000 "$LARGE_BATCHES" $(( 1000 * SMALL_BATCHES ))
    series_latency
    [ "$FAILED" = 0 ] || { echo "bench: some calls did not get their answer (see above)" >&2; exit 1; }
}

main
