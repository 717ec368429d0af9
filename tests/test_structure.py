"""The package's shape: every import points down the data flow (or sideways within a package),
and no module grows past the size one reader can hold.

Layers, bottom up (README, "Architecture"): the ground floor (errors, paths, locks, log, settings,
fastjson, directives, identity, vocabularies) < runtime < store < queue < providers < index <
search < context < capture (the hook entry) < extract < lifecycle < surfaces (cli, mcpserver,
viewer, doctor). Every import counts: module level, inside functions (lazy) and under TYPE_CHECKING.
"""

from __future__ import annotations

import ast
from pathlib import Path

from helpers.hooks import ROOT

PACKAGE = ROOT / "recall_plugin"
ORDER = (
    ("", "errors", "paths", "locks", "log", "settings", "fastjson", "directives", "identity",
     "ftsquery", "sqldriver", "querydates", "vocab", "records"),
    ("runtime",), ("store",), ("queue",), ("providers",), ("index",), ("search",), ("context",),
    ("capture",), ("extract",), ("lifecycle",), ("cli", "mcpserver", "viewer", "doctor", "__main__"),
)
LAYER = {name: level for level, names in enumerate(ORDER) for name in names}
MAX_LINES = 450
# Upward imports still there, each with its reason ("module -> imported": why). None today.
ALLOWED_UPWARD: dict[str, str] = {}
# Modules over MAX_LINES, each with its reason. None today.
LONG_MODULES: dict[str, str] = {}


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def area(module: str) -> str:
    """The top-level part of ``recall_plugin`` a module belongs to ("" for the package itself)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def imported(module: str, path: Path, known: dict[str, Path]) -> list[tuple[str, int]]:
    """(recall_plugin module imported, line) for every import statement in ``path``."""
    here = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = here[:len(here) - node.level + 1] if node.level else []
            source = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:  # `from .. import paths` imports the module recall_plugin.paths
                target = f"{source}.{alias.name}"
                found.append((target if target in known else source, node.lineno))
    return [(name, line) for name, line in found if name.split(".")[0] == "recall_plugin"]


def test_every_module_belongs_to_a_layer() -> None:
    unplaced = sorted({area(m) for m in modules()} - set(LAYER))
    assert not unplaced, f"add these to ORDER (and to the README's layer list): {unplaced}"


def test_every_import_points_down_or_sideways_within_its_package() -> None:
    known = modules()
    upward = []
    for module, path in known.items():
        for target, line in imported(module, path, known):
            mine, theirs = area(module), area(target)
            if mine != theirs and LAYER[theirs] > LAYER[mine]:
                upward.append(f"{module} -> {target} (line {line})")
    unexplained = [u for u in upward if u.split(" (line")[0] not in ALLOWED_UPWARD]
    assert not unexplained, "imports pointing up the layers:\n" + "\n".join(unexplained)
    stale = set(ALLOWED_UPWARD) - {u.split(" (line")[0] for u in upward}
    assert not stale, f"no longer needed in ALLOWED_UPWARD: {sorted(stale)}"


def test_the_structure_check_sees_lazy_and_relative_imports(tmp_path: Path) -> None:
    """The checker itself: a lazy relative import inside a function is found and resolved."""
    source = tmp_path / "recall_plugin" / "store" / "bad.py"
    source.parent.mkdir(parents=True)
    source.write_text("def f():\n    from ..cli import text\n    from .. import paths\n")
    known = {"recall_plugin.cli.text": source, "recall_plugin.paths": source}
    assert imported("recall_plugin.store.bad", source, known) == [
        ("recall_plugin.cli.text", 2), ("recall_plugin.paths", 3)]


def test_no_module_is_longer_than_the_limit() -> None:
    lengths = {m: len(p.read_text().splitlines()) for m, p in modules().items()}
    long = {m: n for m, n in lengths.items() if n > MAX_LINES and m not in LONG_MODULES}
    assert not long, f"modules over {MAX_LINES} lines (split them by concern): {long}"
    short_again = [m for m in LONG_MODULES if lengths.get(m, 0) <= MAX_LINES]
    assert not short_again, f"no longer over the limit, drop from LONG_MODULES: {short_again}"


def test_each_vocabulary_is_written_once() -> None:
    """The shared words live in ``recall_plugin/vocab.py``; nothing else spells the list out
    (the first migration's CHECK constraint excepted: a migration is history)."""
    from recall_plugin import vocab

    written_elsewhere = []
    for words in (vocab.OBSERVATION_TYPES, vocab.EVENT_KINDS, vocab.PROVIDER_NAMES):
        spellings = [", ".join(f"{q}{w}{q}" for w in words[:3]) for q in ("\"", "'")]
        for path in sorted(PACKAGE.rglob("*")):
            if path.suffix not in (".py", ".js", ".html") or path.name == "vocab.py":
                continue
            text = path.read_text()
            if any(s in text for s in spellings) and path.name != "migrations.py":
                written_elsewhere.append(f"{path.relative_to(ROOT)}: {words[0]}, ...")
    assert not written_elsewhere, written_elsewhere
    page = (PACKAGE / "viewer" / "static" / "index.html").read_text()
    assert not [t for t in vocab.OBSERVATION_TYPES if f'value="{t}"' in page]


def test_every_error_class_is_in_the_one_tree() -> None:
    """Exceptions are defined in ``errors.py`` only (its docstring draws the tree)."""
    import builtins

    tree_doc = (PACKAGE / "errors.py").read_text()
    found = []
    for module, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ClassDef):
                continue
            bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
            raising = any(isinstance(getattr(builtins, b, None), type)
                          and issubclass(getattr(builtins, b), BaseException) for b in bases)
            if raising or any(b.endswith(("Error", "Exception")) for b in bases):
                found.append((module, node.name))
    assert found and {m for m, _ in found} == {"recall_plugin.errors"}, found
    assert all(f"── {name}" in tree_doc for _, name in found if name != "RecallError")
