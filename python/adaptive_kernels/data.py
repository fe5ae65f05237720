"""Adaptive kernels on data: the deep linear aNBK (`kernels`) and aNTK (`antk --train`) as numpy.

Arrays go to the executable as .npy files in a temporary directory (removed afterwards) and the
kernels come back from the files it writes there. Values on this path are at working precision
(kind "approximate", with residuals); with exact=True `kernels` takes the certified path."""
from __future__ import annotations

import contextlib
import csv
import dataclasses
import json
import pathlib
import tempfile
from typing import Any, Optional

import numpy

from . import _binary
from ._numbers import exact_argument, to_float, to_mpf


@dataclasses.dataclass
class DataResult:
    """What one solve on data returned.

    kernels: {"phi_1": P x P array, ..., "cross_L": test x train, "ntk": ...} as written by the
    executable; predictions: {"train": {predictor: array}, "test": {predictor: array}};
    train_loss / test_loss: {predictor: float} (mean squared error, no factor 1/2);
    document: the full JSON document (adaptive-kernels/2 contract)."""

    kernels: dict
    predictions: dict
    train_loss: dict
    test_loss: Optional[dict]
    document: dict


def _matrix(x: Any, name: str, rows: Optional[int] = None) -> numpy.ndarray:
    array = numpy.asarray(x, dtype=numpy.float64)
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2 or array.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array (points x features), got shape {array.shape}")
    if not numpy.all(numpy.isfinite(array)):
        raise ValueError(f"{name} has non-finite entries")
    if rows is not None and array.shape[0] != rows:
        raise ValueError(f"{name} has {array.shape[0]} rows, expected {rows}")
    return numpy.ascontiguousarray(array)


def _labels(y: Any, name: str, rows: int) -> numpy.ndarray:
    array = numpy.asarray(y, dtype=numpy.float64).reshape(-1)
    if array.shape[0] != rows:
        raise ValueError(f"{name} has {array.shape[0]} entries, expected {rows}")
    if not numpy.all(numpy.isfinite(array)):
        raise ValueError(f"{name} has non-finite entries")
    return array


def _read_predictions(path: pathlib.Path) -> dict:
    if not path.is_file():
        return {}
    with path.open() as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        return {}
    keys = [k for k in rows[0].keys() if k not in ("index", "label")]
    return {k: numpy.array([float(r[k]) if r[k] != "" else numpy.nan for r in rows]) for k in keys}


def _losses(document: dict, key: str) -> Optional[dict]:
    losses = document.get(key)
    if losses is None:
        return None
    return {name: to_float(value) for name, value in losses.items()}


@contextlib.contextmanager
def _data_files(X: Any, y: Any, X_test: Any, y_test: Any, *, test_labels_required: bool):
    """Writes X, y (and X_test with its labels) as .npy files in a temporary directory and yields
    (the data options, the --out-dir folder); the directory is removed afterwards. Without y_test the
    test labels are zeros (the executable pairs test points with labels for the test loss), unless
    `test_labels_required`."""
    x_train = _matrix(X, "X")
    y_train = _labels(y, "y", x_train.shape[0])
    with tempfile.TemporaryDirectory(prefix="adaptive-kernels-") as folder:
        root = pathlib.Path(folder)
        numpy.save(root / "X.npy", x_train)
        numpy.save(root / "y.npy", y_train)
        arguments = ["--train", str(root / "X.npy"), "--labels", str(root / "y.npy")]
        if X_test is not None:
            if y_test is None and test_labels_required:
                raise ValueError("X_test needs y_test here (the test loss is reported)")
            x_test = _matrix(X_test, "X_test")
            if x_test.shape[1] != x_train.shape[1]:
                raise ValueError(f"X_test has {x_test.shape[1]} features, X has {x_train.shape[1]}")
            labels = _labels(y_test, "y_test", x_test.shape[0]) if y_test is not None else numpy.zeros(x_test.shape[0])
            numpy.save(root / "Xt.npy", x_test)
            numpy.save(root / "yt.npy", labels)
            arguments += ["--test", str(root / "Xt.npy"), "--test-labels", str(root / "yt.npy")]
        yield arguments, root / "out"


def _solve(command: list, X: Any, y: Any, X_test: Any, y_test: Any, all_layers: bool) -> DataResult:
    # Without test labels the test loss is against zeros and is dropped here.
    with _data_files(X, y, X_test, y_test, test_labels_required=False) as (data, out):
        arguments = [*command, *data, "--out-dir", str(out)]
        if all_layers:
            arguments.append("--all-layers")
        document, _ = _binary.run_json(arguments)
        kernels = {p.stem: numpy.load(p) for p in sorted(out.glob("*.npy"))}
        predictions = {"train": _read_predictions(out / "train_predictions.csv"),
                       "test": _read_predictions(out / "test_predictions.csv")}
    test_loss = _losses(document, "test_loss") if (X_test is not None and y_test is not None) else None
    return DataResult(kernels=kernels, predictions=predictions, train_loss=_losses(document, "train_loss") or {},
                      test_loss=test_loss, document=document)


def kernels(X: Any, y: Any, X_test: Any = None, y_test: Any = None, *, gamma: Any, beta: Any, depth: int,
            all_layers: bool = True, exact: bool = False, digits: int = 30):
    """Deep linear aNBK (Bayesian adaptive kernels) with input kernel C = X X^T / D.

    Returns a DataResult (kernels per layer as numpy arrays, predictions of aNBK and the lazy NNGP /
    NTK baselines, losses). With exact=True the certified path runs instead (X and y read exactly as
    the dyadic rationals their floats are, P <= 64) and the JSON document is returned with the
    certified values as mpmath numbers under "roots"."""
    command = ["kernels", "--gamma", exact_argument(gamma, "gamma"), "--beta", exact_argument(beta, "beta"),
               "--depth", str(int(depth))]
    if exact:
        if X_test is not None:
            raise ValueError("the certified path (exact=True) has no test set")
        x_train = _matrix(X, "X")
        y_train = _labels(y, "y", x_train.shape[0])
        with tempfile.TemporaryDirectory(prefix="adaptive-kernels-") as folder:
            root = pathlib.Path(folder)
            numpy.save(root / "X.npy", x_train)
            numpy.save(root / "y.npy", y_train)
            document, _ = _binary.run_json([*command, "--exact", "--digits", str(int(digits)),
                                            "--train", str(root / "X.npy"), "--labels", str(root / "y.npy")])
        for root_object in document.get("roots", []):
            for key in ("u", "chi", "spike_t", "action"):
                root_object[key] = to_mpf(root_object[key], digits)
            root_object["overlaps"] = [to_mpf(v, digits) for v in root_object.get("overlaps", [])]
        return document
    return _solve(command, X, y, X_test, y_test, all_layers)


def _estimated(document: dict) -> DataResult:
    """A DataResult from a document whose losses and predictions are estimated objects (population
    DMFT, trained networks): values as floats; standard errors stay in `document`."""
    where = document.get("predictions_of", "test")
    command = document["command"]
    name = "antk" if command.startswith("antk") else "anbk" if command == "anbk" else "network"
    predictions = {"train": {}, "test": {}}
    predictions[where][name] = numpy.array([to_float(v) for v in document.get("predictions", [])])

    def losses(key: str) -> Optional[dict]:
        value = document.get(key)
        if value is None:
            return None
        if isinstance(value, dict) and "kind" in value:
            return {name: to_float(value)}
        return {k: to_float(v) for k, v in value.items()}
    return DataResult(kernels={}, predictions=predictions, train_loss=losses("train_loss") or {},
                      test_loss=losses("test_loss"), document=document)


def _run_estimated(command: list, X: Any, y: Any, X_test: Any, y_test: Any) -> DataResult:
    with _data_files(X, y, X_test, y_test, test_labels_required=True) as (data, out):
        document, _ = _binary.run_json([*command, *data, "--out-dir", str(out)])
        result = _estimated(document)
        result.kernels = {p.stem: numpy.load(p) for p in sorted(out.glob("*.npy"))}
    return result


def antk(X: Any, y: Any, X_test: Any = None, y_test: Any = None, *, gamma: Any, lambda_: Any, depth: int,
         beta: Any = None, all_layers: bool = True, activation: str = "identity", solver: Optional[str] = None,
         population: Optional[int] = None, seeds: Optional[int] = None, seed: Optional[int] = None,
         time: Any = None) -> DataResult:
    """The aNTK: the fixed point of gradient flow with weight decay lambda_ on C = X X^T / D.

    activation "identity" (default): the deep linear solver, with the aNBK at beta (default 1/lambda_)
    and the lazy NTK for comparison. Another activation (relu, tanh, erf), or solver="dmft": the
    two-layer population DMFT (depth 1), with the lazy NNGP and NTK; its values are means over
    `seeds` populations of `population` neurons (standard errors in result.document)."""
    command = ["antk", "--gamma", exact_argument(gamma, "gamma"), "--lambda", exact_argument(lambda_, "lambda"),
               "--depth", str(int(depth))]
    if activation != "identity" or solver == "dmft":
        command += ["--activation", str(activation)] + (["--solver", "dmft"] if solver == "dmft" else [])
        for key, value in (("population", population), ("seeds", seeds), ("seed", seed), ("time", time)):
            if value is not None:
                command += [f"--{key}", str(value)]
        return _run_estimated(command, X, y, X_test, y_test)
    if beta is not None:
        command += ["--beta", exact_argument(beta, "beta")]
    return _solve(command, X, y, X_test, y_test, all_layers)


def anbk(X: Any, y: Any, X_test: Any = None, y_test: Any = None, *, activation: str, depth: int, gamma: Any, beta: Any,
         solver: Optional[str] = None, samples: Optional[int] = None, burn_in: Optional[int] = None,
         measured: Optional[int] = None, seed: Optional[int] = None, sampler: Optional[str] = None,
         replicas: Optional[int] = None) -> DataResult:
    """The aNBK (Bayesian adaptive kernels) of depth `depth` with `activation` on C = X X^T / D.

    Another activation than identity, or solver="minmax": the min-max saddle (the paper's Algorithm 1)
    with `samples` walkers (sampler "smc", the default) or importance samples (sampler "importance") per
    layer and iteration; its values are estimated (standard errors in result.document, each with its
    "degrees_of_freedom": `replicas` - 1, the independent replicas of the run pair whose scatter gives the
    error, 8 by default; notes/anbk-data.md (NB28)). activation "identity": the exact deep linear saddle by default.
    Kernels: phi_<l>_train (P x P) and phi_<l>_test (Q x P) per layer. A min-max that does not
    converge raises NotCertifiedError (the report and the reason are in the exception)."""
    command = ["anbk", "--activation", str(activation), "--depth", str(int(depth)), "--gamma", exact_argument(gamma, "gamma"),
               "--beta", exact_argument(beta, "beta")]
    if solver is not None:
        command += ["--solver", str(solver)]
    if sampler is not None:
        command += ["--sampler", str(sampler)]
    for key, value in (("samples", samples), ("burn-in", burn_in), ("measured", measured), ("seed", seed), ("replicas", replicas)):
        if value is not None:
            command += [f"--{key}", str(int(value))]
    with _data_files(X, y, X_test, y_test, test_labels_required=True) as (data, out):
        document, _ = _binary.run_json([*command, *data, "--out-dir", str(out)])
        result = _estimated(document)
        result.kernels = {p.stem: numpy.load(p) for p in sorted(out.glob("*.npy"))}
    return result


def train(X: Any, y: Any, X_test: Any = None, y_test: Any = None, *, activation: str, depth: int, width: int, gamma: Any,
          lambda_: Any = None, beta: Any = None, seeds: int = 8, seed: int = 1, time: Any = None) -> DataResult:
    """Actual width-`width` networks trained on (X, y): gradient flow with weight decay lambda_, or
    Langevin sampling of the posterior at beta (exactly one of the two). Values are means over
    `seeds` runs (standard errors in result.document); kernels phi_l (and ntk) are the mean kernels."""
    if (lambda_ is None) == (beta is None):
        raise ValueError("give exactly one of lambda_ (gradient flow) and beta (posterior)")
    command = ["train", "--activation", str(activation), "--depth", str(int(depth)), "--width", str(int(width)),
               "--gamma", exact_argument(gamma, "gamma"), "--seeds", str(int(seeds)), "--seed", str(int(seed))]
    command += ["--lambda", exact_argument(lambda_, "lambda")] if lambda_ is not None else ["--beta", exact_argument(beta, "beta")]
    if time is not None:
        command += ["--time", str(time)]
    return _run_estimated(command, X, y, X_test, y_test)


def asymptotics(regime: str, **options: Any) -> dict:
    """The asymptotic study of one regime ("lazy", "rich", "deep", "joint") as the JSON document,
    options passed as --key value (underscores become dashes; True adds a switch)."""
    arguments = ["asymptotics", "--regime", regime]
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            arguments.append(flag)
        elif value is not None and value is not False:
            arguments += [flag, exact_argument(value, key) if not isinstance(value, str) else value]
    document, _ = _binary.run_json(arguments)
    return document
