"""Values derived from tensors, cached on the tensors' identity: the
normalised adjacency of a graph, the known-edge keys of the negative
sampler, the targets of the full loss. Each is built once per graph tensor
and rebuilt when the tensor changes in place or is replaced."""
from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any


#: What :meth:`TensorCache.peek` returns for a value not cached (``None``
#: may be a cached value).
MISSING = object()


class TensorCache:
    """A small LRU cache of values derived from tensors, keyed on the
    tensors' identity and in-place version (never on their address alone,
    which a new tensor may reuse)."""

    def __init__(self, size: int = 8):
        self.size = size
        self.entries: OrderedDict = OrderedDict()

    @staticmethod
    def _key(tensors: tuple, extra: tuple) -> tuple:
        return tuple((id(t), t._version) if t is not None else None
                     for t in tensors) + extra

    def peek(self, tensors: tuple, extra: tuple) -> Any:
        """The cached value, or :data:`MISSING`."""
        self._drop_stale()
        key = self._key(tensors, extra)
        entry = self.entries.get(key)
        if entry is not None and all(
                (ref is None and t is None) or (ref is not None and ref() is t)
                for ref, t in zip(entry[0], tensors)):
            self.entries.move_to_end(key)
            return entry[1]
        return MISSING

    def put(self, tensors: tuple, extra: tuple, value: Any) -> Any:
        """Cache ``value`` for ``tensors`` (replacing any) and return it."""
        self._drop_stale()
        refs = tuple(weakref.ref(t) if t is not None else None
                     for t in tensors)
        self.entries[self._key(tensors, extra)] = (refs, value)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)
        return value

    def get(self, tensors: tuple, extra: tuple, build: Callable[[], Any]
            ) -> Any:
        """The cached value, built and cached first if missing."""
        value = self.peek(tensors, extra)
        return value if value is not MISSING else \
            self.put(tensors, extra, build())

    def _drop_stale(self) -> None:
        """Free the values of tensors that are gone (at most ``size``
        entries to look at: microseconds), and then of those that only a
        freed value held."""
        while stale := [k for k, (refs, _) in self.entries.items()
                        if any(r is not None and r() is None for r in refs)]:
            for key in stale:
                del self.entries[key]

    def clear(self) -> None:
        self.entries.clear()
