"""Runs the example third-party adapter's own contract binding (``examples/custom_storage.py``)
and keeps the "write your own storage adapter" section of docs/architecture.md honest."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

from owncast_core.testing.contracts.video_storage import VideoStorageContract

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "custom_storage.py"
DOCS = ROOT / "docs" / "architecture.md"
SECTION = "## Write your own storage adapter"


def _load_example():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("owncast_example_custom_storage", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


TestMirrorVideoStorage = _load_example().TestMirrorVideoStorage


def _section() -> str:
    text = DOCS.read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start:] if end == -1 else text[start:end]


def test_docs_code_is_the_tested_example() -> None:
    blocks = re.findall(r"```python\n(.*?)```", _section(), flags=re.S)
    assert blocks, "the section shows the binding"
    example = EXAMPLE.read_text()
    for block in blocks:
        assert block.strip() in example, f"docs/architecture.md shows code not in the example:\n{block}"


def test_docs_name_the_contract_cases() -> None:
    cases = [name for name in dir(VideoStorageContract) if name.startswith("test_")]
    section = _section()
    missing = [name for name in cases if name not in section]
    assert not missing, f"docs/architecture.md does not list {missing}"
