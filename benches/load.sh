#!/usr/bin/env bash
# End-to-end benchmark of `sovereign serve` against its floor, in one run on one machine
# (issue 7; docs/benchmarks.md explains the method and the results).
#
#   benches/load.sh            the whole table: criterion, load, memory, a 300 s soak
#                              (about 30 minutes on 2 cores, after the build)
#   benches/load.sh --smoke    a short smoke of the same harness (under 2 minutes after the build)
#
# It builds release binaries, writes fixtures under target/bench/, runs the in-process
# criterion benchmarks, then starts, one at a time and pinned to one core while the load
# generator (oha) gets the other:
#   echo              a bare TLS echo: sovereign's rustls config, runtime and HTTP stack; fixed answer
#   parse-echo        the same, parsing the AdmissionReview and serializing an allowed answer
#   sovereign-n100    `sovereign serve`, standalone, 100 policies, the full inventory
#   sovereign-n1000   the same with 1,000 policies
# and drives each over keep-alive HTTPS with the same mix of reviews, at several concurrencies
# and at fixed rates. Then memory (idle with 10 and 1,000 policies; with 1,000 policies and
# 10,000 Nodes and PVs) and a soak at half load. It ends with target/bench/summary.json and
# summary.md (`benchkit report`).
#
# Environment (defaults in brackets; --smoke changes them):
#   SOAK_SECONDS    soak at half load [300; smoke 10]
#   DURATION        seconds per load run [10; smoke 2]
#   CONCURRENCY     connections for the saturation runs ["1 4 16 64"; smoke "8"]
#   RATES           fixed request rates besides half load ["1000 4000"; smoke none]
#   SKIP_CRITERION  1: keep target/criterion as it is
#   OHA             an oha binary [installed by `cargo install oha --locked` into OHA_ROOT]
#   OHA_ROOT        [~/.cache/sovereign-bench]; OHA_VERSION [1.16.0]
#   SERVER_LOG      where the servers' stderr goes [/dev/null: sovereign logs every admission]
#   PORT, METRICS_PORT  [18443, 19090], on 127.0.0.1 only
# Every request goes to 127.0.0.1, and every run is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=full
if [[ "${1:-}" == "--smoke" ]]; then
    MODE=smoke
elif [[ -n "${1:-}" ]]; then
    echo "usage: $0 [--smoke]" >&2
    exit 2
fi
if [[ $MODE == smoke ]]; then
    : "${SOAK_SECONDS:=10}" "${DURATION:=2}" "${CONCURRENCY:=8}" "${RATES:=}" "${WARMUP:=1}"
else
    : "${SOAK_SECONDS:=300}" "${DURATION:=10}" "${CONCURRENCY:=1 4 16 64}" "${RATES:=1000 4000}" "${WARMUP:=3}"
fi
: "${OHA_ROOT:=${XDG_CACHE_HOME:-$HOME/.cache}/sovereign-bench}" "${OHA_VERSION:=1.16.0}"
: "${SERVER_LOG:=/dev/null}" "${PORT:=18443}" "${METRICS_PORT:=19090}"
TARGET="${CARGO_TARGET_DIR:-target}"
# sovereign's default, as deployed: an info line per admission.
export RUST_LOG=info
OUT="$TARGET/bench"
URL="https://127.0.0.1:$PORT"
RATE_CONNECTIONS=16

log() { printf '\n== %s\n' "$*" >&2; }

# ----- tools, binaries, fixtures -----

if [[ -z "${OHA:-}" ]]; then
    if [[ -x "$OHA_ROOT/bin/oha" ]]; then
        OHA="$OHA_ROOT/bin/oha"
    else
        log "installing oha $OHA_VERSION into $OHA_ROOT"
        cargo install oha --locked --version "$OHA_VERSION" --root "$OHA_ROOT"
        OHA="$OHA_ROOT/bin/oha"
    fi
fi
command -v curl >/dev/null || { echo "curl is needed (apt-get install -y curl)" >&2; exit 2; }

NPROC=$(nproc)
# Commands, not functions: `taskset` execs the program, so $! is the program's own pid.
if command -v taskset >/dev/null && ((NPROC >= 2)); then
    SERVER_CPU=0
    LOAD_CPU=1
    ON_SERVER_CPU=(taskset -c "$SERVER_CPU")
    ON_LOAD_CPU=(taskset -c "$LOAD_CPU")
else
    SERVER_CPU=""
    LOAD_CPU=""
    ON_SERVER_CPU=(env)
    ON_LOAD_CPU=(env)
    echo "warning: not pinning (taskset missing or fewer than 2 CPUs)" >&2
fi

log "building release binaries"
cargo build --release --bin sovereign --example benchkit
SOVEREIGN="$TARGET/release/sovereign"
BENCHKIT="$TARGET/release/examples/benchkit"

rm -rf "$OUT"
mkdir -p "$OUT/runs"
log "writing fixtures under $OUT"
"$BENCHKIT" fixtures --out "$OUT"
CERT="$OUT/tls/tls.crt"
KEY="$OUT/tls/tls.key"
INVENTORY=("$OUT/inventory")

CPU_MODEL=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
cat >"$OUT/meta.json" <<EOF
{"nproc": $NPROC, "cpu_model": "${CPU_MODEL//\"/}", "server_cpu": "${SERVER_CPU}", "load_cpu": "${LOAD_CPU}",
 "mode": "$MODE", "duration_s": $DURATION, "concurrency": "$CONCURRENCY", "rates": "$RATES",
 "soak_seconds": $SOAK_SECONDS, "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
 "commit": "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)", "oha": "$("$OHA" --version | head -1)",
 "kernel": "$(uname -r)", "memory_gb": $(awk '/MemTotal/ {printf "%.0f", $2/1048576}' /proc/meminfo)}
EOF

# ----- in-process benchmarks (both cores, before any server runs) -----

if [[ "${SKIP_CRITERION:-0}" != 1 ]]; then
    log "criterion (cargo bench --bench admission)"
    if [[ $MODE == smoke ]]; then
        # Only the engine comparison (the speedups of summary.json), briefly.
        BENCH_SMOKE=1 cargo bench --bench admission -- engines-n100/
    else
        cargo bench --bench admission
    fi
fi

# ----- servers -----

SERVER_PID=""
LOAD_PID=""
cleanup() {
    if [[ -n "$LOAD_PID" ]] && kill -0 "$LOAD_PID" 2>/dev/null; then
        kill "$LOAD_PID" 2>/dev/null || true
    fi
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
}
trap cleanup EXIT

stop_server() {
    cleanup
    SERVER_PID=""
}

# start_server READY_PATH COMMAND...: starts it on the server core, waits until READY_PATH answers 200.
start_server() {
    local ready=$1
    shift
    "${ON_SERVER_CPU[@]}" "$@" >/dev/null 2>>"$SERVER_LOG" &
    SERVER_PID=$!
    for _ in $(seq 1 600); do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "the server exited during startup: $* (rerun with SERVER_LOG=$OUT/server.log to see why)" >&2
            exit 1
        fi
        if [[ $(curl -sk -o /dev/null -w '%{http_code}' --max-time 1 "$URL$ready" || true) == 200 ]]; then
            return 0
        fi
        sleep 0.2
    done
    echo "the server did not become ready in 120 s: $*" >&2
    exit 1
}

status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
CLK_TCK=$(getconf CLK_TCK)

start_sovereign() {
    local policies=$1
    shift
    start_server /readyz "$SOVEREIGN" serve --tls-cert "$CERT" --tls-key "$KEY" \
        --listen "127.0.0.1:$PORT" --metrics-listen "127.0.0.1:$METRICS_PORT" \
        --reload-interval 3600 --tls-reload-interval 3600 --policies "$OUT/policies-$policies" "$@"
}

# oha_run NAME CONCURRENCY [RATE] [SECONDS]: drives the server; writes runs/NAME.json and NAME.time.
oha_run() {
    local name=$1 connections=$2 rate=${3:-} seconds=${4:-$DURATION}
    local args=(-z "${seconds}s" -w -c "$connections" --no-tui --output-format json -o "$OUT/runs/$name.json"
        --insecure -m POST -H 'content-type: application/json' -Z "$OUT/bodies.jsonl" -t 10s --worker-threads 1)
    if [[ -n "$rate" ]]; then
        args+=(-q "$rate")
    fi
    { TIMEFORMAT='%R %U %S' && time "${ON_LOAD_CPU[@]}" "$OHA" "${args[@]}" "$URL/validate" >/dev/null; } 2>"$OUT/runs/$name.time"
}

rps_of() { grep -m1 '"requestsPerSec"' "$OUT/runs/$1.json" | tr -dc '0-9.'; }

# measure SERVER LABEL CONCURRENCY [RATE]: one recorded run.
measure() {
    local server=$1 label=$2 connections=$3 rate=${4:-}
    local name="$server-$label"
    local before after
    before=$(cpu_ticks "$SERVER_PID")
    oha_run "$name" "$connections" "$rate"
    after=$(cpu_ticks "$SERVER_PID")
    local gen
    gen=$(awk '{ if ($1 > 0) printf "%.3f", ($2 + $3) / $1; else print "null" }' "$OUT/runs/$name.time")
    printf '{"server": "%s", "label": "%s", "concurrency": %s, "rate": %s, "oha": "runs/%s.json", "cpu_ticks": %s, "clk_tck": %s, "rss_kb": %s, "generator_cpu": %s}\n' \
        "$server" "$label" "$connections" "${rate:-null}" "$name" "$((after - before))" "$CLK_TCK" \
        "$(status_kb "$SERVER_PID" VmRSS)" "$gen" >>"$OUT/runs.jsonl"
    printf '   %-18s %-6s %8.0f req/s\n' "$server" "$label" "$(rps_of "$name")" >&2
}

remember() { printf '{"name": "%s", "rss_kb": %s}\n' "$1" "$2" >>"$OUT/memory.jsonl"; }

# load_server SERVER: warm-up, saturation at each concurrency, then half of the best and fixed rates.
load_server() {
    local server=$1
    oha_run "$server-warmup" 16 "" "$WARMUP"
    local best=0 c r
    for c in $CONCURRENCY; do
        measure "$server" "c$c" "$c"
        r=$(rps_of "$server-c$c")
        best=$(awk -v a="$best" -v b="$r" 'BEGIN {print (b > a) ? b : a}')
    done
    HALF=$(awk -v b="$best" 'BEGIN {printf "%d", b / 2}')
    measure "$server" half "$RATE_CONNECTIONS" "$HALF"
    for r in $RATES; do
        measure "$server" "q$r" "$RATE_CONNECTIONS" "$r"
    done
}

log "echo: bare TLS echo"
start_server /healthz "$BENCHKIT" echo --mode bare --listen "127.0.0.1:$PORT" --cert "$CERT" --key "$KEY"
load_server echo
stop_server

log "parse-echo: TLS echo that parses and re-serializes the AdmissionReview"
start_server /healthz "$BENCHKIT" echo --mode parse --listen "127.0.0.1:$PORT" --cert "$CERT" --key "$KEY"
load_server parse-echo
stop_server

for n in 100 1000; do
    log "sovereign serve: $n policies, full inventory"
    start_sovereign "$n" --inventory "${INVENTORY[@]}"
    sleep 2
    remember "n$n-full-inventory-idle" "$(status_kb "$SERVER_PID" VmRSS)"
    load_server "sovereign-n$n"
    [[ $n == 100 ]] && HALF_N100=$HALF
    remember "n$n-peak-under-load" "$(status_kb "$SERVER_PID" VmHWM)"
    curl -s --max-time 5 "http://127.0.0.1:$METRICS_PORT/metrics" >"$OUT/runs/sovereign-n$n.metrics.txt" || true
    stop_server
done

if [[ $MODE == full ]]; then
    log "sovereign serve, 100 policies, RUST_LOG=warn (the cost of the per-admission log line)"
    export RUST_LOG=warn
    start_sovereign 100 --inventory "${INVENTORY[@]}"
    export RUST_LOG=info
    oha_run sovereign-n100-quiet-warmup 16 "" "$WARMUP"
    for c in $CONCURRENCY; do
        ((c >= 4)) && measure sovereign-n100-quiet "c$c" "$c"
    done
    stop_server
fi

log "memory: idle with 10 and 1,000 policies; 1,000 policies with 10,000 Nodes and PVs"
for spec in "idle-n10:10:" "idle-n1000:1000:" "n1000-nodes-pvs:1000:nodes.json volumes.json"; do
    IFS=: read -r name n files <<<"$spec"
    args=()
    for f in $files; do args+=("$OUT/inventory/$f"); done
    if ((${#args[@]})); then
        start_sovereign "$n" --inventory "${args[@]}"
    else
        start_sovereign "$n"
    fi
    sleep 3
    remember "$name" "$(status_kb "$SERVER_PID" VmRSS)"
    printf '   %-18s %6s kB\n' "$name" "$(status_kb "$SERVER_PID" VmRSS)" >&2
    stop_server
done

log "soak: ${SOAK_SECONDS} s at half load (${HALF_N100} req/s), 100 policies, full inventory"
start_sovereign 100 --inventory "${INVENTORY[@]}"
oha_run sovereign-n100-soak-warmup "$RATE_CONNECTIONS" "$HALF_N100" "$WARMUP"
SAMPLE=$(((SOAK_SECONDS >= 60) ? 5 : 1))
before=$(cpu_ticks "$SERVER_PID")
oha_run sovereign-n100-soak "$RATE_CONNECTIONS" "$HALF_N100" "$SOAK_SECONDS" &
LOAD_PID=$!
start=$(date +%s.%N)
while kill -0 "$LOAD_PID" 2>/dev/null; do
    printf '{"t": %.1f, "rss_kb": %s}\n' "$(awk -v s="$start" -v n="$(date +%s.%N)" 'BEGIN {print n - s}')" \
        "$(status_kb "$SERVER_PID" VmRSS)" >>"$OUT/soak.jsonl"
    sleep "$SAMPLE"
done
wait "$LOAD_PID"
after=$(cpu_ticks "$SERVER_PID")
printf '{"server": "sovereign-n100", "label": "soak", "concurrency": %s, "rate": %s, "oha": "runs/sovereign-n100-soak.json", "cpu_ticks": %s, "clk_tck": %s, "rss_kb": %s, "generator_cpu": null}\n' \
    "$RATE_CONNECTIONS" "$HALF_N100" "$((after - before))" "$CLK_TCK" "$(status_kb "$SERVER_PID" VmRSS)" >>"$OUT/runs.jsonl"
remember soak-peak "$(status_kb "$SERVER_PID" VmHWM)"
stop_server

log "report"
"$BENCHKIT" report --dir "$OUT" --criterion "$TARGET/criterion"
