#!/usr/bin/env python3
"""Benchmark: one step of the population DMFT behind `adaptive-kernels antk --activation A` (the
nonlinear-data aNTK solver; Sources/Studies/Pipelines/ANTKPopulationStudy.swift,
notes/antk-nonlinear-data.md (AN1)-(AN2)) at digits size: P = 500 trained and Q = 100 test points,
D = 64 features, M = 4096 neurons (the study's default population), ReLU (run again with
--activation tanh). The step, the peers (JAX jit as written, JAX jit regrouped as ours, NumPy), the
timing and the agreement check are those of bench/dmft_step.py; only the sizes differ. Here
D (P + n) < P n, so ours uses the rank-D form of notes/verify-antk.md (GV23c).

Usage: python3 bench/antk_data_step.py [--activation relu|tanh] [--points 500] [--test-points 100] ...
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dmft_step  # noqa: E402

if __name__ == "__main__":
    dmft_step.main(defaults={"neurons": 4096, "points": 500, "test_points": 100, "dimension": 64, "steps": 10},
                   title="population DMFT step of antk --activation (digits size)")
