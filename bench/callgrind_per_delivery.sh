#!/usr/bin/env bash
# Instructions per delivery (valgrind --tool=callgrind: repeatable whatever the machine is
# doing), of the server and of the reference relay, over plain TCP, TLS and WebSocket. The
# same fan-out (50 clients, 5 senders, 64 B payload, guests) runs for SHORT and for LONG
# seconds against a process under callgrind; what one more delivery costs is (instructions of
# the long run - of the short run) / (deliveries of the long - of the short): start-up,
# connections and shutdown cancel out.
# The senders go as fast as their window lets them (RATE=max, the default): the process under
# callgrind is always the bottleneck, so its batches are as full as the window makes them,
# round after round. RATE=20 (messages/s per sender) is the other steady regime: every
# message handled alone. Between the two (RATE=100 before) how full the batches are depends
# on how fast the machine runs valgrind, and the counts moved by 60 % from one day to the next.
# Usage: [ROUNDS=3] [RATE=max|N] bash bench/callgrind_per_delivery.sh [rows]   rows among:
#        server-plain server-tls server-ws relay-plain relay-tls relay-ws (default: all).
#        Needs certs/ (a server started once with config/bench.toml makes them).
#        Results: bench/results/callgrind/
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${*:-server-plain server-tls server-ws relay-plain relay-tls relay-ws}
short=${SHORT:-3}
long=${LONG:-9}
rate=${RATE:-max}
# RATE=max: as fast as the windowed senders go (the process under callgrind is the bottleneck).
pace=(--rate "$rate")
[ "$rate" != max ] || pace=()
out=bench/results/callgrind
mkdir -p "$out"
load=target/release/classcord-load
server=${SERVER:-target/release/classcord}
[ -f certs/server.crt ] || { echo "certs/server.crt missing: start the bench server once" >&2; exit 1; }

pid=""
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null || true' EXIT

# Starts ROW under callgrind; sets pid and the load generator's target arguments.
start() {
    local row=$1 file=$2 log=$out/$row.log
    rm -rf /tmp/classcord-bench && mkdir -p /tmp/classcord-bench
    case $row in
        server-*)
            RUST_LOG=warn,classcord::server=info valgrind --tool=callgrind --callgrind-out-file="$file" \
                "$server" serve --config config/bench.toml >"$log" 2>&1 &
            pid=$!
            for _ in $(seq 600); do grep -q "listening on 127.0.0.1:12346" "$log" && break; sleep 0.2; done
            case $row in
                server-plain) target=(--addr 127.0.0.1:12345) ;;
                server-tls) target=(--addr 127.0.0.1:12346 --ca certs/ca.crt) ;;
                server-ws) target=(--addr 127.0.0.1:12347 --websocket) ;;
            esac
            ;;
        relay-*)
            local extra=()
            case $row in
                relay-tls) extra=(--cert certs/server.crt --key certs/server.key) ;;
                relay-ws) extra=(--websocket) ;;
            esac
            valgrind --tool=callgrind --callgrind-out-file="$file" \
                "$load" relay --listen 127.0.0.1:12399 "${extra[@]}" >"$log" 2>&1 &
            pid=$!
            for _ in $(seq 600); do grep -q "listening on" "$log" && break; sleep 0.2; done
            target=(--addr 127.0.0.1:12399 --target-is-relay)
            case $row in
                relay-tls) target+=(--ca certs/ca.crt) ;;
                relay-ws) target+=(--websocket) ;;
            esac
            ;;
    esac
}

stop() {
    kill -TERM "$pid"
    wait "$pid" || true
    pid=""
}

# Under valgrind the threads run one at a time, and how a run's batches fall changes the
# totals a little: each row is measured ROUNDS times (default 3) and the median given.
rounds=${ROUNDS:-3}
printf '%-14s %-30s %10s\n' row "instructions/delivery, by round" median
for row in $rows; do
    per_round=()
    for round in $(seq "$rounds"); do
        declare -A instr=() delivered=()
        for seconds in "$short" "$long"; do
            file=$out/$row.$seconds.out
            start "$row" "$file"
            kill -0 "$pid" 2>/dev/null || { echo "$row did not start:" >&2; tail -5 "$out/$row.log" >&2; exit 1; }
            "$load" --json fanout --clients 50 --senders 5 "${pace[@]}" --duration "$seconds" --payload 64 \
                "${target[@]}" >"$file.json"
            stop
            instr[$seconds]=$(awk '/^totals:/ {print $2}' "$file")
            delivered[$seconds]=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["server"]; assert r["lost"] == 0, r; print(r["delivered"])' "$file.json")
        done
        per_round+=("$(python3 -c 'import sys; a,b,c,d=map(int,sys.argv[1:]); print(f"{(b-a)/(d-c):.0f}")' \
            "${instr[$short]}" "${instr[$long]}" "${delivered[$short]}" "${delivered[$long]}")")
        unset instr delivered
    done
    median=$(printf '%s\n' "${per_round[@]}" | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
    printf '%-14s %-30s %10s\n' "$row" "${per_round[*]}" "$median"
done
