"""Exceptions: the command line's one-line message, typed by its exit status."""


class AdaptiveKernelsError(Exception):
    """Any failure of the adaptive-kernels executable."""


class BinaryNotFoundError(AdaptiveKernelsError, FileNotFoundError):
    """The executable was not found (the message says how to build it)."""


class InvalidInputError(AdaptiveKernelsError, ValueError):
    """Exit status 2: the input is outside what the theory defines (negative gamma, beta <= 0, ...)."""


class NotCertifiedError(AdaptiveKernelsError):
    """Exit status 3: the solver cannot certify an answer for this input (the message says why)."""


class InconclusiveError(AdaptiveKernelsError):
    """Exit status 4 from a command that is not a verification plan (verify() returns reports instead)."""
