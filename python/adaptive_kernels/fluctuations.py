"""Finite-width fluctuations at order 1/N (the `fluctuations` command), as mpmath numbers."""
from __future__ import annotations

import dataclasses
from typing import Any, Optional

import mpmath

from . import _binary
from ._numbers import exact_argument, to_interval, to_mpf


@dataclasses.dataclass(frozen=True)
class Fluctuations:
    """N x (finite-width quantity) as N -> infinity, every value certified to `digits` digits.

    overlap[l - 1] = c_l at infinite width; overlap_variance[l - 1] = N Var(c_l);
    overlap_mean_shift[l - 1] = N (E c_l - c_l); *_enclosures are mpmath.mpi containing the exact
    values. prediction_variance: N Var of y.f and of e.f (e orthogonal to y, unit), total (None where
    unbounded: gamma = 0 with finite beta) and the kernels' part ("..._from_kernels");
    kernel_variance = N Var(tr Phi^L / P)."""

    setting: str
    depth: int
    whitened_points: int
    digits: int
    overlap: list
    overlap_variance: list
    overlap_variance_enclosures: list
    overlap_mean_shift: list
    overlap_mean_shift_enclosures: list
    prediction_variance: dict
    kernel_variance: mpmath.mpf


def _sequence(obj: dict, digits: int) -> tuple[list, list]:
    values = [to_mpf(v, digits) for v in obj["values"]]
    enclosures = [to_interval(lo, hi, digits + 3) for lo, hi in zip(obj["values_lower"], obj["values_upper"])]
    return values, enclosures


def _single(obj: Optional[dict], digits: int) -> Optional[mpmath.mpf]:
    return None if obj is None else to_mpf(obj["value"], digits)


def fluctuations(*, gamma: Any, beta: Any, depth: int, setting: str = "bayes", activation: str = "identity",
                 whitened_points: int = 4, digits: int = 20) -> Fluctuations:
    """The certified O(1/N) fluctuations of the Bayesian deep linear network on whitened data.

    Raises InvalidInputError for inputs the command refuses (including settings it does not offer
    yet) and NotCertifiedError when the enclosures cannot decide the digits."""
    arguments = ["fluctuations", "--setting", str(setting), "--activation", str(activation),
                 "--gamma", exact_argument(gamma, "gamma"), "--beta", exact_argument(beta, "beta"),
                 "--depth", str(int(depth)), "--whitened-points", str(int(whitened_points)),
                 "--digits", str(int(digits))]
    document, _ = _binary.run_json(arguments)
    overlap, _ = _sequence(document["overlap"], digits)
    variance, variance_enclosures = _sequence(document["overlap_variance"], digits)
    shift, shift_enclosures = _sequence(document["overlap_mean_shift"], digits)
    predictions = {key: _single(value, digits) for key, value in document["prediction_variance"].items()}
    return Fluctuations(setting=document["setting"], depth=int(document["depth"]),
                        whitened_points=int(document["whitened_points"]), digits=digits, overlap=overlap,
                        overlap_variance=variance, overlap_variance_enclosures=variance_enclosures,
                        overlap_mean_shift=shift, overlap_mean_shift_enclosures=shift_enclosures,
                        prediction_variance=predictions, kernel_variance=_single(document["kernel_variance"], digits))
