#!/usr/bin/env python3
"""Fail on uses of another module's private names (one leading underscore: "only this module uses
it"): ``from X import _name``, and ``module._name`` where ``module`` was bound by an import.
Attributes of classes and instances (``Model._meta``, ``self._cache``) are not imports: they pass.
Migrations are generated (they name field defaults by path, private or not) and are skipped.

Usage: scripts/check_private_imports.py [package-or-file ...]   (default: the app packages)
Prints ``file:line: ...`` for each finding and exits 1 when there is any (`make lint`)."""

import ast
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ["accounts", "api", "common", "demo", "escrow", "leasing", "marketplace", "notifications", "trust", "warehouses"]


def private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and name != "_"


def is_module(dirs: list[Path], dotted: str) -> bool:
    """Whether ``dotted`` (a module path below one of ``dirs``) is a module or package on disk."""
    for base in dirs:
        path = base.joinpath(*dotted.split("."))
        if path.with_suffix(".py").is_file() or (path / "__init__.py").is_file():
            return True
    return False


def check(file: Path, bases: list[Path]) -> list[str]:
    tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
    found: list[str] = []
    shown = os.path.relpath(file)
    modules: dict[str, tuple[list[Path], str]] = {}  # a name bound to a module -> (dirs, dotted path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                modules[bound] = (bases, alias.name if alias.asname else bound)
        elif isinstance(node, ast.ImportFrom):
            dirs = bases
            if node.level:  # relative: the package directory, ``level - 1`` parents up from the file
                dirs = [file.parents[node.level - 1]]
            prefix = f"{node.module}." if node.module else ""
            source = "." * node.level + (node.module or "")
            for alias in node.names:
                if private(alias.name):
                    found.append(f"{shown}:{node.lineno}: imports private {alias.name} from {source}")
                elif is_module(dirs, prefix + alias.name):
                    modules[alias.asname or alias.name] = (dirs, prefix + alias.name)
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and private(node.attr)):
            continue
        parts: list[str] = []
        value = node.value
        while isinstance(value, ast.Attribute):
            parts.insert(0, value.attr)
            value = value.value
        if isinstance(value, ast.Name) and value.id in modules:
            dirs, dotted = modules[value.id]
            if is_module(dirs, ".".join([dotted, *parts])):
                found.append(f"{shown}:{node.lineno}: uses private {ast.unparse(node)}")
    return found


def main(args: list[str]) -> int:
    targets = [Path(arg) for arg in args] or [ROOT / app for app in APPS]
    bases = [Path.cwd(), ROOT, *(target.resolve().parent for target in targets), *(Path(p) for p in sys.path if p)]
    files = sorted(f for t in targets for f in ([t] if t.is_file() else t.rglob("*.py")) if "migrations" not in f.parts)
    found = [line for file in files for line in check(file, bases)]
    print("\n".join(found) or f"No private imports in {len(files)} files.")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
