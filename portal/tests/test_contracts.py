"""The import contracts fail the build when broken: guardian outside portal.permissions, an app from portal/.

Each test writes a module with a forbidden import where the contract forbids it
(ruff reads it from standard input under a path in the project; import-linter
runs on a copy of the project) and runs the real tool with the project's
configuration, as `make lint` does.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PACKAGES = ["portal", "access", "incidents", "dsar"]


def ruff(path: str, source: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [BIN / "ruff", "check", "--no-cache", "--stdin-filename", path, "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


@pytest.mark.parametrize(
    "path", ["access/services/grants.py", "portal/selectors.py", "portal/admin.py", "incidents/views.py", "conftest.py"]
)
@pytest.mark.parametrize("source", ["import guardian\n", "from guardian.shortcuts import assign_perm\n"])
def test_ruff_refuses_guardian_outside_the_permission_module(path, source):
    result = ruff(path, source)

    assert result.returncode == 1
    assert "TID251" in result.stdout
    assert "portal.permissions" in result.stdout


@pytest.mark.parametrize("path", ["portal/permissions.py", "portal/models.py", "access/migrations/0099_x.py"])
def test_ruff_allows_guardian_in_the_permission_module_models_and_migrations(path):
    result = ruff(path, "from guardian.shortcuts import assign_perm\n\n__all__ = ['assign_perm']\n")

    assert "TID251" not in result.stdout
    assert result.returncode == 0, result.stdout


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory) -> Path:
    """The Python packages and the configuration of the project, to break without touching the real tree."""
    root = tmp_path_factory.mktemp("project")
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__", "templates", "static")
        )
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [BIN / "lint-imports", "--no-cache", "--config", "pyproject.toml"],
        capture_output=True,
        text=True,
        cwd=root,
        check=False,
    )


def test_the_project_keeps_its_import_contracts(project_copy):
    result = lint_imports(project_copy)

    assert result.returncode == 0, result.stdout
    assert "3 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "imports", "contract"),
    [
        ("portal/shortcut.py", "from access.models import Grant", "portal imports no app"),
        ("portal/api/shortcut.py", "import dsar.models", "portal imports no app"),
        ("access/shortcut.py", "from incidents import models", "access imports neither incidents nor dsar"),
        ("access/services/shortcut.py", "import dsar", "access imports neither incidents nor dsar"),
        ("incidents/shortcut.py", "from dsar.models import *", "incidents does not import dsar"),
    ],
)
def test_import_linter_refuses_a_forbidden_import(project_copy, module, imports, contract):
    target = project_copy / module
    target.write_text(f"{imports}  # noqa\n")
    try:
        result = lint_imports(project_copy)
    finally:
        target.unlink()

    assert result.returncode == 1
    assert f"{contract} BROKEN" in result.stdout
    assert "1 broken" in result.stdout
    assert module.removesuffix(".py").replace("/", ".") in result.stdout


# --- The lock files follow the requirements -----------------------------------------------


def _pins(path: Path) -> dict[str, str]:
    """``name==version`` lines of a requirements or lock file, names normalised (PEP 503), extras dropped."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip().rstrip("\\").strip()
        if "==" in line and not line.startswith("-"):
            name, version = line.split("==", 1)
            name = re.sub(r"[-_.]+", "-", name.split("[", 1)[0]).lower()
            pins[name] = version.split(";", 1)[0].strip()
    return pins


@pytest.mark.parametrize(
    ("requirements", "lock"),
    [("requirements.txt", "requirements.lock"), ("requirements-dev.txt", "requirements-dev.lock")],
)
def test_the_lock_holds_every_pinned_requirement_at_its_version(requirements, lock):
    wanted = _pins(ROOT / requirements)
    if requirements == "requirements-dev.txt":
        wanted |= _pins(ROOT / "requirements.txt")
    locked = _pins(ROOT / lock)

    stale = {name: (version, locked.get(name)) for name, version in wanted.items() if locked.get(name) != version}
    assert not stale, f"{lock} is stale; run `make lock`: {stale}"
    assert all("--hash=sha256:" in block for block in (ROOT / lock).read_text().split("==")[1:])


def test_the_dev_lock_agrees_with_the_runtime_lock():
    runtime, dev = _pins(ROOT / "requirements.lock"), _pins(ROOT / "requirements-dev.lock")
    assert {name: dev.get(name) for name in runtime} == runtime
