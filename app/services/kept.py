"""Results kept in this process's memory by a key, each made once when many requests ask at once.

For what a room of phones asks for again and again and what is the same for all of them while
its key stays the same: an outcome by the state of its round's ballots, a ballot form by its
round's frozen menu. Nothing here is needed by another instance: each keeps and makes its own
copy, and a key says everything the result is made of, so a result is never served for another
state. A kept value may carry what it was made with, checked by the caller (`same`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class Kept(Generic[V]):
    """The last `size` results by key, the oldest used dropped first; one maker per key at a time:
    whoever asks while the first request makes a result waits for it instead of making it too."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()
        self.making: dict[Hashable, threading.Lock] = {}

    def get(
        self,
        key: Hashable,
        make: Callable[[], V],
        same: Callable[[V], bool] = lambda _value: True,
    ) -> V:
        """The kept value of this key (when `same` accepts it), else the one `make` returns."""
        found = self._found(key, same)
        if found is not None:
            return found
        with self._lock:
            making = self.making.setdefault(key, threading.Lock())
        try:
            with making:
                found = self._found(key, same)  # made meanwhile by the request that went first
                if found is None:
                    found = make()
                    with self._lock:
                        self._kept[key] = found
                        self._kept.move_to_end(key)
                        while len(self._kept) > self.size:
                            self._kept.popitem(last=False)
        finally:
            with self._lock:
                self.making.pop(key, None)
        return found

    def clear(self) -> None:
        """Forget every kept value."""
        with self._lock:
            self._kept.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._kept)

    def _found(self, key: Hashable, same: Callable[[V], bool]) -> V | None:
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
        if kept is not None and same(kept):
            return kept
        return None
