"""operations is infrastructure below the apps: it imports none of them (accounts' interface excepted, for
the MFA hook), and the apps reach it only through operations.interface."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "billing", "subscriptions", "marketplace", "licensing", "rewards")


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module, [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []


def _code(folder: Path):
    for path in folder.rglob("*.py"):
        if not {"tests", "migrations"} & set(path.relative_to(ROOT).parts):
            yield path


def test_operations_imports_no_app():
    problems = []
    for path in _code(ROOT / "operations"):
        for lineno, module, _ in _imports(path):
            top = module.split(".")[0]
            if top in APPS and module != "accounts.interface":
                problems.append(f"{path.relative_to(ROOT)}:{lineno} imports {module}")
    assert problems == []


def test_apps_use_operations_only_through_its_interface():
    problems = []
    for app in APPS:
        if not (ROOT / app).is_dir():
            continue
        for path in _code(ROOT / app):
            for lineno, module, names in _imports(path):
                if (
                    module == "operations"
                    and names != ["interface"]
                    or (module.startswith("operations.") and module != "operations.interface")
                ):
                    problems.append(f"{path.relative_to(ROOT)}:{lineno} imports {module}")
    assert problems == []
