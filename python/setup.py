"""Records the repository this package was installed from, so the client finds that checkout's
release build (.build/release/adaptive-kernels) after `pip install ./python`."""
import pathlib

from setuptools import setup
from setuptools.command.build_py import build_py


class RecordRepository(build_py):
    def run(self):
        super().run()
        repository = pathlib.Path(__file__).resolve().parent.parent
        target = pathlib.Path(self.build_lib) / "adaptive_kernels" / "_source.py"
        target.write_text(f'"""Written at install time."""\nREPOSITORY = {str(repository)!r}\n')


setup(cmdclass={"build_py": RecordRepository})
