"""Imports point one way: rules → extract → store → calendar|notify|sources → jobs|web → cli."""

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "scheduler"
LAYER = {"extract": 1, "store": 2, "calendar": 3, "notify": 3, "sources": 3, "jobs": 4, "web": 4,
         "cli": 5}
LEAVES = {"errors", "config", "clock", "__init__", "__main__"}
FORBIDDEN_IN_EXTRACT = {"sqlmodel", "sqlalchemy", "jinja2", "icalendar", "ics", "apscheduler",
                        "typer", "rich", "click", "uvicorn", "starlette"}


def imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def layer_of(module: str):
    parts = module.split(".")
    if parts[0] != "scheduler" or len(parts) < 2:
        return None
    return LAYER.get(parts[1])


FILES = sorted(PKG.rglob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PKG)))
def test_imports_point_one_way(path):
    rel = path.relative_to(PKG)
    own = LAYER.get(rel.parts[0]) if len(rel.parts) > 1 else 0
    for module in imports(path):
        target = layer_of(module)
        if target is None:
            continue
        if rel.name == "__main__.py":
            continue   # the entry point runs the CLI
        if own == 0:
            assert module.split(".")[1] in LEAVES, f"leaf module {rel} imports {module}"
        else:
            same = module.split(".")[1] == rel.parts[0]
            assert same or target < own, f"{rel} (layer {own}) imports {module} (layer {target})"


@pytest.mark.parametrize("path", sorted((PKG / "extract").rglob("*.py")), ids=lambda p: p.name)
def test_extract_imports_no_database_template_calendar_or_scheduler(path):
    for module in imports(path):
        assert module.split(".")[0] not in FORBIDDEN_IN_EXTRACT, f"{path.name} imports {module}"


def test_the_checker_catches_a_wrong_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import sqlmodel\nfrom scheduler.store import connect\n")
    found = list(imports(bad))
    assert "sqlmodel" in found and layer_of("scheduler.store") > LAYER["extract"]
