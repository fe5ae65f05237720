"""The release binary opens OpenBLAS/LAPACKE only for commands that do dense linear algebra
(Sources/Numerics/LinearAlgebraLibrary.swift): the certified scalar commands never map them."""
import os
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BINARY = os.environ.get("AK_BIN", os.path.join(ROOT, ".build", "release", "adaptive-kernels"))

pytestmark = pytest.mark.skipif(not os.path.exists(BINARY), reason="no release binary (swift build -c release)")


def opened_libraries(args):
    """Exit status and the shared objects the dynamic loader opened while running BINARY args (LD_DEBUG=files)."""
    env = dict(os.environ, LD_DEBUG="files")
    done = subprocess.run([BINARY] + args, env=env, capture_output=True, text=True, timeout=120)
    names = {os.path.basename(word[len("file="):]) for line in done.stderr.splitlines()
             for word in line.split() if word.startswith("file=")}
    return done.returncode, names


@pytest.mark.parametrize("args", [["--version"], ["sweep", "--gamma", "1", "--beta", "10", "--depth", "1...3", "--digits", "30"],
                                  ["overlaps", "--gamma", "1", "--beta", "10", "--depth", "4"]])
def test_scalar_commands_do_not_load_blas(args):
    status, names = opened_libraries(args)
    assert status == 0
    assert "libgmp.so.10" in names
    assert not any(name.startswith(("libopenblas", "liblapacke", "libblas", "liblapack")) for name in names), names


def test_dense_command_loads_blas():
    status, names = opened_libraries(["verify", "antk", "--bench", "--neurons", "64", "--points", "10", "--steps", "2"])
    assert status == 0
    assert {"libopenblas.so.0", "liblapacke.so.3"} <= names, names
