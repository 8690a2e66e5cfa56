"""Simulated clock: ``now = start + real elapsed * speed + manual advances``.

Simulated time starts at the real wall-clock time (so timestamps look plausible) and never
goes backwards: changing the speed re-bases the clock at the current simulated instant.
Speed 0 freezes time, which makes tests fully deterministic with :meth:`Clock.advance`.
"""
from __future__ import annotations

import threading
import time
import typing as t


class Clock:
    """Thread-safe simulated clock (seconds since the epoch, as floats)."""

    def __init__(self, speed: float = 1.0, start: float | None = None,
                 monotonic: t.Callable[[], float] = time.monotonic) -> None:
        if speed < 0:
            raise ValueError('speed must be >= 0')
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._base_sim = time.time() if start is None else start
        self._base_real = monotonic()
        self._speed = float(speed)

    @property
    def speed(self) -> float:
        """Simulated seconds per real second."""
        return self._speed

    def now(self) -> float:
        """Current simulated time (epoch seconds)."""
        with self._lock:
            return self._base_sim + (self._monotonic() - self._base_real) * self._speed

    def wall(self, moment: float) -> float:
        """The real epoch time at which simulated time reaches ``moment``, at the current speed.

        For what a client compares with its own clock (an HTTP rate-limit reset time): a window of
        simulated time that ends 60 s from now ends 6 real seconds from now at speed 10. Frozen (speed
        0), simulated seconds are taken as real ones.
        """
        with self._lock:
            sim_now = self._base_sim + (self._monotonic() - self._base_real) * self._speed
            speed = self._speed
        return time.time() + (moment - sim_now) / (speed or 1.0)

    def set_speed(self, speed: float) -> None:
        """Change the speed from now on; the simulated time does not jump."""
        if speed < 0:
            raise ValueError('speed must be >= 0')
        now = self.now()
        with self._lock:
            self._base_sim = now
            self._base_real = self._monotonic()
            self._speed = float(speed)

    def advance(self, seconds: float) -> None:
        """Jump ``seconds`` (>= 0) forward in simulated time."""
        if seconds < 0:
            raise ValueError('the clock cannot go backwards')
        with self._lock:
            self._base_sim += seconds
