"""The Python client against the executable and against independent mpmath references.

Needs the release binary (scripts/setup builds it); the tests are skipped with the build hint when it
is missing, except the ones that test that hint."""
from __future__ import annotations

import fractions
import math
import os
import pathlib
import stat

import mpmath
import numpy
import pytest

import adaptive_kernels as ak
from adaptive_kernels import _binary

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = REPOSITORY / "Tests" / "Fixtures" / "digits"

try:
    BINARY = ak.find_binary()
except ak.BinaryNotFoundError as error:  # pragma: no cover
    BINARY = None
    MISSING = str(error)

needs_binary = pytest.mark.skipif(BINARY is None, reason="adaptive-kernels executable not built")


def digits_fixture(train, test):
    """The digits fixture's first `train` training and `test` test points: X, y, Xt, yt."""
    return (numpy.load(FIXTURES / "X_train.npy")[:train], numpy.load(FIXTURES / "y_train.npy")[:train],
            numpy.load(FIXTURES / "X_test.npy")[:test], numpy.load(FIXTURES / "y_test.npy")[:test])


def whitened_reference(gamma, beta, depth, digits):
    """Every positive root of c (b+c)^(2L) = ((b+c)^2 + gamma^2 c)^L by mpmath (independent of the Swift
    solver): the polynomial's real roots at 3x the digits, positive ones kept."""
    with mpmath.workdps(3 * digits + 20):
        def number(x):
            x = fractions.Fraction(x)
            return mpmath.mpf(x.numerator) / x.denominator
        g2 = number(gamma) ** 2
        b = 0 if beta == "inf" else 1 / number(beta)
        # Coefficients of c (b+c)^(2L) - ((b+c)^2 + g2 c)^L by expanding with integer binomials.
        left = [0] * (2 * depth + 2)
        for k in range(2 * depth + 1):
            left[k + 1] += mpmath.binomial(2 * depth, k) * b ** (2 * depth - k)
        quad = [b * b, 2 * b + g2, 1]
        power = [mpmath.mpf(1)]
        for _ in range(depth):
            nxt = [0] * (len(power) + 2)
            for i, p in enumerate(power):
                for j, q in enumerate(quad):
                    nxt[i + j] += p * q
            power = nxt
        coeffs = [left[k] - (power[k] if k < len(power) else 0) for k in range(len(left))]
        roots = mpmath.polyroots(list(reversed(coeffs)), maxsteps=400, extraprec=4 * digits + 200)
        return sorted(mpmath.re(r) for r in roots if abs(mpmath.im(r)) < mpmath.mpf(10) ** (-digits) and mpmath.re(r) > 0)


@needs_binary
def test_overlaps_reference_value_to_50_digits():
    roots = ak.overlaps("4", "10", 16, digits=50)
    assert len(roots) == 1
    root = roots[0]
    assert isinstance(root.c, mpmath.mpf)
    with mpmath.workdps(60):
        reference = mpmath.mpf("55.790734915273130345303922069964589464")
        assert abs(root.c - reference) < mpmath.mpf(10) ** -35
        assert root.c in root.enclosure
        assert reference in root.enclosure
    assert root.dominant and root.layers[-1] == 16 and len(root.overlaps) == 16
    with mpmath.workdps(60):
        # c_l = (1 - chi)^l (whitened saddle): checks chi and the per-layer overlaps together.
        for layer, value in zip(root.layers, root.overlaps):
            assert abs(value - (1 - root.chi) ** layer) < mpmath.mpf(10) ** -45 * abs(value)


@needs_binary
def test_three_roots_against_independent_mpmath_polynomial():
    roots = ak.overlaps(316, fractions.Fraction(1, 10000), 10, digits=25)
    # gamma^2 = 99856, b = 10^4: three positive roots
    reference = whitened_reference(316, fractions.Fraction(1, 10000), 10, 25)
    assert len(roots) == len(reference) == 3
    with mpmath.workdps(40):
        for root, expected in zip(roots, reference):
            assert abs(root.c - expected) <= mpmath.mpf(10) ** -22 * expected
            assert expected in root.enclosure
    actions = [r.action for r in roots]
    assert [r.dominant for r in roots] == [a == min(actions) for a in actions]


@needs_binary
def test_float_inputs_are_read_exactly():
    # 0.1 as a float is 3602879701896397/2^55, not 1/10: the certified roots differ in digit ~17.
    as_float = ak.overlaps(0.1, math.inf, 3, digits=30)[0].c
    as_text = ak.overlaps("0.1", "inf", 3, digits=30)[0].c
    with mpmath.workdps(40):
        assert as_float != as_text
        assert abs(as_float - as_text) < mpmath.mpf(10) ** -15


@needs_binary
def test_sweep_frame_dtypes_and_exact_columns():
    pandas = pytest.importorskip("pandas")
    frame = ak.sweep(["1/2", 1, 2], 10, range(1, 5), digits=15)
    assert isinstance(frame, pandas.DataFrame)
    assert len(frame) == 12
    assert frame["depth"].dtype.kind == "i" and frame["chi"].dtype.kind == "f" and frame["gamma"].dtype.kind == "f"
    assert set(frame["gamma_exact"]) == {"0.5", "1", "2"}
    row = frame[(frame["gamma_exact"] == "1") & (frame["depth"] == 4)].iloc[0]
    # c_4 for gamma 1, beta 10 (reference value): (1 - chi)^4
    assert abs((1 - row["chi"]) ** 4 - 2.981240152385322) < 1e-12


@needs_binary
def test_sweep_without_pandas_is_a_list_of_dicts():
    rows = ak.sweep(1, 10, "1...2", as_frame=False)
    assert isinstance(rows, list) and rows[0]["depth"] == 1 and isinstance(rows[0]["chi"], float)


@needs_binary
def test_errors_become_exceptions_with_the_cli_message():
    with pytest.raises(ValueError) as error:
        ak.overlaps(-1, 10, 3)
    assert isinstance(error.value, ak.InvalidInputError)
    assert "gamma" in str(error.value) and "adaptive-kernels: error" not in str(error.value)
    with pytest.raises(ak.InvalidInputError):
        ak.overlaps(1, 0, 3)


def test_missing_binary_says_how_to_build(monkeypatch, tmp_path):
    monkeypatch.setenv("ADAPTIVE_KERNELS_BIN", str(tmp_path / "nothing"))
    with pytest.raises(ak.BinaryNotFoundError) as error:
        ak.find_binary()
    assert "scripts/setup" in str(error.value)


def test_environment_variable_wins(monkeypatch, tmp_path):
    fake = tmp_path / "adaptive-kernels"
    fake.write_text("#!/bin/sh\necho '{\"schema\": \"adaptive-kernels/2\"}'\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("ADAPTIVE_KERNELS_BIN", str(fake))
    assert ak.find_binary() == str(fake)
    document, status = _binary.run_json(["anything"])
    assert document == {"schema": "adaptive-kernels/2"} and status == 0


def test_exit_three_is_not_certified(monkeypatch, tmp_path):
    fake = tmp_path / "adaptive-kernels"
    fake.write_text("#!/bin/sh\necho 'adaptive-kernels: error: degenerate input, no certified answer: double root' >&2\nexit 3\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("ADAPTIVE_KERNELS_BIN", str(fake))
    with pytest.raises(ak.NotCertifiedError, match="double root"):
        ak.overlaps(1, 1, 1)


@needs_binary
def test_kernels_round_trip_numpy_against_numpy_ridge():
    X, y, Xt, yt = digits_fixture(40, 20)
    result = ak.kernels(X, y, Xt, yt, gamma=1, beta=10, depth=2)
    phi1, phi2 = result.kernels["phi_1"], result.kernels["phi_2"]
    assert phi1.shape == (40, 40) and numpy.allclose(phi2, phi2.T, atol=1e-10)
    # The aNBK predictor is kernel ridge regression with the adapted kernel and ridge 1/beta.
    cross = result.kernels["cross_2"]
    expected = cross @ numpy.linalg.solve(phi2 + 0.1 * numpy.eye(40), y)
    assert numpy.allclose(result.predictions["test"]["anbk"], expected, atol=1e-8)
    assert abs(result.test_loss["anbk"] - numpy.mean((expected - yt) ** 2)) < 1e-8
    # The lazy NNGP of a deep linear network is C itself.
    C = X @ X.T / X.shape[1]
    nngp = (Xt @ X.T / X.shape[1]) @ numpy.linalg.solve(C + 0.1 * numpy.eye(40), y)
    assert numpy.allclose(result.predictions["test"]["nngp"], nngp, atol=1e-8)


@needs_binary
def test_regressor_fit_predict_matches_kernels():
    X, y, Xt, _ = digits_fixture(30, 10)
    model = ak.AdaptiveKernelRegressor(kind="anbk", depth=2, gamma=1, beta=10).fit(X, y)
    direct = ak.kernels(X, y, Xt, numpy.zeros(10), gamma=1, beta=10, depth=2)
    assert numpy.allclose(model.predict(Xt), direct.predictions["test"]["anbk"], atol=1e-12)
    assert model.get_params()["depth"] == 2
    with pytest.raises(ValueError):
        ak.AdaptiveKernelRegressor(activation="relu").fit(X, y)


@needs_binary
def test_antk_regressor_predicts_with_the_adapted_ntk():
    X, y, Xt, yt = digits_fixture(30, 10)
    result = ak.antk(X, y, Xt, yt, gamma=1, lambda_=1, depth=3)
    model = ak.AdaptiveKernelRegressor(kind="antk", depth=3, gamma=1, lambda_=1).fit(X, y)
    assert numpy.allclose(model.predict(Xt), result.predictions["test"]["antk"], atol=1e-12)
    assert set(result.train_loss) >= {"antk", "anbk", "ntk"}


@needs_binary
def test_verify_returns_verdicts_as_data():
    # The one-point ReLU group (exact f = 1 - lambda/gamma): passes at the true values ...
    report = ak.verify("antk", quick=True, case="theory2b", seed=3)
    assert report.exit_status == 0 and report.verdict == "pass" and report.passed
    assert report.summary() == {"pass": len(report.cases), "fail": 0, "inconclusive": 0}
    first = report.cases[0]
    assert abs(first.exact - 0.5) < 1e-15 and abs(first.estimates["dmft"].value - 0.5) <= first.tolerance
    # ... and with the exact values 5% off, the cases with a nonzero exact value fail: data, no exception.
    perturbed = ak.verify("antk", quick=True, case="theory2b", seed=3, perturb_exact=0.05)
    assert perturbed.exit_status == 3 and perturbed.verdict == "fail"
    assert [c.verdict == "fail" for c in perturbed.cases] == [c.exact != 0 for c in perturbed.cases]
    with pytest.raises(ak.InvalidInputError):
        ak.verify("antk", case="no-such-group")


@needs_binary
def test_dynamics_whitened_trajectory_as_numpy():
    result = ak.dynamics(depth=2, gamma=2, lambda_="1/2", time=1, points=2)
    assert list(result["times"]) == [0.0, 0.5, 1.0]
    fdy, loss = result["f_dot_y"], result["train_loss"]
    assert fdy[0] == 0 and 0 < fdy[1] < fdy[2] < 1
    # Whitened single-direction data (P = 4, y = e_1): f = (f.y) y, so the train loss (1/(2P))|y - f|^2
    # is (1 - f.y)^2 / 8 at every time.
    assert numpy.allclose(loss, (1 - fdy) ** 2 / 8, atol=1e-9)
    with pytest.raises(ak.InvalidInputError):
        ak.dynamics(depth=2, gamma=-1, time=1)


@needs_binary
def test_dynamics_relu_two_layer_sampled():
    result = ak.dynamics(depth=1, gamma=1, time=1, points=2, activation="relu", samples=512, replicas=4)
    assert result["activation"] == "relu" and result["sampling"] == {"replicas": 4, "sites_per_replica": 512}
    fdy = result["f_dot_y"]
    assert fdy[0] == 0 and 0 < fdy[1] < fdy[2] < 1   # antithetic sites: f(0) = 0 exactly
    deep = ak.dynamics(depth=2, gamma=1, time=0.5, points=1, whitened_points=2, activation="relu", samples=64, replicas=3)
    assert deep["activation"] == "relu" and deep["f_dot_y"][0] == 0 and 0 < deep["f_dot_y"][1] < 1   # softplus-smoothed deep DMFT


@needs_binary
def test_ndk_mean_predictor_reaches_the_nngp_plateau():
    X = numpy.array([[1, 0.2, -0.4], [0.3, 1.1, 0.5], [-0.8, 0.4, 1.0], [0.6, -0.9, 0.2]])
    y = numpy.array([1, -0.5, 0.8, -1])
    Xt = numpy.array([[0.7, 0.6, 0.1], [-0.5, 0.9, 0.6]])
    yt = numpy.array([0.6, -0.4])
    result = ak.ndk(X, y, Xt, yt, activation="relu", depth=1, temperature="0.01", prior_variance=1, init_variance=2,
                    time=1000, points=8)
    assert result["times"].shape == (8,) and result["test_mean_prediction"].shape == (8, 2)
    # t = 1000 is ten diffusive times sigma^2/T: the mean predictor sits on the NNGP posterior mean.
    assert numpy.allclose(result["test_mean_prediction"][-1], result["nngp_equilibrium"]["test"], atol=1e-3)


@needs_binary
def test_population_antk_and_trained_networks_as_numpy():
    X, y, Xt, yt = digits_fixture(12, 5)
    theory = ak.antk(X, y, Xt, yt, gamma=1, lambda_="1/2", depth=1, activation="relu", population=128, seeds=2, time=5)
    assert set(theory.test_loss) == {"antk", "nngp", "ntk"}
    assert theory.predictions["test"]["antk"].shape == (5,)
    assert theory.kernels["phi_1"].shape == (17, 17)
    # The test loss is the mean squared error of the reported mean predictions.
    assert abs(theory.test_loss["antk"] - numpy.mean((theory.predictions["test"]["antk"] - yt) ** 2)) < 0.05
    nets = ak.train(X, y, Xt, yt, activation="relu", depth=2, width=32, gamma=1, lambda_="1/2", seeds=2, time=2)
    assert set(nets.kernels) == {"phi_1", "phi_2", "ntk"} and nets.predictions["test"]["network"].shape == (5,)
    assert nets.document["stationary_runs"] in (0, 1, 2)
    with pytest.raises(ValueError):
        ak.train(X, y, activation="relu", depth=1, width=8, gamma=1)
    with pytest.raises(ak.InvalidInputError):
        ak.antk(X, y, gamma=-1, lambda_=1, depth=2, activation="relu")


@needs_binary
def test_fluctuations_against_the_dense_mpmath_reference_and_the_lazy_limit():
    import importlib.util
    spec = importlib.util.spec_from_file_location("fluctuations_reference", REPOSITORY / "notes" / "checks" / "fluctuations_bayes_reference.py")
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)
    c, var, shift, label_mean, orthogonal_mean, kernel = reference.fluctuations(1, mpmath.mpf(1) / 2, 2, 3)
    result = ak.fluctuations(gamma=1, beta=2, depth=2, whitened_points=3, digits=20)
    for l in range(2):
        assert abs(result.overlap_variance[l] - var[l]) < mpmath.mpf(10) ** -18 * abs(var[l])
        assert abs(result.overlap_mean_shift[l] - shift[l]) < mpmath.mpf(10) ** -18 * abs(shift[l])
        assert var[l] in result.overlap_variance_enclosures[l]
    assert abs(result.prediction_variance["label_direction_from_kernels"] - label_mean) < mpmath.mpf(10) ** -18
    assert abs(result.kernel_variance - kernel) < mpmath.mpf(10) ** -18
    lazy = ak.fluctuations(gamma=0, beta=1, depth=3)
    assert [float(v) for v in lazy.overlap_variance] == [2.0, 4.0, 6.0]
    assert lazy.prediction_variance["label_direction"] is None
    with pytest.raises(ak.InvalidInputError):
        ak.fluctuations(gamma=1, depth=2, time=1, setting="gradient-flow", activation="relu")


@needs_binary
def test_fluctuations_on_data_against_the_autodiff_reference():
    # notes/checks/fluctuations_general_reference.py case (iv): P = 2, Q = 1, D = 3, gamma = 1/2, beta = inf, L = 2
    # (jax autodiff in the kernel variables; values recorded from it).
    X = numpy.array([[1, 2, 0], [0, 1, -1], [1, 0, 1]], dtype=float)
    result = ak.fluctuations(gamma="1/2", beta="inf", depth=2, X=X[:2], y=[1, 0.5], X_test=X[2:], y_test=[0])
    assert isinstance(result, ak.DataFluctuations) and result.rank == 3 and result.prediction_points == "test"
    assert result.overlap_variance == pytest.approx([8.178649671082782, 18.606863693179456], rel=1e-7)
    assert result.overlap_mean_shift == pytest.approx([-0.6539053142127049, -2.122717140406278], rel=1e-6)
    assert result.prediction_variance == pytest.approx([0.2806178145597105], rel=1e-7)
    assert result.residual < 1e-10
    with pytest.raises(ValueError):
        ak.fluctuations(gamma=1, beta=2, depth=2, X=X)


@needs_binary
def test_fluctuations_gradient_flow_against_finite_differences_and_the_lazy_form():
    import importlib.util
    spec = importlib.util.spec_from_file_location("fluctuations_gradient_flow_check",
                                                  REPOSITORY / "notes" / "checks" / "fluctuations_gradient_flow_check.py")
    check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check)
    result = ak.fluctuations(setting="gradient-flow", gamma=1, lambda_="1/2", time=1, points=2, depth=1, whitened_points=3)
    assert isinstance(result, ak.GradientFlowFluctuations)
    assert list(result.times) == [0.0, 0.5, 1.0]
    # Independent reference: central finite differences of the closed Gram flow by scipy (FG6).
    mean, variance, shift = check.delta_method(1.0, 0.5, 1.0, 3)
    assert abs(result.infinite_width["f_dot_y"][-1] - mean[0]) < 1e-9
    assert abs(result.prediction_variance["label_direction"][-1] - variance[0]) < 1e-5
    assert abs(result.prediction_variance["orthogonal_direction"][-1] - variance[1]) < 1e-5
    assert abs(result.ntk_variance[-1] - variance[2]) < 1e-5
    assert abs(result.overlap_variance[-1] - variance[3]) < 1e-5
    assert abs(result.overlap_mean_shift[-1] - shift[3]) < 1e-5
    assert abs(result.prediction_variance["orthogonal_test_point"][-1] - mean[4]) < 1e-9
    assert max(result.residuals.values()) < 1e-8
    # t = 0: the Wishart initial law, N Var f = 1/gamma^2, N Var(tr K/P) = 2 + 2/P, N Var c_1 = 2.
    small = ak.fluctuations(setting="gradient-flow", gamma=4, time=1, points=1, depth=1, whitened_points=1)
    assert small.prediction_variance["label_direction"][0] == pytest.approx(1 / 16, abs=1e-14)
    assert small.prediction_variance["orthogonal_direction"] is None
    assert small.ntk_variance[0] == pytest.approx(4.0, abs=1e-12) and small.overlap_variance[0] == pytest.approx(2.0, abs=1e-12)
    # deep linear (notes/fluctuations-gradient-flow.md (FG27)): at t = 0, N Var(tr K/P) = (2 + 2/P) L (L+1) (2L+1)/6 and
    # N Var f = 1/gamma^2 along the label direction
    deep = ak.fluctuations(setting="gradient-flow", gamma=1, time=1, points=1, depth=2, whitened_points=3)
    assert deep.ntk_variance[0] == pytest.approx(40 / 3, rel=1e-12)
    assert deep.prediction_variance["label_direction"][0] == pytest.approx(1.0, rel=1e-12)
    for bad in (dict(depth=2, time=1, activation="tanh"), dict(depth=1, time=1, activation="relu", sites=15), dict(depth=1), dict(depth=1, time=1, beta=2)):
        with pytest.raises(ak.InvalidInputError):
            ak.fluctuations(setting="gradient-flow", gamma=1, **bad)


@needs_binary
def test_fluctuations_gradient_flow_on_data_and_relu():
    X, y, Xt, _ = digits_fixture(3, 1)
    # Whitened data as files (C = I, y = e_1, one orthogonal test input) reproduce the whitened path (FG16).
    W = numpy.sqrt(4.0) * numpy.eye(4)
    whitened = ak.fluctuations(setting="gradient-flow", gamma=1, lambda_="1/2", time=1, points=2, depth=1, whitened_points=3)
    files = ak.fluctuations(setting="gradient-flow", gamma=1, lambda_="1/2", time=1, points=2, depth=1,
                            X=W[:3], y=numpy.array([1.0, 0, 0]), X_test=W[3:], y_test=numpy.zeros(1))
    assert files.prediction_variance["predictions_of"] == "test"
    assert numpy.allclose(files.prediction_variance["points"][0], whitened.prediction_variance["orthogonal_test_point"], atol=1e-9)
    assert numpy.allclose(files.ntk_variance, whitened.ntk_variance, atol=1e-9)
    assert numpy.allclose(files.overlap_mean_shift, whitened.overlap_mean_shift, atol=1e-9)
    # Digits: at t = 0 N Var f(x*) = C(x*, x*)/gamma^2 (the Wishart start, FG14).
    digits = ak.fluctuations(setting="gradient-flow", gamma=2, time=1, points=1, depth=1, X=X, y=y, X_test=Xt)
    assert digits.prediction_variance["points"][0][0] == pytest.approx(float(Xt[0] @ Xt[0]) / Xt.shape[1] / 4, rel=1e-12)
    relu = ak.fluctuations(setting="gradient-flow", activation="relu", gamma=1, lambda_="1/2", time="1/2", points=1, depth=1,
                           whitened_points=2, sites=64, replicas=3, seed=2)
    assert relu.overlap_mean_shift is None and relu.activation == "relu"
    assert relu.ntk_variance.shape == (2,) and relu.standard_errors["ntk_variance"].shape == (2,)


@needs_binary
def test_anbk_nonlinear_and_exact_linear_as_numpy():
    X, y, Xt, yt = digits_fixture(8, 3)
    # Deep linear: the exact saddle, the same numbers as `kernels`.
    exact = ak.anbk(X, y, Xt, yt, activation="identity", depth=2, gamma="1/2", beta=10)
    reference = ak.kernels(X, y, Xt, yt, gamma="1/2", beta=10, depth=2)
    assert abs(exact.test_loss["anbk"] - reference.test_loss["anbk"]) < 1e-12
    assert numpy.allclose(exact.predictions["test"]["anbk"], reference.predictions["test"]["anbk"], atol=1e-12)
    assert exact.kernels["phi_2_train"].shape == (8, 8) and exact.kernels["phi_2_test"].shape == (3, 8)
    # ReLU by the min-max: estimated values, the test loss is that of the reported predictions up to
    # their fluctuation, kernels per layer.
    relu = ak.anbk(X, y, Xt, yt, activation="relu", depth=1, gamma="1/2", beta=10, samples=2000, burn_in=60, measured=60, replicas=4)
    assert relu.document["replicas"] == 4 and relu.document["overlap"][0]["degrees_of_freedom"] == 3
    assert set(relu.test_loss) == {"anbk", "nngp", "ntk"}
    assert relu.predictions["test"]["anbk"].shape == (3,)
    assert relu.document["converged"] is True and relu.document["overlap"][0]["kind"] == "estimated"
    assert set(relu.kernels) == {"phi_1_train", "phi_1_test"}
    assert abs(relu.test_loss["anbk"] - numpy.mean((relu.predictions["test"]["anbk"] - yt) ** 2)) < 0.05
    with pytest.raises(ak.InvalidInputError):
        ak.anbk(X, y, activation="relu", depth=1, gamma=1, beta="inf")
