"""A small thread-safe LRU map: row counts and prepared queries cached per table version.

Example:
    >>> cache: LruCache[int] = LruCache(2)
    >>> cache.put(('t', 1), 10); cache.put(('t', 2), 20); cache.put(('t', 3), 30)
    >>> cache.get(('t', 1)) is None, cache.get(('t', 3))
    (True, 30)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar('V')


class LruCache(Generic[V]):
    """At most ``capacity`` entries; the least recently used one goes first."""

    def __init__(self, capacity: int = 128) -> None:
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
