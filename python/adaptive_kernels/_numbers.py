"""Exact arguments in, mpmath / float values out.

Arguments are passed to the executable exactly: a float is the dyadic rational it is (0.1 is sent as
3602879701896397/36028797018963968, not as "0.1"), a Fraction as p/q, a str as written. Values come
back as decimal strings (certified: correctly rounded) or as the contract's objects
{"value": "...", "float": ...}; both are accepted here.
"""
from __future__ import annotations

import decimal
import fractions
import math
import numbers
from typing import Any

import mpmath


def exact_argument(value: Any, name: str) -> str:
    """The exact text of a parameter for the command line."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a number or a string, not bool")
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValueError(f"{name} is empty")
        return text
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, fractions.Fraction):
        return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            return "inf" if value > 0 else str(value)
        return exact_argument(fractions.Fraction(value), name)
    if isinstance(value, float):
        if math.isinf(value) and value > 0:
            return "inf"
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite (got {value})")
        return exact_argument(fractions.Fraction(value), name)
    if isinstance(value, mpmath.mpf):
        if mpmath.isinf(value) and value > 0:
            return "inf"
        if not mpmath.isfinite(value):
            raise ValueError(f"{name} must be finite (got {value})")
        mantissa, exponent = mpmath.mpf(value).man_exp
        return exact_argument(fractions.Fraction(mantissa) * fractions.Fraction(2) ** exponent, name)
    raise TypeError(f"{name} must be str, int, Fraction, Decimal, float or mpmath.mpf (got {type(value).__name__})")


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return _text(value["value"])
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    raise TypeError(f"not a number in the output contract: {value!r}")


def to_mpf(value: Any, digits: int) -> mpmath.mpf:
    """A decimal string (or contract object) as an mpmath number at `digits` significant digits
    plus guard digits, so the printed digits survive the conversion."""
    with mpmath.workdps(digits + 10):
        return mpmath.mpf(_text(value))


def to_float(value: Any) -> float:
    """A contract value as a float: the object's "float" copy when it has one, else the decimal."""
    if isinstance(value, dict) and "float" in value:
        return float(value["float"])
    text = _text(value)
    return math.inf if text == "inf" else float(text)


def to_interval(lower: Any, upper: Any, digits: int) -> mpmath.mpi:
    """An enclosure [lower, upper] as an mpmath interval (endpoints rounded outward by mpmath)."""
    with mpmath.workdps(digits + 10):
        return mpmath.mpi(_text(lower), _text(upper))
