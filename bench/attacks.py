#!/usr/bin/env python3
"""Replays the attacks of issue 9 (items 4 to 6) against fresh servers, default settings.

1. shared address: a student floods from the address a classmate also uses; how many of the
   classmate's 24 messages (2 per second) get through, and what became of the flooder;
2. login queue: 1,000 logins with a wrong password from 10 addresses at once, while a real
   user logs in from another address; the real logins' latencies and the server's CPU;
3. partial PROXY headers: 1,000 connections that send `PROXY ` and nothing more, on a
   listener that accepts PROXY from loopback; the server's CPU, how many it kept, and a real
   login's latency meanwhile;
4. channels: 20 accounts on 20 addresses each ask for 50 new channels, with the default
   (only teachers create rooms) and with 5 per account allowed.

usage: python3 bench/attacks.py target/release/classcord
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

from procstat import cpu_seconds, free_port, rss_kib


class Server:
    """`classcord serve` with the default configuration, plus `listen` lines in [listen] and
    `extra` TOML tables."""

    def __init__(self, binary, listen="", extra=""):
        self.dir = tempfile.mkdtemp(prefix="attack-")
        self.port = free_port()
        config = os.path.join(self.dir, "classcord.toml")
        with open(config, "w") as f:
            f.write(
                f'[listen]\nplain = ["127.0.0.1:{self.port}"]\ntls = []\n{listen}\n{extra}\n'
            )
        self.log = open(os.path.join(self.dir, "server.log"), "w")
        self.process = subprocess.Popen(
            [binary, "serve", "--config", config], stdout=self.log, stderr=self.log
        )
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port)).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Client:
    def __init__(self, port, source="127.0.0.1"):
        self.sock = socket.socket()
        self.sock.bind((source, 0))
        self.sock.connect(("127.0.0.1", port))
        self.sock.settimeout(30)
        self.lines = self.sock.makefile("rb")

    def send(self, value):
        self.sock.sendall(json.dumps(value).encode() + b"\n")

    def until(self, *kinds):
        while True:
            line = self.lines.readline()
            if not line:
                return None
            value = json.loads(line)
            if value.get("type") in kinds:
                return value

    def register(self, name):
        self.send({"type": "register", "username": name, "password": "secret-pw"})
        return self.until("register", "error")

    def login(self, name, password="secret-pw"):
        started = time.monotonic()
        self.send({"type": "login", "username": name, "password": password})
        reply = self.until("login", "error")
        return reply, time.monotonic() - started


def shared_address(binary):
    server = Server(binary)
    observer = Client(server.port, "127.0.0.3")
    observer.send({"type": "hello", "version": 2, "presence": False})
    observer.send({"type": "guest", "name": "observer"})
    observer.until("guest")
    flooder = Client(server.port, "127.0.0.2")
    innocent = Client(server.port, "127.0.0.2")
    for client, name in [(flooder, "flooder"), (innocent, "innocent")]:
        client.send({"type": "hello", "version": 2, "presence": False})
        client.send({"type": "guest", "name": name})
        client.until("guest")
    stop = threading.Event()
    flooder_state = {"sent": 0, "closed": False}

    def flood():
        try:
            while not stop.is_set():
                flooder.send({"type": "message", "content": "spam"})
                flooder_state["sent"] += 1
        except OSError:
            flooder_state["closed"] = True

    threading.Thread(target=flood, daemon=True).start()
    for n in range(24):
        innocent.send({"type": "message", "content": f"innocent {n}"})
        time.sleep(0.5)
    stop.set()
    innocent.send({"type": "message", "content": "innocent end"})
    seen = 0
    while True:
        line = observer.until("message")
        if line is None:
            break
        if line["content"].startswith("innocent"):
            if line["content"] == "innocent end":
                break
            seen += 1
    server.stop()
    return {
        "innocent_delivered": f"{seen}/24",
        "flooder_lines_sent": flooder_state["sent"],
        "flooder_closed": flooder_state["closed"],
    }


def login_queue(binary):
    server = Server(binary)
    registrar = Client(server.port, "127.0.0.60")
    registrar.register("victim")
    registrar.register("real")
    start_cpu = cpu_seconds(server.process.pid)
    outcomes = {"login_failed": 0, "rate_limited": 0, "other": 0}
    lock = threading.Lock()

    def attacker(address):
        clients = []
        for _ in range(100):
            try:
                client = Client(server.port, address)
                client.send({"type": "login", "username": "victim", "password": "wrong"})
                clients.append(client)
            except OSError:
                with lock:
                    outcomes["other"] += 1
        for client in clients:
            reply = client.until("login", "error") or {}
            code = reply.get("code", "other")
            with lock:
                outcomes[code if code in outcomes else "other"] += 1

    threads = [
        threading.Thread(target=attacker, args=(f"127.0.0.{10 + n}",)) for n in range(10)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    latencies = []
    for _ in range(5):
        client = Client(server.port, "127.0.0.50")
        reply, seconds = client.login("real")
        latencies.append(round(seconds * 1000))
        assert reply and reply.get("type") == "login", reply
        time.sleep(0.2)
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    cpu = cpu_seconds(server.process.pid) - start_cpu
    server.stop()
    return {
        "attack_logins": outcomes,
        "real_login_ms": latencies,
        "attack_seconds": round(seconds, 1),
        "server_cpu_percent": round(100 * cpu / seconds),
    }


def partial_proxy(binary):
    server = Server(
        binary,
        listen='proxy_protocol = ["plain"]',
        extra='[gate]\ntrusted_proxies = ["127.0.0.0/8"]',
    )
    process = server.process
    held, refused = [], 0
    start_cpu = cpu_seconds(process.pid)
    started = time.monotonic()
    for n in range(1000):
        try:
            sock = socket.socket()
            sock.bind((f"127.0.{1 + n // 250}.{1 + n % 250}", 0))
            sock.connect(("127.0.0.1", server.port))
            sock.sendall(b"PROXY ")
            held.append(sock)
        except OSError:
            refused += 1
    real = socket.socket()
    real.bind(("127.0.9.9", 0))
    real.connect(("127.0.0.1", server.port))
    real.sendall(b"PROXY TCP4 10.0.0.7 127.0.0.1 40000 12345\r\n")
    real.settimeout(30)
    lines = real.makefile("rb")
    login_started = time.monotonic()
    real.sendall(json.dumps({"type": "message", "from": "eleve", "content": ""}).encode() + b"\n")
    real.sendall(json.dumps({"type": "users"}).encode() + b"\n")
    while json.loads(lines.readline()).get("type") != "users":
        pass
    identify_ms = round((time.monotonic() - login_started) * 1000)
    time.sleep(5)
    still_open = 0
    for sock in held:
        sock.setblocking(False)
        try:
            still_open += 1 if sock.recv(1) != b"" else 0
        except BlockingIOError:
            still_open += 1
        except OSError:
            pass
    seconds = time.monotonic() - started
    cpu = cpu_seconds(process.pid) - start_cpu
    rss = rss_kib(process.pid)
    server.stop()
    return {
        "partial_headers_sent": len(held),
        "refused_at_connect": refused,
        "still_open_after_5s": still_open,
        "real_guest_identified_ms": identify_ms,
        "server_cpu_percent": round(100 * cpu / seconds),
        "server_rss_kib": rss,
    }


def channels(binary, per_account):
    """20 accounts on 20 addresses each ask for 50 new channels (within the line budget)."""
    server = Server(binary, extra=f"[limits]\nmax_channels_per_account = {per_account}")
    created = 0
    refusals = {}
    for n in range(20):
        client = Client(server.port, f"127.0.1.{n + 1}")
        client.register(f"student{n}")
        client.login(f"student{n}")
        client.send({"type": "hello", "version": 2, "presence": False})
        client.until("hello")
        for k in range(50):
            client.send({"type": "join", "channel": f"#c{n}-{k}"})
        for k in range(50):
            reply = client.until("join", "error")
            if reply["type"] == "join":
                created += 1
            else:
                refusals[reply["code"]] = refusals.get(reply["code"], 0) + 1
    server.stop()
    return {"max_channels_per_account": per_account, "channels_created": created,
            "refusals": refusals}


def main():
    binary = sys.argv[1]
    results = {}
    for name, attack in [
        ("shared_address", shared_address),
        ("login_queue", login_queue),
        ("partial_proxy", partial_proxy),
        ("channels_default", lambda binary: channels(binary, 0)),
        ("channels_five_per_account", lambda binary: channels(binary, 5)),
    ]:
        results[name] = attack(binary)
        print(name, json.dumps(results[name]), flush=True)


if __name__ == "__main__":
    main()
