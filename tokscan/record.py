"""Records: plain classes with `__slots__` that behave as the dataclasses they replace.

`dataclasses` (with the `inspect` it loads) and the code it generates for each class cost
about 15 ms at every start of `tokscan scan`; a class written out costs nothing to define.
`Record` gives what the dataclasses gave: a repr (without the fields in `_hidden`, raw
keys), equality field by field between records of the same class, pickling (processes
exchange outcomes), and `but` for `dataclasses.replace`. `Frozen` records are hashable and
refuse assignment after `__init__`, which sets their fields with `set_field`.

A subclass lists its fields in `__slots__`.
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

    def _fields(self) -> tuple[str, ...]:
        return self.__slots__

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields())

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Record)
        return self._values() == other._values()

    def __hash__(self) -> int:
        raise TypeError(f"unhashable type: {type(self).__name__!r} (its fields can change)")

    def __repr__(self) -> str:
        hidden = self._hidden
        shown = (f"{name}={getattr(self, name)!r}" for name in self._fields() if name not in hidden)
        return f"{type(self).__name__}({', '.join(shown)})"

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return _rebuilt, (type(self), self._values())

    def but(self: R, **changes: Any) -> R:
        """A copy with `changes` (what `dataclasses.replace` did)."""
        unknown = set(changes).difference(self._fields())
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {', '.join(sorted(unknown))}")
        copy = object.__new__(type(self))
        for name in self._fields():
            set_field(copy, name, changes[name] if name in changes else getattr(self, name))
        return copy


def _rebuilt(cls: type[R], values: tuple[Any, ...]) -> R:
    """A record from its pickle: the fields set as they were, `__init__` not run."""
    record = object.__new__(cls)
    for name, value in zip(record._fields(), values, strict=True):
        set_field(record, name, value)
    return record


class Frozen(Record):
    __slots__ = ()

    def __hash__(self) -> int:
        return hash(self._values())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r} of {type(self).__name__}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r} of {type(self).__name__}")
