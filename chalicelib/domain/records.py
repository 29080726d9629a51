"""The base of the gateway's own records (an intercept, its events and claims, a platform, a merchant's
settings): stdlib dataclasses, not pydantic models.

Records are built from values the gateway already checked (a request body validated at the edge by
`chalicelib.domain.requests`) or wrote itself (items read back from the table), so they need no
validator, only their values turned back into their types: enum members from their values, nested
records from dicts. Keeping pydantic out of them keeps its import and its schema builds (tens of
milliseconds on a cold start) off every function that does not validate client input: the workers,
the schedules, the callbacks. Only the API's request bodies are pydantic models.

A record speaks the few pydantic methods the code uses (`model_validate`, `model_dump`,
`model_copy`), with the same meaning, so stores and use cases read the same either way. Unlike a
pydantic model it does not check a plain value's type (an `int` field given a string keeps it):
what reaches a record has been checked before.
"""
from __future__ import annotations

import dataclasses
import enum
import types
import typing
from typing import Any, Callable, ClassVar, Iterable, TypeVar

R = TypeVar("R", bound="Record")

_Convert = Callable[[Any], Any]


def record(cls: type[R]) -> type[R]:
    """Make `cls` (a subclass of Record) a keyword-only dataclass."""
    return dataclasses.dataclass(kw_only=True)(cls)


class Record:
    #: (field name, converter) for the fields whose values need one; built on the first record made.
    _converters: ClassVar[tuple[tuple[str, _Convert], ...] | None] = None
    _names: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._converters = None

    def __post_init__(self) -> None:
        converters = type(self)._converters
        if converters is None:
            converters = type(self)._prepare()
        for name, convert in converters:
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, convert(value))

    @classmethod
    def _prepare(cls) -> tuple[tuple[str, _Convert], ...]:
        # Annotations are strings (`from __future__ import annotations`): resolved once, on first use.
        hints = typing.get_type_hints(cls)
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]
        cls._names = frozenset(field.name for field in fields)
        cls._converters = tuple((field.name, convert) for field in fields
                                if (convert := _converter(hints[field.name])) is not None)
        return cls._converters

    # -- the pydantic methods the gateway uses ---------------------------------------------------------

    @classmethod
    def model_validate(cls: type[R], values: Any) -> R:
        """A record from its fields (other keys, such as an item's bookkeeping attributes, are ignored)."""
        if isinstance(values, cls):
            return values
        if cls._converters is None:
            cls._prepare()
        return cls(**{name: value for name, value in values.items() if name in cls._names})

    def model_dump(self, mode: str = "python", exclude: Iterable[str] | None = None) -> dict[str, Any]:
        """The fields as a dict, nested records as dicts; `mode="json"` also gives enums as their values."""
        skip = frozenset(exclude or ())
        as_json = mode == "json"
        return {field.name: _dump(getattr(self, field.name), as_json)
                for field in dataclasses.fields(self) if field.name not in skip}  # type: ignore[arg-type]

    def model_copy(self: R, update: dict[str, Any] | None = None) -> R:
        """A shallow copy with `update` applied (converted like any other value)."""
        return dataclasses.replace(self, **(update or {}))  # type: ignore[type-var]


def _dump(value: Any, as_json: bool) -> Any:
    if isinstance(value, Record):
        return value.model_dump("json" if as_json else "python")
    if isinstance(value, enum.Enum):
        return value.value if as_json else value
    if isinstance(value, list):
        return [_dump(item, as_json) for item in value]
    if isinstance(value, dict):
        return {_dump(key, as_json): _dump(item, as_json) for key, item in value.items()}
    return value


def _converter(hint: Any) -> _Convert | None:
    """What turns a stored or dumped value back into `hint`'s type; None where the value is already it."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [_converter(option) for option in typing.get_args(hint) if option is not type(None)]
        return options[0] if len(options) == 1 else None
    if origin is list:
        (item,) = typing.get_args(hint) or (Any,)
        convert_item = _converter(item)
        return None if convert_item is None else (lambda values: [convert_item(value) for value in values])
    if origin is dict:
        key, item = typing.get_args(hint) or (Any, Any)
        convert_key, convert_item = _converter(key) or _same, _converter(item) or _same
        if convert_key is _same and convert_item is _same:
            return None
        return lambda values: {convert_key(name): convert_item(value) for name, value in values.items()}
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return lambda value: value if isinstance(value, hint) else hint(value)
    if isinstance(hint, type) and issubclass(hint, Record):
        return hint.model_validate
    return None


def _same(value: Any) -> Any:
    return value
