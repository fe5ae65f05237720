"""Verification reports as data: a failing case is a verdict, not an exception."""
from __future__ import annotations

import dataclasses
from typing import Any, Optional

from . import _binary
from ._numbers import to_float


@dataclasses.dataclass(frozen=True)
class Estimate:
    """value ± standard_error (one standard error), plus an additive systematic bound."""

    value: float
    standard_error: float
    systematic: float


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    group: str
    verdict: str  # "pass", "fail" or "inconclusive"
    exact: Optional[float]
    estimates: dict
    tolerance: Optional[float]
    note: str

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"


@dataclasses.dataclass(frozen=True)
class Report:
    plan: str
    seed: Optional[int]
    verdict: str
    cases: list
    false_alarm_rate: Optional[float]
    exit_status: int
    document: dict

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    def summary(self) -> dict:
        counts = {"pass": 0, "fail": 0, "inconclusive": 0}
        for case in self.cases:
            counts[case.verdict] = counts.get(case.verdict, 0) + 1
        return counts


def _estimate(value: Any) -> Estimate:
    if isinstance(value, dict):
        return Estimate(value=to_float(value), standard_error=to_float(value.get("standard_error", "0")),
                        systematic=to_float(value.get("systematic", "0")))
    return Estimate(value=to_float(value), standard_error=0.0, systematic=0.0)


def _case(raw: dict) -> Case:
    verdict = raw.get("verdict")
    if verdict is None:  # reports before the three-outcome rule
        verdict = "pass" if raw.get("pass") else "fail"
    exact = raw.get("exact")
    tolerance = raw.get("tolerance")
    return Case(name=str(raw["name"]), group=str(raw.get("group", "")), verdict=str(verdict),
                exact=None if exact is None else to_float(exact),
                estimates={str(k): _estimate(v) for k, v in (raw.get("estimates") or {}).items()},
                tolerance=None if tolerance is None else to_float(tolerance), note=str(raw.get("note", "")))


def verify(plan: str = "all", quick: bool = True, seed: int | None = None, perturb_exact: Any = None,
           case: str | None = None, smoke: bool = False, timeout: float | None = None) -> Report:
    """Runs a verification plan ("bayes", "antk" or "all") and returns its report. Exit statuses 0
    (all pass), 3 (some case failed) and 4 (inconclusive) are all returned as data; only bad input
    raises (InvalidInputError)."""
    arguments = ["verify", plan]
    if smoke:
        arguments.append("--smoke")
    elif quick:
        arguments.append("--quick")
    if seed is not None:
        arguments += ["--seed", str(int(seed))]
    if perturb_exact is not None:
        arguments += ["--perturb-exact", str(perturb_exact)]
    if case is not None:
        arguments += ["--case", case]
    document, status = _binary.run_json(arguments, accept=(0, 3, 4), timeout=timeout)
    cases = [_case(c) for c in document.get("cases", [])]
    verdict = document.get("verdict") or ("pass" if status == 0 else "fail" if status == 3 else "inconclusive")
    rate = document.get("false_alarm_rate")
    return Report(plan=plan, seed=document.get("seed", seed), verdict=str(verdict), cases=cases,
                  false_alarm_rate=None if rate is None else to_float(rate), exit_status=status, document=document)
