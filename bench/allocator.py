#!/usr/bin/env python3
"""Compares server builds (allocators, memory trimming) after a connection peak.

The mimalloc build measured in BENCHMARKS.md was made at commit ab3c42e with
`cargo build --release --features mimalloc` (the feature was removed once the figures chose).

For each binary: a fresh server on config/bench.toml (own ports and directory), a join storm
of 5,000 legacy guests (`classcord-load idle --legacy`), the server's RSS at the peak, 5 s and
30 s after every connection closed, then 3 fan-out runs (50 clients, 5 senders, 5 s).

usage: python3 bench/allocator.py LABEL=BINARY [LABEL=BINARY ...]
       (classcord-load is taken from target/release)
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from procstat import free_port, rss_kib

LOAD = os.path.join("target", "release", "classcord-load")


def load(*args):
    out = subprocess.run([LOAD, "--json", *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def measure(label, binary):
    work = tempfile.mkdtemp(prefix=f"alloc-{label}-")
    port, tls_port = free_port(), free_port()
    with open("config/bench.toml") as f:
        config = f.read()
    config = config.replace("/tmp/classcord-bench", work)
    config = re.sub(r'(?m)^plain = \[.*\]', f'plain = ["127.0.0.1:{port}"]', config)
    config = re.sub(r'(?m)^tls = \[.*\]', f'tls = ["127.0.0.1:{tls_port}"]', config)
    # This script measures the TCP ports only; bench.toml's fixed web ports stay free.
    config = re.sub(r'(?m)^(web|web_tls) = \[.*\]', r'\1 = []', config)
    path = os.path.join(work, "bench.toml")
    with open(path, "w") as f:
        f.write(config)
    log = open(os.path.join(work, "server.log"), "w")
    server = subprocess.Popen([binary, "serve", "--config", path], stderr=log, stdout=log)
    addr = f"127.0.0.1:{port}"
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port)).close()
            break
        except OSError:
            time.sleep(0.1)
    pid = str(server.pid)
    result = {"label": label, "rss_start_kib": rss_kib(server.pid)}
    idle = load("idle", "--connections", "5000", "--legacy", "--addr", addr, "--server-pid", pid)
    result["alive"] = idle["server"]["alive"]
    result["rss_peak_kib"] = idle["server"]["server_rss_after_kib"]
    time.sleep(5)
    result["rss_5s_after_close_kib"] = rss_kib(server.pid)
    time.sleep(25)
    result["rss_30s_after_close_kib"] = rss_kib(server.pid)
    rates = []
    for _ in range(3):
        fanout = load("fanout", "--clients", "50", "--senders", "5", "--duration", "5",
                      "--payload", "64", "--addr", addr, "--server-pid", pid)
        rates.append(round(fanout["server"]["deliveries_per_sec"]))
    result["fanout_deliveries_per_sec"] = rates
    result["rss_after_fanout_kib"] = rss_kib(server.pid)
    server.terminate()
    server.wait()
    log.close()
    shutil.rmtree(work, ignore_errors=True)
    return result


def main():
    results = [measure(*arg.split("=", 1)) for arg in sys.argv[1:]]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
