"""bandit finds nothing in the app's code, each `# nosec` names its check and says why, and
`make test` runs bandit and a strict pip-audit before the tests (README, "Security checks")."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# `# nosec B123 # why` (or `B123, B456`): the ids before the second #, the reason after it.
EXPLAINED = re.compile(r"#\s*nosec\s+B\d{3}(?:\s*,\s*B\d{3})*\s+#\s*\S.{4,}")


def test_bandit_finds_nothing_in_the_app():
    done = subprocess.run(  # noqa: S603 - bandit, with arguments written here
        [BIN / "bandit", "-c", "pyproject.toml", "-r", "journal", "-q", "-f", "txt"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr


def test_every_nosec_names_its_check_and_says_why():
    unexplained = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "journal").rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "nosec" in line and not EXPLAINED.search(line)
    ]

    assert unexplained == []


def test_make_test_runs_bandit_and_a_strict_pip_audit_before_the_tests():
    done = subprocess.run(
        ["make", "-n", "test"],  # noqa: S607 - make from PATH; -n: print the commands, run none
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    commands = [line for line in done.stdout.splitlines() if "bin/" in line]
    position = {
        tool: next(i for i, line in enumerate(commands) if f"bin/{tool} " in line)
        for tool in ("bandit", "pip-audit", "pytest")
    }

    assert position["bandit"] < position["pytest"]
    assert position["pip-audit"] < position["pytest"]
    assert "--strict" in commands[position["pip-audit"]]
