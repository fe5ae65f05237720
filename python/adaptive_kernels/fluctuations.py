"""Finite-width fluctuations at order 1/N (the `fluctuations` command), as mpmath numbers."""
from __future__ import annotations

import dataclasses
from typing import Any, Optional

import mpmath
import numpy

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


@dataclasses.dataclass(frozen=True)
class GradientFlowFluctuations:
    """N x (finite-width quantity) as N -> infinity along gradient flow of the two-layer linear network on
    whitened data (notes/fluctuations-gradient-flow.md), approximate (RK4 + Richardson), as numpy arrays over
    `times`. prediction_variance: "label_direction" (f.y), "orthogonal_direction" (e.f, None for P = 1),
    "orthogonal_test_point" (f(x*)), and the initial kernels' parts "..._from_kernels"; ntk_variance = N Var of
    the NTK's diagonal mean; overlap_variance, overlap_mean_shift for c_1 = y^T H^T H y/N; infinite_width: the
    N = infinity trajectory ("f_dot_y", "overlap", "ntk_diagonal"); residuals: the largest residual of each
    sequence (keys as above, dotted for nested ones). On data: prediction_variance["points"] (one row per test point,
    or training point without test data) and "predictions_of"; nonlinear activations: estimated values with
    `standard_errors` (per time) instead of residuals."""

    setting: str
    gamma: str
    lambda_: str
    whitened_points: int
    times: numpy.ndarray
    prediction_variance: dict
    ntk_variance: numpy.ndarray
    overlap_variance: numpy.ndarray
    overlap_mean_shift: numpy.ndarray
    infinite_width: dict
    residuals: dict
    document: dict
    activation: str = "identity"
    standard_errors: dict = dataclasses.field(default_factory=dict)


def _approximate_sequence(obj: Optional[dict]) -> Optional[numpy.ndarray]:
    return None if obj is None else numpy.array(obj["floats"], dtype=float)


def _values(obj: Any) -> Any:
    """An approximate sequence object, a list of estimated objects (one per time) or a list of either (one per point)."""
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, dict):
        return _approximate_sequence(obj)
    if obj and isinstance(obj[0], dict) and obj[0].get("kind") == "estimated":
        return numpy.array([float(e["value"]) for e in obj])
    return numpy.array([_values(item) for item in obj])


def _errors(obj: Any) -> Any:
    """Residuals (approximate: the largest over the times) or standard errors (estimated: per time)."""
    if obj is None or isinstance(obj, str):
        return None
    if isinstance(obj, dict):
        return float(obj["residual"])
    if obj and isinstance(obj[0], dict) and obj[0].get("kind") == "estimated":
        return numpy.array([float(e["standard_error"]) for e in obj])
    return [_errors(item) for item in obj]


def _gradient_flow(document: dict) -> GradientFlowFluctuations:
    errors = {}
    for key in ("ntk_variance", "overlap_variance", "overlap_mean_shift"):
        if document[key] is not None:
            errors[key] = _errors(document[key])
    for group in ("prediction_variance", "infinite_width"):
        for key, value in document[group].items():
            if value is not None and not isinstance(value, str):
                errors[f"{group}.{key}"] = _errors(value)
    sampled = document["activation"] != "identity"
    whitened = document.get("whitened_points")
    return GradientFlowFluctuations(
        setting=document["setting"], gamma=document["gamma"], lambda_=document["lambda"],
        whitened_points=None if whitened is None else int(whitened), times=numpy.array([float(t) for t in document["times"]]),
        prediction_variance={key: _values(value) for key, value in document["prediction_variance"].items()},
        ntk_variance=_values(document["ntk_variance"]),
        overlap_variance=_values(document["overlap_variance"]),
        overlap_mean_shift=_values(document["overlap_mean_shift"]),
        infinite_width={key: _values(value) for key, value in document["infinite_width"].items()},
        residuals={} if sampled else errors, document=document, activation=document["activation"],
        standard_errors=errors if sampled else {})


@dataclasses.dataclass(frozen=True)
class DataFluctuations:
    """The Bayesian deep linear network's O(1/N) fluctuations on data (notes/fluctuations-bayes.md (FB15)-(FB21)),
    approximate (double precision) with one shared `residual`: numpy arrays overlap (c_l = y'Phi^l y/|y|^2),
    overlap_variance (N Var c_l), overlap_mean_shift (N (E c_l - c_l)); prediction_variance (N Var f at every
    test point, or every training point without test data; None at gamma = 0 with finite beta) and
    prediction_variance_from_kernels; kernel_variance = N Var(tr Phi^L / P); rank of the joint input kernel."""

    depth: int
    rank: int
    prediction_points: str
    overlap: numpy.ndarray
    overlap_variance: numpy.ndarray
    overlap_mean_shift: numpy.ndarray
    prediction_variance: Optional[numpy.ndarray]
    prediction_variance_from_kernels: numpy.ndarray
    kernel_variance: float
    residual: float
    document: dict


def _data_fluctuations(X: Any, y: Any, X_test: Any, y_test: Any, gamma: Any, beta: Any, depth: int, activation: str) -> DataFluctuations:
    from .data import _data_files
    arguments = ["fluctuations", "--setting", "bayes", "--activation", str(activation), "--gamma", exact_argument(gamma, "gamma"),
                 "--depth", str(int(depth))]
    if beta is not None:
        arguments += ["--beta", exact_argument(beta, "beta")]
    with _data_files(X, y, X_test, y_test, test_labels_required=False) as (data, _):
        document, _ = _binary.run_json([*arguments, *data])
    array = lambda obj: numpy.array([float(v) for v in obj["values"]])
    return DataFluctuations(depth=int(document["depth"]), rank=int(document["rank"]), prediction_points=document["prediction_points"],
                            overlap=array(document["overlap"]), overlap_variance=array(document["overlap_variance"]),
                            overlap_mean_shift=array(document["overlap_mean_shift"]),
                            prediction_variance=None if document["prediction_variance"] is None else array(document["prediction_variance"]),
                            prediction_variance_from_kernels=array(document["prediction_variance_from_kernels"]),
                            kernel_variance=float(document["kernel_variance"]["value"]),
                            residual=float(document["kernel_variance"].get("residual", "0")), document=document)


def fluctuations(*, gamma: Any, depth: int, beta: Any = None, setting: str = "bayes", activation: str = "identity",
                 whitened_points: Optional[int] = None, digits: int = 20, lambda_: Any = None, time: Any = None,
                 points: int = 10, X: Any = None, y: Any = None, X_test: Any = None, y_test: Any = None,
                 sites: Optional[int] = None, replicas: Optional[int] = None, seed: Optional[int] = None):
    """The O(1/N) finite-width fluctuations, on whitened data or on data (X, y).

    setting="bayes" (needs beta; whitened_points default 4): the certified fluctuations of the Bayesian deep
    linear network, a `Fluctuations`. setting="gradient-flow" (depth 1, needs time; lambda_ default 0,
    whitened_points default 3, `points` K output intervals): the approximate fluctuations of the two-layer
    linear network along gradient flow, a `GradientFlowFluctuations`. With data (X, y and optionally X_test, y_test;
    at most 16 points in all) the same on the input kernel C = X X^T/D: prediction_variance["points"] holds N Var of
    every test prediction (training predictions without X_test), one row per point. activation="relu"|"tanh"|"erf"
    (whitened or data): the sampled influence-function solver (sites, replicas, seed passed through); values are
    estimated, their standard errors in `standard_errors` (same keys), and overlap_mean_shift is None.

    setting="bayes" with data X (points x features) and labels y (and optionally X_test, y_test): the approximate
    fluctuations on general data, a `DataFluctuations`.

    Raises InvalidInputError for inputs the command refuses (including settings it does not offer
    yet) and NotCertifiedError when the enclosures cannot decide the digits."""
    if setting == "bayes" and (X is not None or y is not None):
        if X is None or y is None:
            raise ValueError("X and y go together")
        return _data_fluctuations(X, y, X_test, y_test, gamma, beta, depth, activation)
    if setting == "gradient-flow":
        arguments = ["fluctuations", "--setting", "gradient-flow", "--activation", str(activation),
                     "--depth", str(int(depth)), "--gamma", exact_argument(gamma, "gamma"), "--points", str(int(points))]
        if time is not None:
            arguments += ["--time", exact_argument(time, "time")]
        if lambda_ is not None:
            arguments += ["--lambda", exact_argument(lambda_, "lambda")]
        if beta is not None:
            arguments += ["--beta", exact_argument(beta, "beta")]
        if whitened_points is not None:
            arguments += ["--whitened-points", str(int(whitened_points))]
        for name, value in (("sites", sites), ("replicas", replicas), ("seed", seed)):
            if value is not None:
                arguments += [f"--{name}", str(int(value))]
        if X is None:
            if y is not None or X_test is not None or y_test is not None:
                raise ValueError("y, X_test and y_test need X")
            document, _ = _binary.run_json(arguments)
            return _gradient_flow(document)
        from .data import _data_files
        with _data_files(X, y, X_test, y_test, test_labels_required=False) as (data_arguments, _):
            document, _ = _binary.run_json(arguments + data_arguments)
        return _gradient_flow(document)
    if X is not None:
        raise ValueError("data (X, y) need setting='bayes' or setting='gradient-flow'")
    arguments = ["fluctuations", "--setting", str(setting), "--activation", str(activation),
                 "--gamma", exact_argument(gamma, "gamma"), "--depth", str(int(depth)),
                 "--whitened-points", str(int(4 if whitened_points is None else whitened_points)),
                 "--digits", str(int(digits))]
    if beta is not None:
        arguments += ["--beta", exact_argument(beta, "beta")]
    for name, value in (("lambda", lambda_), ("time", time)):
        if value is not None:
            arguments += [f"--{name}", exact_argument(value, name)]
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
