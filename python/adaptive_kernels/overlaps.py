"""Certified whitened overlaps: every positive root of c (b+c)^(2L) = ((b+c)^2 + gamma^2 c)^L."""
from __future__ import annotations

import csv
import dataclasses
import io
from typing import Any, Iterable, Sequence

import mpmath

from . import _binary
from ._numbers import exact_argument, to_float, to_interval, to_mpf


@dataclasses.dataclass(frozen=True)
class Root:
    """One saddle of the whitened aNBK: every value certified to `digits` significant digits.

    c, chi, action: mpmath.mpf (correctly rounded decimals, read at digits + 10 working digits);
    overlaps[i] is c_l for l = layers[i]; enclosure is an mpmath.mpi that contains the exact c_L;
    dominant marks the root of smallest action (where the posterior concentrates)."""

    c: mpmath.mpf
    chi: mpmath.mpf
    action: mpmath.mpf
    overlaps: list
    layers: list
    enclosure: mpmath.mpi
    dominant: bool
    stationarity: str
    digits: int


def _value(obj: dict, key: str) -> Any:
    return obj[key]


def _enclosure(root: dict, digits: int) -> mpmath.mpi:
    for lower, upper in (("lower", "upper"), ("c_lower", "c_upper")):
        if lower in root and upper in root:
            return to_interval(root[lower], root[upper], digits + 3)
    c = root["c"]
    if isinstance(c, dict) and "lower" in c and "upper" in c:
        return to_interval(c["lower"], c["upper"], digits + 3)
    raise KeyError("the overlaps JSON has no enclosure of c")


def overlaps(gamma: Any, beta: Any, depth: int, digits: int = 30, layers: str | Sequence[int] | None = None) -> list[Root]:
    """Every positive root for exact gamma, beta (beta may be "inf" or math.inf) and depth L.

    Inputs are read exactly (a float is the dyadic rational it is). Raises InvalidInputError
    (a ValueError) for inputs the theory does not define and NotCertifiedError when the solver
    cannot certify the answer."""
    arguments = ["overlaps", "--gamma", exact_argument(gamma, "gamma"), "--beta", exact_argument(beta, "beta"),
                 "--depth", str(int(depth)), "--digits", str(int(digits))]
    if layers is not None:
        arguments += ["--layers", layers if isinstance(layers, str) else ",".join(str(int(l)) for l in layers)]
    document, _ = _binary.run_json(arguments)
    layer_list = [int(l) for l in document["layers"]]
    result = []
    for root in document["roots"]:
        result.append(Root(
            c=to_mpf(root["c"], digits), chi=to_mpf(root["chi"], digits), action=to_mpf(root["action"], digits),
            overlaps=[to_mpf(v, digits) for v in root["overlaps"]], layers=layer_list,
            enclosure=_enclosure(root, digits), dominant=bool(root["dominant"]),
            stationarity=str(root["stationarity"]), digits=digits))
    return result


def _list_argument(values: Any, name: str) -> str:
    if isinstance(values, str):
        return values
    if isinstance(values, range):
        step = values.step
        last = values[-1] if len(values) else values.start
        return f"{values.start}...{last}" + (f":{step}" if step != 1 else "")
    if isinstance(values, Iterable):
        return ",".join(exact_argument(v, name) for v in values)
    return exact_argument(values, name)


_INTEGER_COLUMNS = {"depth", "root", "roots", "layer"}
_TEXT_COLUMNS = {"stationarity"}
_BOOL_COLUMNS = {"dominant", "local_minimum"}
_EXACT_COLUMNS = {"gamma", "beta"}


def sweep(gamma: Any, beta: Any, depth: Any, digits: int = 20, layers: bool = False, as_frame: bool | None = None):
    """A grid of whitened solves: gamma, beta and depth each a value, a list, a range or the CLI's
    list syntax ("1...64", "1/2...2:1/2"). One row per root (per root and layer with layers=True).

    Returns a pandas DataFrame when pandas is installed (as_frame=None) or asked for (True): numeric
    dtypes for every value column, the exact parameters as strings in gamma_exact and beta_exact;
    otherwise a list of dicts with the same keys."""
    arguments = ["sweep", "--gamma", _list_argument(gamma, "gamma"), "--beta", _list_argument(beta, "beta"),
                 "--depth", _list_argument(depth, "depth"), "--digits", str(int(digits)), "--format", "csv"]
    if layers:
        arguments += ["--layers", "all"]
    process = _binary.run(arguments)
    rows = []
    for raw in csv.DictReader(io.StringIO(process.stdout)):
        row: dict[str, Any] = {}
        for key, text in raw.items():
            if key in _INTEGER_COLUMNS:
                row[key] = int(text)
            elif key in _BOOL_COLUMNS:
                row[key] = text.strip().lower() in ("1", "true")
            elif key in _TEXT_COLUMNS:
                row[key] = text
            elif key in _EXACT_COLUMNS:
                row[key + "_exact"] = text
                row[key] = to_float(_exact_to_decimal(text))
            else:
                row[key] = float(text) if text != "" else float("nan")
        rows.append(row)
    if as_frame is False:
        return rows
    try:
        import pandas
    except ImportError:
        if as_frame:
            raise
        return rows
    return pandas.DataFrame(rows)


def _exact_to_decimal(text: str) -> str:
    if "/" in text:
        numerator, denominator = text.split("/")
        return repr(float(mpmath.mpf(numerator) / mpmath.mpf(denominator)))
    return text
