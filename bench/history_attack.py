"""The history amplification attack of issue 9, replayed against a running server.

A writer posts 50 messages of 4,000 astral characters (12 bytes each once escaped); then
`attackers` guests each send `requests` history requests of 500 messages and never read, while
a legitimate client logs in once a second. Prints the server's peak RSS and CPU time, how the
attackers ended, and the legitimate logins' latencies.

Usage: python3 bench/history_attack.py PORT SERVER_PID [attackers] [requests]
"""

import json
import socket
import sys
import threading
import time

from procstat import cpu_seconds, rss_kib


def connect(port):
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(30)
    return sock, sock.makefile("rb")


def send(sock, value):
    sock.sendall(json.dumps(value).encode() + b"\n")


def read_until(lines, kind):
    while True:
        line = json.loads(lines.readline())
        if line.get("type") == kind:
            return line


def main():
    port, pid = int(sys.argv[1]), int(sys.argv[2])
    attackers = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    requests = int(sys.argv[4]) if len(sys.argv) > 4 else 25

    writer, writer_lines = connect(port)
    send(writer, {"type": "hello", "version": 2})
    send(writer, {"type": "guest", "name": "writer"})
    read_until(writer_lines, "guest")
    for n in range(50):
        send(writer, {"type": "message", "content": f"{n:04}" + "\U0001F600" * 3996})
        time.sleep(0.01)
    send(writer, {"type": "users"})
    read_until(writer_lines, "users")

    account, account_lines = connect(port)
    send(account, {"type": "register", "username": "legit", "password": "pw"})
    account_lines.readline()
    account.close()

    rss_before, cpu_before = rss_kib(pid), cpu_seconds(pid)
    peak = [rss_before]
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            peak[0] = max(peak[0], rss_kib(pid))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()

    attacks = []
    for n in range(attackers):
        sock, _ = connect(port)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(b'{"type":"hello","version":2}\n{"type":"guest","name":"a%d"}\n' % n)
        attacks.append(sock)
    started = time.time()
    login_ms = []
    sent = [0] * attackers
    closed = [False] * attackers
    while time.time() - started < 10:
        for n, sock in enumerate(attacks):
            if closed[n] or sent[n] >= requests:
                continue
            try:
                sock.sendall(b'{"type":"history","limit":500}\n')
                sent[n] += 1
            except OSError:
                closed[n] = True
        t0 = time.time()
        legit, legit_lines = connect(port)
        send(legit, {"type": "login", "username": "legit", "password": "pw"})
        legit_lines.readline()
        login_ms.append((time.time() - t0) * 1000)
        legit.close()
        time.sleep(0.1)
    stop.set()
    watcher.join()
    for n, sock in enumerate(attacks):
        try:
            sock.setblocking(False)
            if sock.recv(1) == b"":
                closed[n] = True
        except BlockingIOError:
            pass
        except OSError:
            closed[n] = True
    login_ms.sort()
    print(json.dumps({
        "rss_before_kib": rss_before,
        "rss_peak_kib": peak[0],
        "cpu_seconds": round(cpu_seconds(pid) - cpu_before, 2),
        "requests_sent": sent,
        "attackers_closed": sum(closed),
        "logins": len(login_ms),
        "login_ms_median": round(login_ms[len(login_ms) // 2], 1),
        "login_ms_max": round(login_ms[-1], 1),
    }, indent=2))


if __name__ == "__main__":
    main()
