"""Time-dependent theories: DMFT training dynamics (`dynamics`) and the neural dynamical kernel of
Langevin learning (`ndk`). Each returns the JSON document with every approximate array turned into
a numpy array (the contract's "floats"), so `result["times"]`, `result["train_loss"]` etc. are numpy."""
from __future__ import annotations

import pathlib
import tempfile
from typing import Any, Optional

import numpy

from . import _binary
from ._numbers import exact_argument
from .data import _labels, _matrix


def _arrays(value: Any) -> Any:
    """Contract objects to numpy: approximate arrays -> numpy arrays, quantities -> float; lists of
    them stacked when they share a shape."""
    if isinstance(value, dict):
        if "floats" in value and "values" in value:
            return numpy.array([numpy.nan if x is None else x for x in value["floats"]], dtype=float)
        if "float" in value and "kind" in value:
            return float(value["float"])
        return {key: _arrays(item) for key, item in value.items()}
    if isinstance(value, list):
        items = [_arrays(item) for item in value]
        if items and all(isinstance(item, numpy.ndarray) for item in items) and len({item.shape for item in items}) == 1:
            return numpy.stack(items)
        if items and all(isinstance(item, float) for item in items):
            return numpy.array(items)
        if items and all(isinstance(item, str) and _is_decimal(item) for item in items):
            return numpy.array([float(item) for item in items])   # exact decimal strings, e.g. the output times
        return items
    return value


def _is_decimal(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _with_data(arguments: list, X: Any, y: Any, X_test: Any, y_test: Any) -> tuple:
    """Runs with the data written as .npy in a temporary folder (removed afterwards)."""
    with tempfile.TemporaryDirectory(prefix="adaptive-kernels-") as folder:
        root = pathlib.Path(folder)
        if X is not None:
            x_train = _matrix(X, "X")
            numpy.save(root / "X.npy", x_train)
            numpy.save(root / "y.npy", _labels(y, "y", x_train.shape[0]))
            arguments = [*arguments, "--train", str(root / "X.npy"), "--labels", str(root / "y.npy")]
            if X_test is not None:
                x_test = _matrix(X_test, "X_test")
                numpy.save(root / "Xt.npy", x_test)
                numpy.save(root / "yt.npy", _labels(y_test, "y_test", x_test.shape[0]) if y_test is not None else numpy.zeros(x_test.shape[0]))
                arguments += ["--test", str(root / "Xt.npy"), "--test-labels", str(root / "yt.npy")]
        return _binary.run_json(arguments)


def dynamics(*, depth: int, gamma: Any, time: Any, lambda_: Any = None, points: int = 10, X: Any = None, y: Any = None,
             X_test: Any = None, y_test: Any = None, approximation: Optional[str] = None, whitened_points: Optional[int] = None,
             widths: Optional[list] = None, seeds: Optional[int] = None, seed: Optional[int] = None,
             activation: Optional[str] = None, samples: Optional[int] = None, replicas: Optional[int] = None) -> dict:
    """The gradient-flow trajectory of a network at infinite width (DMFT): times, train/test loss,
    f.y/|y|^2, per-layer overlaps and the NTK alignment, as numpy arrays (values only; the JSON of the
    CLI has the residuals and standard errors); with `approximation` the self-consistent solution beside
    it; with `widths` finite-width networks extrapolated in 1/N. Without X: whitened single-direction
    data. `activation` relu, tanh or erf: the DMFT by sampling (depth >= 2: pathwise responses; relu through
    softplus smoothing extrapolated in the sharpness), `samples` sites per replica, `replicas` replicas."""
    arguments = ["dynamics", "--depth", str(int(depth)), "--gamma", exact_argument(gamma, "gamma"),
                 "--time", exact_argument(time, "time"), "--points", str(int(points))]
    if lambda_ is not None:
        arguments += ["--lambda", exact_argument(lambda_, "lambda")]
    if approximation is not None:
        arguments += ["--approximation", approximation]
    if whitened_points is not None:
        arguments += ["--whitened-points", str(int(whitened_points))]
    if widths is not None:
        arguments += ["--widths", ",".join(str(int(w)) for w in widths)]
    if seeds is not None:
        arguments += ["--seeds", str(int(seeds))]
    if seed is not None:
        arguments += ["--seed", str(int(seed))]
    if activation is not None:
        arguments += ["--activation", str(activation)]
    if samples is not None:
        arguments += ["--samples", str(int(samples))]
    if replicas is not None:
        arguments += ["--replicas", str(int(replicas))]
    document, _ = _with_data(arguments, X, y, X_test, y_test)
    return _arrays(document)


def ndk(X: Any, y: Any, X_test: Any = None, y_test: Any = None, *, activation: str, depth: int, temperature: Any,
        prior_variance: Any, init_variance: Any, time: Any, points: int = 40, drift: Optional[int] = None) -> dict:
    """The mean predictor of a wide network trained by Langevin dynamics (the neural dynamical
    kernel): times, train/test mean predictions along time, losses, the NTK and NNGP plateaus and the
    two time scales, as numpy arrays."""
    arguments = ["ndk", "--activation", activation, "--depth", str(int(depth)),
                 "--temperature", exact_argument(temperature, "temperature"),
                 "--prior-variance", exact_argument(prior_variance, "prior_variance"),
                 "--init-variance", exact_argument(init_variance, "init_variance"),
                 "--time", exact_argument(time, "time"), "--points", str(int(points))]
    if drift is not None:
        arguments += ["--drift", str(int(drift))]
    document, _ = _with_data(arguments, X, y, X_test, y_test)
    return _arrays(document)
