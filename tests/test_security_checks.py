"""bandit finds nothing in the app's code, each `# nosec` names its check and says why, and
`make test` runs bandit and the dependency audit before the tests (README, "Security checks")."""

import json
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


def test_make_test_runs_bandit_and_the_dependency_audit_before_the_tests():
    done = subprocess.run(
        ["make", "-n", "test"],  # noqa: S607 - make from PATH; -n: print the commands, run none
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    commands = [line for line in done.stdout.splitlines() if "bin/" in line]
    position = {
        step: next(i for i, line in enumerate(commands) if marker in line)
        for step, marker in [
            ("bandit", "bin/bandit "),
            ("audit", "-m tests.audit_dependencies"),
            ("pytest", "bin/pytest "),
        ]
    }

    assert position["bandit"] < position["pytest"]
    assert position["audit"] < position["pytest"]


def audit_of(dependencies: list[dict], monkeypatch, tmp_path) -> int:
    """What tests/audit_dependencies.py answers when pip-audit reports `dependencies`."""
    from tests import audit_dependencies

    def fake_pip_audit(command, **_options):
        Path(command[command.index("--output") + 1]).write_text(
            json.dumps({"dependencies": dependencies})
        )

    monkeypatch.setattr(audit_dependencies.subprocess, "run", fake_pip_audit)
    return audit_dependencies.main()


def test_a_known_vulnerability_fails_the_audit(monkeypatch, tmp_path, capsys):
    found = [
        {"name": "flask", "version": "3.1.0", "vulns": []},
        {"name": "bad", "version": "1.0", "vulns": [{"id": "PYSEC-1", "fix_versions": ["1.1"]}]},
    ]
    assert audit_of(found, monkeypatch, tmp_path) == 1
    assert "bad 1.0: PYSEC-1 (1.1)" in capsys.readouterr().out


def test_an_audit_that_could_look_nothing_up_says_so_and_never_says_clean(
    monkeypatch, tmp_path, capsys
):
    skipped = [{"name": "flask", "skip_reason": "Dependency not found on PyPI"}]
    assert audit_of(skipped, monkeypatch, tmp_path) == 0
    said = capsys.readouterr()
    assert "NONE of the 1 installed packages could be audited" in said.err
    assert "no known vulnerability" not in said.out
