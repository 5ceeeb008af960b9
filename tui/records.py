"""What the project's records are: msgspec ``Struct`` classes, frozen where they are values.

A snapshot, a config, a quote: each is a record built once and then only read, handed from the fetch thread to the
UI without locks because it cannot change. They were frozen dataclasses; as ``Struct`` classes they are the same
values (fields in order, ``==`` and ``hash`` by field, a readable ``repr``, ``replace`` from ``msgspec.structs``)
made in C. A dataclass compiles six methods when its class is created, ~0.55 ms a class, and the monitor defines
~65 of them before its first frame: ~35 ms of a ~300 ms start (BENCHMARKS.md, round 6). A ``Struct`` class costs
~0.01 ms.

The one thing dataclasses said that ``Struct`` has no word for is a field left out of ``==``
(``field(compare=False)``): the two records with such a field take their ``__eq__`` and ``__hash__`` from
:func:`value_apart_from`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from msgspec import Struct


def compared(record: Struct, ignored: str) -> tuple[Any, ...]:
    """``record``'s fields in order, apart from ``ignored``: what its ``==`` and ``hash`` go by. Compared as a tuple,
    as a record's fields are: a field that is the same object on both sides is equal even where its own ``==`` says
    otherwise (a NaN)."""
    return tuple(getattr(record, name) for name in record.__struct_fields__ if name != ignored)


def value_apart_from(ignored: str) -> tuple[Callable[[Any, object], Any], Callable[[Any], int]]:
    """``__eq__`` and ``__hash__`` for a record class whose field ``ignored`` is not part of its value::

    __eq__, __hash__ = value_apart_from("market")
    """

    def __eq__(self: Struct, other: object) -> Any:
        if type(other) is not type(self):
            return NotImplemented
        return compared(self, ignored) == compared(other, ignored)

    def __hash__(self: Struct) -> int:
        return hash(compared(self, ignored))

    return __eq__, __hash__
