#!/usr/bin/env bash
# Instruction counts of one server binary for a fixed fan-out workload, repeatable whatever
# the machine is doing: the server runs under callgrind, classcord-load sends 50 clients x
# 5 senders at 100 messages/s for 5 s, then the server is stopped.
# Usage: bash bench/callgrind.sh [BINARY] [OUT]   (default target/release/classcord, bench/results/callgrind.out)
# Read it with: callgrind_annotate --inclusive=yes OUT | grep -E 'parse_line|Hub::route|chat_line'
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/classcord}
out=${2:-bench/results/callgrind.out}
mkdir -p "$(dirname "$out")"
rm -rf /tmp/classcord-bench && mkdir -p /tmp/classcord-bench
RUST_LOG=warn,classcord::server=info valgrind --tool=callgrind --callgrind-out-file="$out" \
    "$bin" serve --config config/bench.toml >/tmp/classcord-bench/server.log 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 600); do
    grep -q "listening on 127.0.0.1:12346" /tmp/classcord-bench/server.log && break
    sleep 0.2
done
target/release/classcord-load --json fanout --clients 50 --senders 5 --rate 100 --duration 5 \
    --payload 64 >"$out.json"
kill -TERM "$pid"
wait "$pid" || true
grep -E '^totals' "$out"
