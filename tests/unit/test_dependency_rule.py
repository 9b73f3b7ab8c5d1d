"""The dependency rule of the hexagon: core imports no adapter, runner or I/O library."""

from __future__ import annotations

import ast
from pathlib import Path

import owncast_core

FORBIDDEN = {
    "owncast_adapters", "owncast_runners", "starlette", "hypercorn", "sqlite_utils", "sqlite3", "av",
    "aioboto3", "boto3", "botocore", "httpx", "geoip2", "dependency_injector", "bcrypt", "websockets",
    "socket", "subprocess", "urllib.request", "http.client",
}
# The contract suites are test code shipped for third parties: they may use pytest.
ALLOWED_ONLY_IN_TESTING = {"pytest"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def violations() -> list[str]:
    root = Path(owncast_core.__file__).parent
    found = []
    for path in root.rglob("*.py"):
        in_testing = "testing" in path.relative_to(root).parts
        for name in imported_modules(path):
            top = name.split(".")[0]
            if name in FORBIDDEN or top in FORBIDDEN:
                found.append(f"{path.relative_to(root)} imports {name}")
            if top in ALLOWED_ONLY_IN_TESTING and not in_testing:
                found.append(f"{path.relative_to(root)} imports {name} outside owncast_core.testing")
    return found


def test_core_imports_no_outer_layer_or_io_library() -> None:
    assert violations() == []


def test_the_checker_catches_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import sqlite3\nfrom owncast_adapters.sqlite import database\n")
    assert imported_modules(bad) >= {"sqlite3", "owncast_adapters.sqlite"}


def test_only_the_container_names_concrete_adapters() -> None:
    runners = Path(owncast_core.__file__).parent.parent / "owncast_runners"
    offenders = [
        str(p.relative_to(runners)) for p in runners.rglob("*.py")
        if p.name != "container.py" and any(m.startswith("owncast_adapters") for m in imported_modules(p))
    ]
    assert offenders == []
