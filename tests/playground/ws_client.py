"""A minimal WebSocket client (RFC 6455, text frames only), enough to read the Playground's stream.

The project does not depend on a WebSocket library, and this test only needs to read
the JSON the Microsoft 365 Agents Playground pushes when the bot answers, so a small
stdlib client does: the handshake, unmasked server frames, ping/pong and close.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import socket
import struct
import time

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class WebSocketClosed(Exception):
    pass


class WebSocket:
    def __init__(self, host: str, port: int, path: str, *, timeout: float = 10.0) -> None:
        self._sock = socket.create_connection((host, port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self._sock.sendall(request.encode())
        self._buffer = b""
        head = self._read_until(b"\r\n\r\n", deadline=time.monotonic() + timeout)
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status + b" ":
            raise ConnectionError(f"WebSocket handshake refused: {status!r}")
        accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest())
        if accept not in head:
            raise ConnectionError("WebSocket handshake: wrong Sec-WebSocket-Accept")

    def _read_until(self, marker: bytes, *, deadline: float) -> bytes:
        while marker not in self._buffer:
            self._fill(deadline)
        head, _, self._buffer = self._buffer.partition(marker)
        return head

    def _fill(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        self._sock.settimeout(remaining)
        chunk = self._sock.recv(65536)
        if not chunk:
            raise WebSocketClosed("connection closed")
        self._buffer += chunk

    def _take(self, n: int, deadline: float) -> bytes:
        while len(self._buffer) < n:
            self._fill(deadline)
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        header = bytes([0x80 | opcode])
        length = len(payload)
        if length < 126:
            header += bytes([0x80 | length])
        elif length < 65536:
            header += bytes([0x80 | 126]) + struct.pack("!H", length)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", length)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self._sock.sendall(header + mask + masked)

    def recv(self, timeout: float) -> str | None:
        """The next text message, or None if none arrived within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        message = b""
        try:
            while True:
                first, second = self._take(2, deadline)
                fin, opcode = first & 0x80, first & 0x0F
                length = second & 0x7F
                if length == 126:
                    (length,) = struct.unpack("!H", self._take(2, deadline))
                elif length == 127:
                    (length,) = struct.unpack("!Q", self._take(8, deadline))
                mask = self._take(4, deadline) if second & 0x80 else b""
                payload = self._take(length, deadline)
                if mask:
                    payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
                if opcode == 0x8:
                    raise WebSocketClosed("closed by the server")
                if opcode == 0x9:
                    self._send_frame(0xA, payload)
                    continue
                if opcode in (0x0, 0x1, 0x2):
                    message += payload
                    if fin:
                        return message.decode("utf-8", "replace")
        except TimeoutError:
            return None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._send_frame(0x8, b"")
        self._sock.close()
