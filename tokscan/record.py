"""Records: plain classes with `__slots__` that behave as the dataclasses they replace.

`dataclasses` (with the `inspect` it loads) and the code it generates for each class cost
about 15 ms at every start of `tokscan scan`; a class written out costs nothing to define.
`Record` gives what the dataclasses gave: a repr (without the fields in `_hidden`, raw
keys), equality field by field between records of the same class, pickling (processes
exchange outcomes), and `but` for `dataclasses.replace`. `Frozen` records are hashable and
refuse assignment after `__init__`, which sets their fields with `set_field`.

A subclass lists its fields in `__slots__`, in the order of its `__init__`'s parameters.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar

    R = TypeVar("R", bound="Record")

set_field = object.__setattr__


class Record:
    __slots__ = ()
    _hidden: tuple[str, ...] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]  # a record that can change has no hash

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={getattr(self, name)!r}" for name in self.__slots__ if name not in self._hidden
        )
        return f"{type(self).__name__}({shown})"

    def __reduce__(self) -> tuple[type[Record], tuple[Any, ...]]:
        return type(self), self._values()

    def but(self: R, **changes: Any) -> R:
        """A copy with `changes` (what `dataclasses.replace` did)."""
        unknown = set(changes).difference(self.__slots__)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {', '.join(sorted(unknown))}")
        copy = object.__new__(type(self))
        for name in self.__slots__:
            set_field(copy, name, changes[name] if name in changes else getattr(self, name))
        return copy


class Frozen(Record):
    __slots__ = ()

    def __hash__(self) -> int:
        return hash(self._values())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r} of {type(self).__name__}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r} of {type(self).__name__}")
