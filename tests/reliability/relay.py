# -*- coding: utf-8 -*-
# Copyright (c) cicd.pipelines contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A TCP relay on 127.0.0.1 in front of the simulator, so a campaign can take one vendor's network away.

The simulator injects faults per request; what it cannot do is stop accepting connections, because
its own control API shares the port. The relay forwards bytes unchanged (so signatures over the Host
header still hold) and can go dark: `outage(seconds)` closes the listening socket (new connections are
refused, as when a server is down), aborts the connections in flight with a RST, and listens again on
the same port afterwards. A RST from the simulator (its `reset` and `commit_then_drop` faults) is passed
on as a RST, so the client sees what it would see without the relay.
"""

from __future__ import annotations

import select
import socket
import struct
import threading
import time
import typing as t

LOOPBACK = '127.0.0.1'


def _abort(sock: socket.socket) -> None:
    """Close with a RST (SO_LINGER 0) instead of a FIN."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


class Relay:
    """Forward 127.0.0.1:`port` to 127.0.0.1:`target_port`; `outage()` refuses connections for a while."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.outages = 0
        self._lock = threading.Lock()
        self._listener: t.Optional[socket.socket] = None
        self._pairs: t.Set[t.Tuple[socket.socket, socket.socket]] = set()
        self._closed = False
        self._listen()

    @property
    def url(self) -> str:
        return 'http://%s:%d' % (LOOPBACK, self.port)

    def _listen(self) -> None:
        # Linux refuses to bind the port again while a connection accepted on it is still open: those
        # are being torn down by the outage, so try for a few seconds.
        deadline = time.monotonic() + 10
        while True:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                listener.bind((LOOPBACK, self.port))
                break
            except OSError:
                listener.close()
                if time.monotonic() > deadline:
                    raise
                self._drop_all()
                time.sleep(0.1)
        listener.listen(64)
        self.port = listener.getsockname()[1]
        with self._lock:
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), name='relay-accept', daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _address = listener.accept()
            except OSError:
                return  # closed: an outage or the end
            try:
                upstream = socket.create_connection((LOOPBACK, self.target_port), timeout=10)
            except OSError:
                _abort(client)
                continue
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.settimeout(None)
            pair = (client, upstream)
            with self._lock:
                self._pairs.add(pair)
            threading.Thread(target=self._pump, args=(pair,), name='relay-pump', daemon=True).start()

    def _pump(self, pair: t.Tuple[socket.socket, socket.socket]) -> None:
        """Copy both ways until one side closes; a reset on one side becomes a reset on the other."""
        client, upstream = pair
        other = {client: upstream, upstream: client}
        reset = False
        try:
            while True:
                ready, _w, _x = select.select([client, upstream], [], [], 1.0)
                if self._closed:
                    reset = True
                    break
                done = False
                for sock in ready:
                    try:
                        data = sock.recv(65536)
                    except ConnectionResetError:
                        reset = done = True
                        break
                    if not data:
                        done = True
                        break
                    other[sock].sendall(data)
                if done:
                    break
        except (OSError, ValueError):  # ValueError: an outage closed a socket under select()
            reset = True
        finally:
            with self._lock:
                self._pairs.discard(pair)
            for sock in pair:
                if reset:
                    _abort(sock)
                else:
                    try:
                        sock.close()
                    except OSError:
                        pass

    def outage(self, seconds: float) -> None:
        """Refuse every connection for `seconds` (blocking), dropping the ones in flight; then serve again."""
        with self._lock:
            listener, self._listener = self._listener, None
            pairs = list(self._pairs)
        if listener is not None:
            listener.close()
        for client, upstream in pairs:
            _abort(client)
            _abort(upstream)
        self.outages += 1
        time.sleep(0.2)  # connections accepted just before the close
        self._drop_all()
        time.sleep(seconds)
        if not self._closed:
            self._listen()

    def _drop_all(self) -> None:
        with self._lock:
            pairs = list(self._pairs)
        for client, upstream in pairs:
            _abort(client)
            _abort(upstream)

    def close(self) -> None:
        self._closed = True
        with self._lock:
            listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
