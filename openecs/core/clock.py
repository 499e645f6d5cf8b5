"""The engine's clock: real time by default, sped up or stepped by hand in tests.

Virtual time runs at ``speed`` times real time from an anchor, plus whatever
was stepped with :meth:`Clock.advance`. Timed transitions (a boot that takes
three seconds) are scheduled and checked in virtual time, so a test can step
the clock instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Clock:
    def __init__(self, speed: float = 1.0, offset: float = 0.0) -> None:
        if speed <= 0:
            raise ValueError("clock speed must be positive")
        self._lock = threading.Lock()
        self._speed = speed
        self._anchor_real = time.time()
        self._anchor_virtual = self._anchor_real + offset
        self._listeners: list[Callable[[], None]] = []

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> float:
        """Virtual seconds since the epoch."""
        real = time.time()
        return self._anchor_virtual + (real - self._anchor_real) * self._speed

    def offset(self) -> float:
        """How far virtual time is ahead of real time, in seconds."""
        return self.now() - time.time()

    def advance(self, seconds: float) -> float:
        """Step virtual time forward; returns the new virtual now."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            now_real = time.time()
            self._anchor_virtual = self.now() + seconds
            self._anchor_real = now_real
        self._notify()
        return self.now()

    def set_speed(self, speed: float) -> None:
        if speed <= 0:
            raise ValueError("clock speed must be positive")
        with self._lock:
            self._anchor_virtual = self.now()
            self._anchor_real = time.time()
            self._speed = speed
        self._notify()

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` whenever the clock is stepped or its speed changes."""
        self._listeners.append(listener)

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()
