"""Tests of scripts/readme-commands with a stand-in binary (no Swift build needed)."""
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
SCRIPT = os.path.join(ROOT, "scripts", "readme-commands")

README = """# demo

Prose with adaptive-kernels in it is not a command.

```sh
adaptive-kernels ok one
printf 'x\\n' > input.txt
.build/release/adaptive-kernels read input.txt \\
    --continued
adaptive-kernels fail 3      # exit status 3: cannot be certified
python3 not-run.py
```

    adaptive-kernels verify bayes                      # the full plan
    adaptive-kernels verify antk --quick
    swift build -c release
"""

# Stand-in for the release binary: `read F` needs F to exist, `fail N` exits N, anything else exits 0.
FAKE = """#!/usr/bin/env bash
case "$1" in
    read) test -f "$2" || { echo "no $2" >&2; exit 2; } ;;
    fail) exit "$2" ;;
    sleep) sleep "$2" ;;
esac
exit 0
"""


def setup(tmp_path, readme=README):
    (tmp_path / "README.md").write_text(readme)
    fake = tmp_path / "fake-binary"
    fake.write_text(FAKE)
    fake.chmod(0o755)
    return tmp_path / "README.md", fake


def run(*args):
    return subprocess.run([sys.executable, SCRIPT, *map(str, args)], capture_output=True, text=True)


def test_list_finds_commands_setup_lines_and_continuations(tmp_path):
    readme, _ = setup(tmp_path)
    result = run("--list", readme)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 6, lines
    assert "command adaptive-kernels ok one" in lines[0]
    assert "setup   printf" in lines[1]
    assert lines[2].endswith(".build/release/adaptive-kernels read input.txt --continued")
    assert "[long] adaptive-kernels verify bayes" in lines[4]
    assert "[long]" not in lines[5] and lines[5].endswith("verify antk --quick")


def test_runs_commands_with_expected_statuses_and_skips_long_ones(tmp_path):
    readme, fake = setup(tmp_path)
    result = run("--binary", fake, readme)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("ok       README") == 5     # 4 commands and the set-up line
    assert "SKIPPED  README:" in result.stdout and "long-running" in result.stdout
    assert "4 command(s) run, 0 failed, 1 long-running skipped" in result.stdout


def test_unexpected_exit_status_fails(tmp_path):
    readme, fake = setup(tmp_path, "```\nadaptive-kernels fail 2\nadaptive-kernels fail 3   # exits 4\n```\n")
    result = run("--binary", fake, readme)
    assert result.returncode == 1
    assert "exit 2, expected 0" in result.stdout
    assert "exit 3, expected 4" in result.stdout


def test_time_limit_is_a_failure(tmp_path):
    readme, fake = setup(tmp_path, "```\nadaptive-kernels sleep 5\n```\n")
    result = run("--binary", fake, "--timeout", "1", readme)
    assert result.returncode == 1
    assert "timed out after 1 s" in result.stdout


def test_missing_binary_is_reported(tmp_path):
    readme, _ = setup(tmp_path)
    result = run("--binary", tmp_path / "absent", readme)
    assert result.returncode == 1
    assert "no executable" in result.stderr


def test_repository_readme_has_runnable_commands():
    result = run("--list")
    assert result.returncode == 0, result.stderr
    commands = [l for l in result.stdout.splitlines() if " command " in l]
    assert len(commands) >= 20
    assert any("[long]" in l and "verify bayes" in l for l in commands)
