#!/usr/bin/env bash
# Runs every scenario of BENCHMARKS.md three times, each against a freshly started server
# (config/bench.toml), and prints the medians. Results (JSON) go to bench/results/.
# Usage: bash bench/run.sh [rounds]
#        ONLY="fanout50 fanout50tls" bash bench/run.sh 3   (only these scenarios)
#        SERVER=/tmp/classcord-before bash bench/run.sh 3   (another server binary, for A/B)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
cargo build --release --workspace --bins
out=bench/results
mkdir -p "$out"
load=target/release/classcord-load
server="${SERVER:-target/release/classcord}"

start_server() {
    rm -rf /tmp/classcord-bench && mkdir -p /tmp/classcord-bench
    RUST_LOG="warn,classcord::server=info" "$server" serve --config config/bench.toml \
        >/tmp/classcord-bench/server.log 2>&1 &
    server_pid=$!
    for _ in $(seq 100); do
        grep -q "listening on 127.0.0.1:12346" /tmp/classcord-bench/server.log 2>/dev/null && return
        sleep 0.1
    done
    echo "server did not start" >&2; cat /tmp/classcord-bench/server.log >&2; exit 1
}

server_pid=""
# (with set -e, a failing kill at the end of an && list would end the trap, and the script,
# with status 1: the server has usually stopped already)
trap '[ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true' EXIT

stop_server() {
    kill -TERM "$server_pid"
    wait "$server_pid" || true
    server_pid=""
}

# Scenarios are listed first, then run round by round (round 1 of every scenario, then round
# 2...): rows compared with each other (WebSocket with plain TCP) are measured minutes apart at
# most, whatever the shared machine does over the whole invocation.
names=()
declare -A arguments=()
run() { # name, then classcord-load arguments
    local name=$1; shift
    if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]]; then
        return
    fi
    names+=("$name")
    arguments[$name]=$(printf '%q ' "$@")
}

db=/tmp/classcord-bench/classcord.db
run fanout50   fanout --clients 50 --senders 5 --duration 10 --payload 64 --relay --database "$db"
run fanout200  fanout --clients 200 --senders 10 --rate 50 --duration 10 --relay
run fanout1000 fanout --clients 1000 --senders 20 --rate 10 --duration 10 --relay
run idle       idle --connections 19900 --relay
run idletls    idle --connections 5000 --addr 127.0.0.1:12346 --ca certs/ca.crt
run logins     logins --clients 200 --senders 10 --rate 50 --duration 10 --storm 16
run handshakes handshakes --addr 127.0.0.1:12346 --ca certs/ca.crt --duration 5 --concurrency 8
# Issue 12: over TLS against a TLS relay; legacy identification (each newcomer announced to
# everyone already in), paced at 1,000/s and unpaced (a join storm), every client reading.
run fanout50tls fanout --clients 50 --senders 5 --duration 10 --payload 64 --addr 127.0.0.1:12346 \
    --ca certs/ca.crt --relay --relay-cert certs/server.crt --relay-key certs/server.key
run idlelegacy idle --connections 5000 --legacy --rate 1000 --relay
run storm      idle --connections 5000 --legacy --relay
# The same paced legacy arrivals, memory read 5 s after the last one (server and relay), once
# the server's housekeeping (returning freed memory) has run.
run idlelegacysettled idle --connections 5000 --legacy --rate 1000 --relay --settle 5
# The same with 19,900 legacy guests (20,000 is the per-process open-file limit here; minutes:
# every arrival is announced to all before the next).
run idlelegacy20k idle --connections 19900 --legacy --rate 1000 --relay
# Issue 14: the same fan-out and idle connections over WebSocket (web and web_tls listeners),
# beside fanout50, fanout50tls, idle and idletls.
# Issue 26: each against the WebSocket relay (classcord-load relay --websocket).
run fanout50ws  fanout --websocket --addr 127.0.0.1:12347 --clients 50 --senders 5 --duration 10 \
    --payload 64 --relay --database "$db"
run fanout50wss fanout --websocket --addr 127.0.0.1:12348 --ca certs/ca.crt --clients 50 --senders 5 \
    --duration 10 --payload 64 --relay --relay-cert certs/server.crt --relay-key certs/server.key
run idlews     idle --websocket --connections 5000 --addr 127.0.0.1:12347

for round in $(seq "$rounds"); do
    for name in "${names[@]}"; do
        start_server
        echo "== $name (round $round)" >&2
        eval "\"\$load\" --json ${arguments[$name]} --server-pid \"\$server_pid\"" >"$out/$name.$round.json"
        stop_server
    done
done

python3 bench/summary.py "$out" "$rounds"
