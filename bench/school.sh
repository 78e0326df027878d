#!/usr/bin/env bash
# The school day of BENCHMARKS.md: a fresh bench server (config/bench.toml) holding the
# accounts of a school's class lists (classcord-load school-roster, imported with
# classcord user import before the start), then `classcord-load school` against it.
# Usage: bash bench/school.sh [school arguments...]   e.g. --arrival 60 --after 60
# Result (JSON): bench/results/school.json
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --workspace --bins
load=target/release/classcord-load
server="${SERVER:-target/release/classcord}"
out=bench/results
mkdir -p "$out"
rm -rf /tmp/classcord-bench && mkdir -p /tmp/classcord-bench
"$load" school-roster --output /tmp/classcord-bench/classes.csv
"$server" user import /tmp/classcord-bench/classes.csv --config config/bench.toml | tail -1 | cut -c1-120
RUST_LOG="${RUST_LOG:-warn,classcord::server=info}" "$server" serve --config config/bench.toml \
    >/tmp/classcord-bench/server.log 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    grep -q "listening on 127.0.0.1:12347" /tmp/classcord-bench/server.log 2>/dev/null && break
    sleep 0.1
done
"$load" --json school --ca certs/ca.crt --server-pid "$server_pid" \
    --database /tmp/classcord-bench/classcord.db "$@" >"$out/school.json"
python3 - "$out/school.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"{r['logged_in']} of {r['pupils']} pupils logged in, the last {r['all_logged_in_after_secs']:.1f} s "
      f"after the start; {r['logins_per_sec']:.1f} logins/s, login p99 {r['login_latency']['p99_ms']:.0f} ms")
for row in r["chat_latency"]:
    print(f"chat {row['transport']:9} {row['phase']:7} p50 {row['latency']['p50_ms']:.1f} ms, "
          f"p99 {row['latency']['p99_ms']:.1f} ms, max {row['latency']['max_ms']:.1f} ms "
          f"({row['latency']['samples']} deliveries)")
print(f"deliveries expected {r['deliveries_expected']}, lost {r['deliveries_lost']}; messages sent "
      f"{r['messages_sent']}, stored {r['persisted']}; moderation {r['moderation_commands_ok']} of "
      f"{r['moderation_commands']} ok, {r['excluded_pupils_back']} excluded pupils back")
print(f"server CPU {r['server_cpu_percent_arrival']:.0f} % (arrival) / {r['server_cpu_percent_after']:.0f} % "
      f"(after) of one core; RSS peak {r['server_rss_peak_kib'] / 1024:.0f} MiB, end "
      f"{r['server_rss_end_kib'] / 1024:.0f} MiB")
PY
