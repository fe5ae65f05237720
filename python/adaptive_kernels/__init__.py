"""adaptive_kernels: the adaptive-kernels executable's answers as mpmath, numpy and pandas objects.

    import adaptive_kernels as ak
    root = ak.overlaps("4", "10", 16, digits=50)[0]
    root.c            # mpmath.mpf, 50 certified digits
    root.enclosure    # mpmath.mpi containing the exact c_L

Every number comes from the command line through its versioned JSON contract
(schema "adaptive-kernels/2"); nothing is computed in Python."""
from ._binary import find_binary
from .data import DataResult, anbk, antk, asymptotics, kernels, train
from .fluctuations import DataFluctuations, Fluctuations, GradientFlowFluctuations, fluctuations
from .errors import AdaptiveKernelsError, BinaryNotFoundError, InconclusiveError, InvalidInputError, NotCertifiedError
from .overlaps import Root, overlaps, sweep
from .regressor import AdaptiveKernelRegressor
from .trajectories import dynamics, ndk
from .verify import Case, Estimate, Report, verify

__version__ = "0.2.0"
__all__ = [
    "AdaptiveKernelRegressor", "AdaptiveKernelsError", "BinaryNotFoundError", "Case", "DataFluctuations", "DataResult", "Estimate", "Fluctuations", "GradientFlowFluctuations",
    "InconclusiveError", "InvalidInputError", "NotCertifiedError", "Report", "Root", "anbk", "antk", "asymptotics",
    "dynamics", "find_binary", "fluctuations", "kernels", "ndk", "overlaps", "sweep", "train", "verify",
]
