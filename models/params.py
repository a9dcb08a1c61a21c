"""A method's declared hyper-parameters (name, type, default, meaning) and their validation.

Each method class lists its params once, in ``declared_params``; :class:`models.base.ModelSpec`
reads defaults from there, and the preset's ``models.<name>.params`` are checked against it before
any job runs (an unknown or mistyped key fails, naming the key and the accepted ones).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

KIND_NAMES = {float: "number", int: "integer", bool: "boolean", str: "string"}


class ParamError(ValueError):
    """A method param is unknown, of the wrong type or outside its choices."""


@dataclass(frozen=True)
class Param:
    """One hyper-parameter: ``kind`` is float, int, bool or str; ``nullable`` allows ``None``;
    ``choices`` (if any) lists the accepted values; ``positive`` accepts only numbers above 0.
    Numbers are always finite (never NaN or infinite)."""

    name: str
    kind: type
    default: Any
    meaning: str
    choices: tuple = ()
    nullable: bool = False
    positive: bool = False

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` has this param's type (bool is no number; an int is a float) and choice."""
        if value is None:
            return self.nullable
        if isinstance(value, bool) and self.kind is not bool:
            return False
        ok = isinstance(value, (int, float)) if self.kind is float else isinstance(value, self.kind)
        if ok and self.kind in (float, int):
            ok = math.isfinite(value) and (value > 0 or not self.positive)
        return ok and (not self.choices or value in self.choices)

    def expected(self) -> str:
        """Words for the accepted values, e.g. ``'a number'`` or ``'one of ['sum', 'mean']'``."""
        kind = ("a positive " if self.positive else "a finite ") + KIND_NAMES[self.kind] \
            if self.kind in (float, int) else f"a {KIND_NAMES[self.kind]}"
        text = f"one of {list(self.choices)}" if self.choices else kind
        return text + (" or null" if self.nullable else "")


def declare(*params: Param) -> dict[str, Param]:
    """The params as a mapping name -> :class:`Param` (merge with ``{**parent, **declare(...)}``)."""
    return {p.name: p for p in params}


def check_params(declared: Mapping[str, Param], values: Mapping[str, Any], where: str) -> None:
    """Raise :class:`ParamError` for the first key of ``values`` that ``declared`` lacks or whose
    value it does not accept; ``where`` is the key path of ``values`` (e.g. ``models.vae.params``)."""
    for key, value in values.items():
        if key not in declared:
            raise ParamError(f"unknown param '{where}.{key}'; accepted params: {sorted(declared)}")
        if not declared[key].accepts(value):
            raise ParamError(f"invalid value {value!r} at '{where}.{key}': expected {declared[key].expected()} "
                             f"({declared[key].meaning})")
