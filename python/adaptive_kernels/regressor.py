"""A scikit-learn style estimator over the adaptive kernel predictors."""
from __future__ import annotations

from typing import Any, Optional

import numpy

from . import data


class AdaptiveKernelRegressor:
    """Kernel regression with an adaptive kernel of an infinitely wide feature-learning network.

    kind="anbk": the Bayesian adaptive kernel (ridge 1/beta); kind="antk": the fixed point of
    gradient flow with weight decay lambda_. Deep linear networks (activation="identity") are
    solved by the exact reduction; other activations are refused until the executable offers them.
    fit(X, y) stores the training set; predict(X) solves once with X as the test set. Follows
    scikit-learn's conventions (get_params / set_params, score = R^2) without depending on it."""

    _kinds = ("anbk", "antk")

    def __init__(self, kind: str = "anbk", activation: str = "identity", depth: int = 1, gamma: Any = 1,
                 beta: Any = 10, lambda_: Any = 1):
        self.kind = kind
        self.activation = activation
        self.depth = depth
        self.gamma = gamma
        self.beta = beta
        self.lambda_ = lambda_

    def get_params(self, deep: bool = True) -> dict:
        return {"kind": self.kind, "activation": self.activation, "depth": self.depth, "gamma": self.gamma,
                "beta": self.beta, "lambda_": self.lambda_}

    def set_params(self, **params: Any) -> "AdaptiveKernelRegressor":
        for key, value in params.items():
            if key not in self.get_params():
                raise ValueError(f"unknown parameter {key!r}")
            setattr(self, key, value)
        return self

    def _check(self) -> None:
        if self.kind not in self._kinds:
            raise ValueError(f"kind must be one of {self._kinds} (got {self.kind!r})")
        if self.activation not in ("identity", "linear"):
            raise ValueError(f"activation {self.activation!r}: only the deep linear (identity) adaptive kernels are available")

    def fit(self, X: Any, y: Any) -> "AdaptiveKernelRegressor":
        self._check()
        self.X_ = numpy.asarray(X, dtype=numpy.float64)
        self.y_ = numpy.asarray(y, dtype=numpy.float64).reshape(-1)
        result = self._solve(None)
        self.train_loss_ = result.train_loss
        self.n_features_in_ = self.X_.reshape(self.X_.shape[0], -1).shape[1]
        return self

    def _solve(self, X_test: Optional[numpy.ndarray]) -> data.DataResult:
        if self.kind == "anbk":
            return data.kernels(self.X_, self.y_, X_test, None, gamma=self.gamma, beta=self.beta, depth=self.depth, all_layers=False)
        return data.antk(self.X_, self.y_, X_test, None, gamma=self.gamma, lambda_=self.lambda_, depth=self.depth, all_layers=False)

    def predict(self, X: Any) -> numpy.ndarray:
        if not hasattr(self, "X_"):
            raise RuntimeError("call fit(X, y) before predict(X)")
        result = self._solve(numpy.asarray(X, dtype=numpy.float64))
        return result.predictions["test"][self.kind]

    def score(self, X: Any, y: Any) -> float:
        y = numpy.asarray(y, dtype=numpy.float64).reshape(-1)
        residual = float(numpy.sum((y - self.predict(X)) ** 2))
        total = float(numpy.sum((y - y.mean()) ** 2))
        return 1.0 - residual / total if total > 0 else 0.0
