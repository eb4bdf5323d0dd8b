"""A minimal WebSocket client (RFC 6455) for Burrow's PTY socket, standard library only.

CreateMicrovmShellAuthToken's parts say how to open the shell: ``ptyUrl`` (the PTY WebSocket) and
``Sec-WebSocket-Protocol`` (the subprotocols to offer: ``burrow, burrow.token.<t>``,
docs/browser-terminal.md), beside the token itself as ``X-aws-proxy-auth``. This client opens that
socket, types a command, and reads the terminal's output until it shows what the caller expects or
the deadline passes. Enough to prove a shell token opens a working shell.
"""

import base64
import os
import socket
import struct
import time
import urllib.parse

DEADLINE_SECONDS = 60
MAX_FRAME_BYTES = 1 << 20
MAX_OUTPUT_BYTES = 1 << 20
OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x1, 0x2, 0x8, 0x9, 0xA


def run_command(parts, command, expect, deadline=DEADLINE_SECONDS):
    """Types ``command`` into the PTY the shell token's ``parts`` open; the output read until ``expect`` shows (or the deadline)."""
    for name in ("ptyUrl", "Sec-WebSocket-Protocol"):
        if name not in parts:
            raise ValueError(f"the shell token's parts have no {name}: {sorted(parts)}")
    url = urllib.parse.urlsplit(parts["ptyUrl"])
    if url.scheme != "ws":
        raise ValueError(f"this client speaks ws:// only, not {parts['ptyUrl']}")
    end = time.monotonic() + deadline
    with socket.create_connection((url.hostname, url.port or 80), timeout=deadline) as s:
        key = base64.b64encode(os.urandom(16)).decode()
        s.sendall((f"GET {url.path}?cols=80&rows=24 HTTP/1.1\r\n"
                   f"Host: {url.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                   f"Sec-WebSocket-Protocol: {parts['Sec-WebSocket-Protocol']}\r\n\r\n").encode())
        reader = s.makefile("rb")
        status = reader.readline().decode(errors="replace").strip()
        while reader.readline() not in (b"\r\n", b"\n", b""):
            pass
        if " 101 " not in status + " ":
            raise ConnectionError(f"the PTY socket answered {status!r}")
        _send(s, OP_BINARY, (command + "\n").encode())
        out = b""
        while expect.encode() not in out and time.monotonic() < end and len(out) < MAX_OUTPUT_BYTES:
            s.settimeout(max(0.1, end - time.monotonic()))
            op, payload = _read(reader)
            if op == OP_BINARY:
                out += payload
            elif op == OP_PING:
                _send(s, OP_PONG, payload)
            elif op == OP_CLOSE:
                break
        _send(s, OP_CLOSE, struct.pack("!H", 1000))
        return out.decode(errors="replace")


def _send(s, op, payload):
    mask = os.urandom(4)
    n = len(payload)
    head = bytes([0x80 | op])
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 1 << 16:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    s.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))


def _read(reader):
    b0, b1 = _exactly(reader, 2)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack("!H", _exactly(reader, 2))[0]
    elif n == 127:
        n = struct.unpack("!Q", _exactly(reader, 8))[0]
    if n > MAX_FRAME_BYTES:
        raise ConnectionError(f"a {n}-byte frame")
    mask = _exactly(reader, 4) if b1 & 0x80 else None
    payload = _exactly(reader, n)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return b0 & 0x0F, payload


def _exactly(reader, n):
    data = reader.read(n)
    if data is None or len(data) != n:
        raise ConnectionError("the PTY socket closed mid-frame")
    return data
