"""Finding and running the adaptive-kernels executable.

The client never computes anything itself: every number comes from the command line through its
versioned JSON contract (docs/output.md in the repository). This module finds the binary, runs it,
and turns its exit status into Python exceptions.
"""
from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
from typing import Any, Sequence

from .errors import AdaptiveKernelsError, BinaryNotFoundError, InconclusiveError, InvalidInputError, NotCertifiedError

ENV_VARIABLE = "ADAPTIVE_KERNELS_BIN"
BUILD_HINT = "build it with 'scripts/setup' in the adaptive-kernels repository, or set ADAPTIVE_KERNELS_BIN to its path"


def _repository_binary() -> pathlib.Path | None:
    """The repository's release build: the checkout this package sits in (python/ at its root), or
    the one `pip install ./python` recorded at install time."""
    roots = []
    for parent in pathlib.Path(__file__).resolve().parents:
        if (parent / "Package.swift").is_file():
            roots.append(parent)
            break
    try:
        from ._source import REPOSITORY  # written by setup.py at install time
        roots.append(pathlib.Path(REPOSITORY))
    except ImportError:
        pass
    for root in roots:
        candidate = root / ".build" / "release" / "adaptive-kernels"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def find_binary() -> str:
    """The executable: $ADAPTIVE_KERNELS_BIN, then PATH, then the repository's .build/release."""
    explicit = os.environ.get(ENV_VARIABLE)
    if explicit:
        if os.path.isfile(explicit) and os.access(explicit, os.X_OK):
            return explicit
        raise BinaryNotFoundError(f"{ENV_VARIABLE}={explicit} is not an executable file; {BUILD_HINT}")
    on_path = shutil.which("adaptive-kernels")
    if on_path:
        return on_path
    built = _repository_binary()
    if built is not None:
        return str(built)
    raise BinaryNotFoundError(f"adaptive-kernels executable not found; {BUILD_HINT}")


def _message(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    if not lines:
        return "adaptive-kernels failed without a message"
    last = lines[-1]
    prefix = "adaptive-kernels: error: "
    return last[len(prefix):] if last.startswith(prefix) else last


def run(arguments: Sequence[str], *, accept: Sequence[int] = (0,), timeout: float | None = None) -> subprocess.CompletedProcess:
    """Runs the executable with `arguments`; exit statuses outside `accept` become exceptions:
    2 -> InvalidInputError (a ValueError), 3 -> NotCertifiedError, 4 -> InconclusiveError."""
    binary = find_binary()
    process = subprocess.run([binary, *arguments], capture_output=True, text=True, timeout=timeout)
    if process.returncode in accept:
        return process
    message = _message(process.stderr)
    if process.returncode == 2:
        raise InvalidInputError(message)
    if process.returncode == 3:
        raise NotCertifiedError(message)
    if process.returncode == 4:
        raise InconclusiveError(message)
    raise AdaptiveKernelsError(f"exit status {process.returncode}: {message}")


def run_json(arguments: Sequence[str], *, accept: Sequence[int] = (0,), timeout: float | None = None) -> tuple[Any, int]:
    """Runs with `--format json` and parses standard output; returns (document, exit status)."""
    process = run([*arguments, "--format", "json"], accept=accept, timeout=timeout)
    try:
        return json.loads(process.stdout), process.returncode
    except json.JSONDecodeError as error:  # pragma: no cover - a contract violation
        raise AdaptiveKernelsError(f"the executable printed output that is not JSON: {error}") from error
