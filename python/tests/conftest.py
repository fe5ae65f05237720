"""Import the package from this checkout (python/adaptive_kernels) whether or not it is installed."""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
