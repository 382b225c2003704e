"""`make test`'s dependency audit: pip-audit over the installed packages, read from its JSON.

A known vulnerability fails the run. A package pip-audit could not look up is named, and if it
could look up none (no route to PyPI's vulnerability data, as on a machine that reaches only the
package downloads), the run says in capitals that nothing was audited rather than printing "No
known vulnerabilities found" as pip-audit alone would (README, "Security checks").
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "audit.json"
        command = [sys.executable, "-m", "pip_audit", "--skip-editable", "--progress-spinner"]
        command += ["off", "--format", "json", "--output", str(report)]
        subprocess.run(command, check=False, capture_output=True)  # noqa: S603 (our own command)
        if not report.exists():
            print("pip-audit wrote no report: dependencies NOT audited", file=sys.stderr)
            return 1
        dependencies = json.loads(report.read_text())["dependencies"]
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if "skip_reason" in d]
    for dependency in vulnerable:
        for vulnerability in dependency["vulns"]:
            fixed = ", ".join(vulnerability.get("fix_versions") or []) or "no fixed release"
            print(f"{dependency['name']} {dependency['version']}: {vulnerability['id']} ({fixed})")
    if vulnerable:
        return 1
    audited = len(dependencies) - len(skipped)
    if skipped and not audited:
        print(
            f"WARNING: NONE of the {len(skipped)} installed packages could be audited for known"
            " vulnerabilities (PyPI's vulnerability data did not answer): nothing was checked.",
            file=sys.stderr,
        )
        return 0
    for dependency in skipped:
        print(f"not audited: {dependency['skip_reason']}", file=sys.stderr)
    print(f"{audited} packages audited: no known vulnerability.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
