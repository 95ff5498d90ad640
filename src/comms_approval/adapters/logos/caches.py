"""A bounded cache for the logo checker's long-lived state (templates, transforms, conventions' logos)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Recent(Generic[K, V]):
    """At most `size` values, the least recently used dropped first.

    Safe to share between threads (the web process's check threads and its uploads share one checker): a
    lookup and its move are one step under a lock, else another thread's eviction in between raised KeyError.
    `build` runs outside the lock, so a slow build never holds up the others; two threads building the same
    key at once both build it, and the first kept is returned to both.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, build: Callable[[], V]) -> V:
        """The value kept for `key`, else `build()`'s, kept."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = build()
        with self._lock:
            kept = self._values.setdefault(key, value)
            self._values.move_to_end(key)
            if len(self._values) > self.size:
                self._values.popitem(last=False)
            return kept

    def __len__(self) -> int:
        return len(self._values)
