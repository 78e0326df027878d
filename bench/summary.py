"""Prints the medians of the JSON results written by bench/run.sh."""
import json
import statistics
import sys
from pathlib import Path

out, rounds = Path(sys.argv[1]), int(sys.argv[2])


def load(name):
    return [json.loads((out / f"{name}.{r}.json").read_text()) for r in range(1, rounds + 1)]


def present(name):
    return (out / f"{name}.{rounds}.json").exists()


def med(values):
    return statistics.median(values)


for name in [n for n in ["fanout50", "fanout200", "fanout1000", "fanout50tls", "fanout50ws", "fanout50wss"]
             if present(n)]:
    runs = load(name)
    server = [r["server"] for r in runs]
    relay = [r["relay"] for r in runs]
    ratio = med([s["deliveries_per_sec"] / r["deliveries_per_sec"] for s, r in zip(server, relay)])
    p99_ratio = med([s["latency"]["p99_ms"] / r["latency"]["p99_ms"] for s, r in zip(server, relay)])
    print(f"{name}: server {med([s['deliveries_per_sec'] for s in server]):.0f} deliveries/s, "
          f"{med([s['messages_per_sec'] for s in server]):.0f} msg/s, "
          f"p50 {med([s['latency']['p50_ms'] for s in server]):.2f} ms, "
          f"p99 {med([s['latency']['p99_ms'] for s in server]):.2f} ms, "
          f"lost {max(s['lost'] for s in server)}; "
          f"relay {med([r['deliveries_per_sec'] for r in relay]):.0f} deliveries/s, "
          f"p99 {med([r['latency']['p99_ms'] for r in relay]):.2f} ms, lost {max(r['lost'] for r in relay)}; "
          f"ratio deliveries {100 * ratio:.1f} %, p99 {p99_ratio:.2f}x; "
          f"server CPU {med([s['server_cpu_percent'] for s in server]):.0f} %")
    if server[0].get("server_cpu_us_per_delivery") and relay[0].get("server_cpu_us_per_delivery"):
        per = [s["server_cpu_us_per_delivery"] for s in server]
        rel = [r["server_cpu_us_per_delivery"] for r in relay]
        print(f"  CPU per delivery: server {med(per):.3f} us, relay {med(rel):.3f} us, "
              f"ratio {med([a / b for a, b in zip(per, rel)]):.2f}x")
    if server[0].get("load_cpu_us_per_delivery") and relay[0].get("load_cpu_us_per_delivery"):
        per = [s["load_cpu_us_per_delivery"] for s in server]
        rel = [r["load_cpu_us_per_delivery"] for r in relay]
        print(f"  load generator's CPU per delivery (reading the lines): against the server "
              f"{med(per):.3f} us, against the relay {med(rel):.3f} us, "
              f"ratio {med([a / b for a, b in zip(per, rel)]):.2f}x")
    if runs[0].get("persisted") is not None:
        print(f"  persisted == sent in every run: {all(r['persisted'] == r['server']['sent'] for r in runs)}")

# WebSocket rows beside the plain and TLS rows of the same invocation (medians).
for name, reference in [("fanout50ws", "fanout50"), ("fanout50wss", "fanout50tls")]:
    if present(name) and present(reference):
        ws = med([r["server"]["deliveries_per_sec"] for r in load(name)])
        base = med([r["server"]["deliveries_per_sec"] for r in load(reference)])
        print(f"{name}: {ws / base:.2f}x the deliveries/s of {reference}")

for name in [n for n in ["idle", "idletls", "idlelegacy", "storm", "idlews", "idlelegacysettled", "idlelegacy20k"]
             if present(n)]:
    runs = load(name)
    server = [r["server"] for r in runs]
    line = (f"{name}: {server[0]['connections']} connections, alive {min(s['alive'] for s in server)}, "
            f"server {med([s['server_rss_per_connection_kib'] for s in server]):.2f} KiB/connection")
    if runs[0].get("relay"):
        relay = [r["relay"] for r in runs]
        line += (f"; relay alive {min(r['alive'] for r in relay)}, "
                 f"{med([r['server_rss_per_connection_kib'] for r in relay]):.2f} KiB/connection")
    line += (f"; setup {med([s['setup_seconds'] for s in server]):.1f} s, quiet "
             f"{med([s.get('quiet_seconds', 0) for s in server]):.1f} s later, broadcast reached all in "
             f"{med([s['broadcast_seconds'] for s in server]):.2f} s, server RSS after "
             f"{med([s['server_rss_after_kib'] for s in server]) / 1024:.0f} MB")
    print(line)

if present("logins"):
    runs = load("logins")
    print(f"logins: p99 without {med([r['without_storm']['latency']['p99_ms'] for r in runs]):.2f} ms, "
          f"with {med([r['with_storm']['latency']['p99_ms'] for r in runs]):.2f} ms, "
          f"ratio {med([r['p99_ratio'] for r in runs]):.2f}x, "
          f"{med([r['logins_per_sec'] for r in runs]):.1f} logins/s, "
          f"server CPU {med([r['server_cpu_percent_during_storm'] for r in runs]):.0f} %, "
          f"lost {max(r['with_storm']['lost'] for r in runs)}")

if present("handshakes"):
    runs = load("handshakes")
    print(f"handshakes: {med([r['handshakes_per_sec'] for r in runs]):.0f}/s "
          f"(concurrency {runs[0]['concurrency']}), server CPU {med([r['server_cpu_percent'] for r in runs]):.0f} %, "
          f"failures {max(r['failures'] for r in runs)}")
