#!/usr/bin/env python3
"""Manual integration check for burrow-agent's test mode (not run by `make test`).

    make && python3 test/agent_smoke.py build/burrow-agent [--mode nobody|userns|plain]

Plays the host: listens on a unix socket, starts `burrow-agent --connect SOCK`, and speaks
protocol v1 (docs/PROTOCOL.md) at it. HELLO applies uniqueness for real, so as root the agent
never runs unconfined on this machine:
  nobody  (default as root) the agent runs as uid 65534: every uniqueness step fails and is
          reported; commands run as 65534.
  userns  the agent is root in a new user+UTS+mount namespace with /etc/machine-id and
          /var/lib/dbus covered by scratch mounts: hostname and machine-id succeed there,
          clock and rng fail (no privilege over the real machine).
  plain   (default when not root) run as the invoking user.

    python3 test/agent_smoke.py --socket PATH

connects instead to a booted microVM's agent socket (QEMU `-chardev socket,server=on`), runs
the same checks as root inside the guest, then disconnects and reconnects to check that the
agent survives the host going away (hang-up) and answers a new HELLO.
"""
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib

T = dict(HELLO=1, HELLO_ACK=2, PING=3, PONG=4, ANNOUNCE=5, ENTRYPOINT_EXIT=6, LOG=7,
         STATS=8, STATS_REPLY=9,
         EXEC=0x10, STARTED=0x11, STDIN=0x12, STDOUT=0x13, STDERR=0x14, EXIT=0x15,
         SIGNAL=0x16, WINDOW=0x17, TCP_CONNECT=0x18, CONNECTED=0x19, DATA=0x1A, CLOSE=0x1B,
         ERROR=0x1F)
NAME = {v: k for k, v in T.items()}


FRAME_COST = 128  # protocol 2: credit a data frame takes on top of its payload


def frame(t, stream, payload=b"", version=1):
    hdr = b"BRW1" + bytes([version, t]) + struct.pack("<HII", 0, stream, len(payload))
    return hdr + struct.pack("<I", zlib.crc32(hdr + payload) & 0xFFFFFFFF) + payload


def s_(b):
    b = b.encode() if isinstance(b, str) else b
    return struct.pack("<I", len(b)) + b


def strs(items):
    return struct.pack("<I", len(items)) + b"".join(s_(x) for x in items)


class Reader:
    def __init__(self, payload):
        self.p, self.o = payload, 0

    def take(self, n):
        assert self.o + n <= len(self.p), "payload too short"
        v = self.p[self.o:self.o + n]
        self.o += n
        return v

    def u8(self): return self.take(1)[0]
    def u32(self): return struct.unpack("<I", self.take(4))[0]
    def i32(self): return struct.unpack("<i", self.take(4))[0]
    def u64(self): return struct.unpack("<Q", self.take(8))[0]
    def str(self): return self.take(self.u32()).decode()

    def done(self):
        assert self.o == len(self.p), "trailing bytes"


class Host:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.pending = []  # frames read but not yet wanted
        self.logs = []

    def send(self, t, stream, payload=b""):
        self.sock.sendall(frame(t, stream, payload))

    def _read_one(self, deadline):
        while True:
            i = self.buf.find(b"BRW1")
            if i >= 0 and len(self.buf) >= i + 20:
                ver, t, _flags, stream, ln, crc = struct.unpack("<BBHIII", self.buf[i + 4:i + 20])
                assert i == 0, f"agent sent {i} garbage bytes"
                assert ver == 1 and ln <= 65536
                if len(self.buf) >= 20 + ln:
                    payload = self.buf[20:20 + ln]
                    assert zlib.crc32(self.buf[:16] + payload) & 0xFFFFFFFF == crc, "bad CRC"
                    self.buf = self.buf[20 + ln:]
                    return t, stream, payload
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no frame from the agent")
            self.sock.settimeout(left)
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise EOFError("agent closed the socket")
            self.buf += chunk

    def expect(self, want_types, stream=None, timeout=5.0):
        """Next frame of one of want_types (on stream, if given); LOG frames are collected."""
        want_types = [want_types] if isinstance(want_types, int) else want_types
        deadline = time.monotonic() + timeout
        for k, f in enumerate(self.pending):
            if f[0] in want_types and (stream is None or f[1] == stream):
                return self.pending.pop(k)
        while True:
            f = self._read_one(deadline)
            if f[0] == T["LOG"]:
                self.logs.append(Reader(f[2]).str())
                continue
            if f[0] in want_types and (stream is None or f[1] == stream):
                return f
            self.pending.append(f)

    def quiet(self, stream, seconds):
        """Asserts nothing arrives for stream within seconds."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                f = self._read_one(deadline)
                assert f[1] != stream, f"unexpected {NAME.get(f[0])} on stream {stream}"
                self.pending.append(f)
        except TimeoutError:
            pass

    def hello(self, hostname="smoke-vm", mid=None):
        nonce = int.from_bytes(os.urandom(8), "little")
        mid = mid or os.urandom(16).hex()
        ent = os.urandom(64)
        self.send(T["HELLO"], 0, struct.pack("<QQI", nonce, time.time_ns(), len(ent)) + ent +
                  s_(hostname) + s_(mid))
        _, _, p = self.expect(T["HELLO_ACK"], 0)
        r = Reader(p)
        ack = dict(nonce=r.u64(), version=r.u32(), agent=r.str(), problems=r.u32(),
                   detail=r.str(), ep_state=r.u8(), ep_code=r.i32(), ep_signal=r.i32())
        r.done()
        assert ack["nonce"] == nonce and ack["version"] == 2, ack
        return ack, mid

    def exec(self, stream, argv, flags=0, user="", cwd="", env=()):
        self.send(T["EXEC"], stream, struct.pack("<I", flags) + s_(user) + s_(cwd) +
                  strs(argv) + strs(list(env)))

    def collect(self, stream, timeout=5.0):
        """Reads a whole exec: returns (pid, stdout, stderr, exit_code, signal)."""
        t, _, p = self.expect([T["STARTED"], T["ERROR"]], stream, timeout)
        if t == T["ERROR"]:
            raise RuntimeError("ERROR: " + Reader(p).str())
        pid = Reader(p).u32()
        out, err = b"", b""
        while True:
            t, _, p = self.expect([T["STDOUT"], T["STDERR"], T["EXIT"], T["ERROR"]], stream, timeout)
            if t == T["STDOUT"]:
                out += p
            elif t == T["STDERR"]:
                err += p
            elif t == T["ERROR"]:
                raise RuntimeError("ERROR: " + Reader(p).str())
            else:
                r = Reader(p)
                code, sig = r.i32(), r.i32()
                r.done()
                return pid, out, err, code, sig
            if t in (T["STDOUT"], T["STDERR"]):
                self.send(T["WINDOW"], stream, struct.pack("<I", len(p) + FRAME_COST))

    def stats(self):
        """One STATS round trip: (total, idle, agent, ticks_per_second, cpus)."""
        nonce = int.from_bytes(os.urandom(8), "little")
        self.send(T["STATS"], 0, struct.pack("<Q", nonce))
        _, _, p = self.expect(T["STATS_REPLY"], 0)
        assert len(p) == 40, f"STATS_REPLY of {len(p)} bytes"
        got, total, idle, agent, hz, cpus = struct.unpack("<QQQQII", p)
        assert got == nonce, "STATS_REPLY for another nonce"
        return total, idle, agent, hz, cpus

    def error(self, stream, timeout=5.0):
        _, _, p = self.expect(T["ERROR"], stream, timeout)
        return Reader(p).str()


def pid_gone(h, mode, pid, user):
    time.sleep(0.2)
    if mode != "socket":
        return not os.path.exists(f"/proc/{pid}")
    h.exec(999, ["sh", "-c", f"kill -0 {pid} 2>/dev/null"], user=user)
    return h.collect(999)[3] != 0


def run_checks(h, check, mode, user, mid_file):

    # ANNOUNCE, then an EXEC before HELLO is refused.
    if mode != "socket-again":
        _, _, p = h.expect(T["ANNOUNCE"], 0)
        r = Reader(p)
        check("ANNOUNCE", r.u32() == 2 and r.str() != "")
    h.exec(99, ["true"])
    check("EXEC before HELLO refused", "HELLO" in h.error(99))

    ack, mid = h.hello()
    check("HELLO_ACK", True, f"problems=0x{ack['problems']:x} detail={ack['detail']!r}")
    if mode == "nobody":
        check("uniqueness failures reported", ack["problems"] == 0xF)
    if mode == "socket":
        check("all uniqueness applied", ack["problems"] == 0, ack["detail"])
    if mode == "userns":
        check("hostname and machine-id applied", ack["problems"] & 0xC == 0, ack["detail"])
        check("machine-id file written", open(mid_file).read() == mid + "\n")

    h.send(T["PING"], 0, b"abc")
    check("PING/PONG", h.expect(T["PONG"], 0)[2] == b"abc")

    pid, out, err, code, sig = h.collect(h.exec(1, ["echo", "hi"], user=user) or 1)
    check("echo hi", out == b"hi\n" and err == b"" and code == 0 and sig == 0, f"{out!r} {code}")

    h.exec(2, ["sh", "-c", "echo err >&2; exit 3"], user=user)
    _, out, err, code, sig = h.collect(2)
    check("stderr + exit 3", out == b"" and err == b"err\n" and code == 3, f"{err!r} {code}")

    h.exec(3, ["no-such-command-xyz"], user=user)
    _, out, err, code, sig = h.collect(3)
    check("missing command: 127", code == 127 and b"no-such-command-xyz" in err, f"{err!r} {code}")

    h.exec(4, ["/etc/passwd"], user=user)
    _, out, err, code, sig = h.collect(4)
    check("not executable: 126", code == 126 and b"Permission denied" in err, f"{err!r} {code}")

    h.exec(5, ["cat"], flags=1, user=user)
    h.expect(T["STARTED"], 5)
    h.send(T["STDIN"], 5, b"hello stdin\n")
    h.send(T["STDIN"], 5, b"")
    h.pending.insert(0, (T["STARTED"], 5, struct.pack("<I", 0)))
    _, out, err, code, sig = h.collect(5)
    check("stdin to cat", out == b"hello stdin\n" and code == 0, f"{out!r} {code}")
    t, _, p = h.expect(T["WINDOW"], 5)
    # 12 bytes + two frames' cost (the data and the EOF), in one WINDOW or two
    credit = Reader(p).u32()
    if credit < 12 + 2 * FRAME_COST:
        credit += Reader(h.expect(T["WINDOW"], 5)[2]).u32()
    check("stdin credit returned", credit == 12 + 2 * FRAME_COST, str(credit))

    h.exec(6, ["cat"], user=user)  # stdin flag clear: EOF at once
    _, out, err, code, sig = h.collect(6)
    check("stdin closed without flag", out == b"" and code == 0)

    t0 = time.monotonic()
    h.exec(7, ["sh", "-c", "sleep 5 & echo bg"], user=user)
    _, out, err, code, sig = h.collect(7)
    dt = time.monotonic() - t0
    check("background child does not hold the exec", out == b"bg\n" and code == 0 and dt < 1.0,
          f"{dt:.3f}s")

    h.exec(8, ["sh", "-c", "echo $FOO:$HOME:$USER; pwd"], user=user, cwd="/tmp",
           env=["FOO=bar", "HOME=/override"])
    _, out, err, code, sig = h.collect(8)
    check("env and cwd", out.startswith(b"bar:/override:") and out.endswith(b"\n/tmp\n"), repr(out))

    h.exec(9, ["sleep", "30"], user=user)
    h.expect(T["STARTED"], 9)
    h.send(T["SIGNAL"], 9, struct.pack("<i", 15))
    h.pending.insert(0, (T["STARTED"], 9, struct.pack("<I", 0)))
    _, out, err, code, sig = h.collect(9)
    check("SIGNAL TERM", code == 143 and sig == 15, f"{code} {sig}")

    h.exec(10, ["sleep", "30"], user=user)
    _, _, p = h.expect(T["STARTED"], 10)
    spid = Reader(p).u32()
    h.send(T["CLOSE"], 10)
    h.quiet(10, 0.5)
    gone = pid_gone(h, mode, spid, user)
    check("CLOSE kills, no EXIT", gone)

    # Flow control: 1 MB through a 256 KiB window, replenished by collect().
    h.exec(11, ["head", "-c", "1000000", "/dev/zero"], user=user)
    _, out, err, code, sig = h.collect(11, timeout=10)
    check("1 MB stdout with WINDOW credit", len(out) == 1000000 and code == 0, str(len(out)))

    # Without credit replenishment the agent stops at the window.
    h.exec(12, ["head", "-c", "1000000", "/dev/zero"], user=user)
    h.expect(T["STARTED"], 12)
    got = nframes = 0
    deadline = time.monotonic() + 1.0
    try:
        while True:
            f = h._read_one(deadline)
            if f[1] == 12 and f[0] == T["STDOUT"]:
                got += len(f[2])
                nframes += 1
            elif f[1] == 12:
                break
    except TimeoutError:
        pass
    check("output stops at the window", got + nframes * FRAME_COST > 262144 - FRAME_COST - 1
          and got + nframes * FRAME_COST <= 262144, f"{got} bytes in {nframes} frames")
    h.send(T["CLOSE"], 12)

    h.exec(13, ["true"], user="no-such-user-xyz")
    check("unknown user → ERROR", "unknown user" in h.error(13))

    # TCP tunnel.
    if mode != "socket":
        ls = socket.socket()
        ls.bind(("127.0.0.1", 0))
        ls.listen(1)
        port = ls.getsockname()[1]
        h.send(T["TCP_CONNECT"], 20, struct.pack("<H", port))
        h.expect(T["CONNECTED"], 20)
        c, _ = ls.accept()
        h.send(T["DATA"], 20, b"ping over tcp")
        c.settimeout(5)
        check("TCP host→guest", c.recv(100) == b"ping over tcp")
        c.sendall(b"pong over tcp")
        _, _, p = h.expect(T["DATA"], 20)
        check("TCP guest→host", p == b"pong over tcp")
        h.send(T["DATA"], 20, b"")
        check("TCP host EOF → shutdown", c.recv(100) == b"")
        c.close()
        _, _, p = h.expect(T["DATA"], 20)
        check("TCP guest EOF → empty DATA", p == b"")
        h.expect(T["CLOSE"], 20)
        check("TCP both closed → CLOSE", True)
        ls.close()

        h.send(T["TCP_CONNECT"], 21, struct.pack("<H", port))
        msg = h.error(21)
        check("TCP refused → ERROR", msg == f"connect 127.0.0.1:{port}: Connection refused", msg)


    else:
        h.exec(22, ["sh", "-c", "echo hello-from-guest | nc -l -p 5555"], user=user)
        h.expect(T["STARTED"], 22)
        time.sleep(0.3)
        h.send(T["TCP_CONNECT"], 20, struct.pack("<H", 5555))
        h.expect(T["CONNECTED"], 20)
        _, _, p = h.expect(T["DATA"], 20)
        check("TCP guest→host", p == b"hello-from-guest\n", repr(p))
        h.send(T["DATA"], 20, b"hi nc\n")
        _, _, p = h.expect(T["STDOUT"], 22)
        check("TCP host→guest", p == b"hi nc\n", repr(p))
        h.send(T["CLOSE"], 20)
        h.send(T["CLOSE"], 22)
        h.send(T["TCP_CONNECT"], 21, struct.pack("<H", 5556))
        msg = h.error(21)
        check("TCP refused → ERROR", msg == "connect 127.0.0.1:5556: Connection refused", msg)

    # Malformed payloads and violations: ERROR, agent carries on.
    h.send(T["EXEC"], 30, b"\x00\x00\x00")
    check("truncated EXEC → ERROR", "bad EXEC" in h.error(30))
    h.send(T["TCP_CONNECT"], 31, b"\x50\x00\x00")
    check("TCP_CONNECT trailing byte → ERROR", "bad TCP_CONNECT" in h.error(31))
    h.exec(32, ["sleep", "30"], user=user)
    h.expect(T["STARTED"], 32)
    h.send(T["WINDOW"], 32, struct.pack("<I", 0x7FFFFFFF))
    check("WINDOW overflow → ERROR", "overflow" in h.error(32))
    h.exec(33, ["sleep", "30"], flags=1, user=user)  # never reads: its pipe fills up
    h.expect(T["STARTED"], 33)
    for n in (65536, 65536, 65536, 262144 - 3 * (65536 + FRAME_COST) - FRAME_COST):
        h.send(T["STDIN"], 33, b"x" * n)  # exactly the initial window, frame costs included
    credit = 0
    deadline = time.monotonic() + 0.5
    try:
        while True:
            f = h._read_one(deadline)
            if f[1] == 33 and f[0] == T["WINDOW"]:
                credit += Reader(f[2]).u32()
            else:
                h.pending.append(f)
    except TimeoutError:
        pass
    extra = credit + 10
    while extra > 0:
        n = min(extra, 65536)
        h.send(T["STDIN"], 33, b"x" * n)
        extra -= n
    check("STDIN beyond window → ERROR", "window" in h.error(33))

    # Garbage and a corrupt frame are skipped; the channel keeps working.
    bad = bytearray(frame(T["PING"], 0, b"corrupt"))
    bad[-1] ^= 1
    h.sock.sendall(b"garbage!" + bytes(bad) + frame(T["PING"], 0, b"after"))
    check("resync after garbage/corrupt frame", h.expect(T["PONG"], 0)[2] == b"after")

    # Entrypoint: exit reported on the control stream and in HELLO_ACK.
    h.exec(40, ["sh", "-c", "exit 7"], flags=4, user=user)
    h.expect(T["STARTED"], 40)
    _, _, p = h.expect(T["ENTRYPOINT_EXIT"], 0)
    r = Reader(p)
    check("ENTRYPOINT_EXIT", (r.i32(), r.i32()) == (7, 0))

    # A new HELLO closes leftover streams (not the entrypoint) and reports the entrypoint.
    h.exec(41, ["sleep", "30"], user=user)
    _, _, p = h.expect(T["STARTED"], 41)
    lpid = Reader(p).u32()
    ack, _ = h.hello()
    time.sleep(0.2)
    check("re-HELLO: entrypoint state in ACK", (ack["ep_state"], ack["ep_code"]) == (2, 7))
    check("re-HELLO: leftover stream killed", pid_gone(h, mode, lpid, user))

    # Fatal (version 2): state dropped; streams refused until the next HELLO.
    h.sock.sendall(frame(T["PING"], 0, b"x", version=2))
    time.sleep(0.3)  # the agent discards whatever it had buffered with the bad frame
    h.exec(50, ["true"], user=user)
    check("after fatal: EXEC refused", "HELLO" in h.error(50))
    h.hello()
    h.exec(51, ["true"], user=user)
    check("after fatal + HELLO: EXEC works", h.collect(51)[3] == 0)

    # STATS: the guest's CPU counters; an exec's CPU is not the agent's.
    total, idle, agent, hz, cpus = h.stats()
    check("STATS_REPLY", hz >= 1 and cpus >= 1 and idle <= total, f"{hz} ticks/s, {cpus} cpus")
    h.exec(52, ["sh", "-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done"], user=user)
    check("CPU-bound exec", h.collect(52, timeout=60)[3] == 0)
    total2, idle2, agent2, _, _ = h.stats()
    check("STATS: counters grow, a child's CPU is not the agent's",
          total2 > total and idle2 >= idle and agent2 - agent <= 1,
          f"busy +{(total2 - idle2) - (total - idle)} ticks, agent +{agent2 - agent}")
    h.send(T["STATS"], 0, b"1234567")
    check("malformed STATS: no answer, a LOG", h.stats()[0] >= total2 and any("bad STATS" in l for l in h.logs))



def main_socket(path):
    ok = []

    def check(name, cond, detail=""):
        print(("ok   " if cond else "FAIL ") + name + (f"  ({detail})" if detail else ""))
        ok.append(bool(cond))

    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(path)
    h = Host(conn)
    run_checks(h, check, "socket", "", None)
    h.exec(60, ["hostname"])
    check("hostname set in guest", h.collect(60)[1] == b"smoke-vm\n")
    conn.close()
    # The host is gone: the agent must idle (not spin) and take a new connection.
    time.sleep(2)
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(path)
    h = Host(conn)
    ack, _ = h.hello(hostname="second-host")
    check("reconnect + HELLO", ack["problems"] == 0, ack["detail"])
    h.exec(61, ["hostname"])
    check("second HELLO applied", h.collect(61)[1] == b"second-host\n")
    conn.close()
    print(f"{sum(ok)}/{len(ok)} checks passed")
    sys.exit(0 if all(ok) else 1)


def main():
    args = sys.argv[1:]
    if "--socket" in args:
        return main_socket(args[args.index("--socket") + 1])
    agent = os.path.abspath(args[0] if args and not args[0].startswith("--") else "build/burrow-agent")
    mode = "nobody" if os.geteuid() == 0 else "plain"
    if "--mode" in args:
        mode = args[args.index("--mode") + 1]
    tmp = tempfile.mkdtemp(prefix="burrow-smoke-")
    os.chmod(tmp, 0o755)
    path = os.path.join(tmp, "agent.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    os.chmod(path, 0o777)
    srv.listen(1)

    if mode == "nobody":
        user = "65534:65534"
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", agent, "--connect", path]
    elif mode == "userns":
        user = ""
        mid_file = os.path.join(tmp, "machine-id")
        open(mid_file, "w").close()
        script = ('mount --bind "$1" /etc/machine-id && '
                  '{ [ ! -d /var/lib/dbus ] || mount -t tmpfs tmpfs /var/lib/dbus; } && '
                  'exec "$2" --connect "$3"')
        cmd = ["unshare", "--user", "--map-root-user", "--uts", "--mount", "--",
               "sh", "-c", script, "sh", mid_file, agent, path]
    else:
        user = f"{os.getuid()}:{os.getgid()}"
        cmd = [agent, "--connect", path]
    print(f"mode {mode}: {' '.join(cmd)}")
    proc = subprocess.Popen(cmd)
    srv.settimeout(5)
    conn, _ = srv.accept()
    h = Host(conn)
    ok = []

    def check(name, cond, detail=""):
        print(("ok   " if cond else "FAIL ") + name + (f"  ({detail})" if detail else ""))
        ok.append(bool(cond))

    run_checks(h, check, mode, user, locals().get("mid_file"))
    conn.close()
    try:
        rc = proc.wait(timeout=3)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = None
    check("agent exits 0 at EOF", rc == 0, str(rc))
    if h.logs:
        print("LOG frames:", h.logs)
    os.unlink(path)
    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)
    print(f"{sum(ok)}/{len(ok)} checks passed")
    sys.exit(0 if all(ok) else 1)


if __name__ == "__main__":
    main()
