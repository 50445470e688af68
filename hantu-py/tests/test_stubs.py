"""The hand-written stubs must list exactly what the compiled module exports (drift check)."""

import ast
import inspect
from pathlib import Path

import hantu
from hantu import _hantu

STUB = Path(hantu.__file__).with_name("_hantu.pyi")


def stub_names():
    tree = ast.parse(STUB.read_text())
    top, indicators, kis = set(), set(), set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            top.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            top.add(node.target.id)
        if isinstance(node, ast.ClassDef) and node.name == "_Indicators":
            indicators = {n.name for n in node.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        if isinstance(node, ast.ClassDef) and node.name == "_Kis":
            kis = {n.name for n in node.body if isinstance(n, ast.ClassDef)}
    return top - {"_Indicators", "_Kis"}, indicators, kis


def public(module):
    return {n for n in dir(module) if not (n.startswith("__") and n != "__version__")} - {"indicators", "kis"}


def test_stub_ships_with_the_wheel():
    assert STUB.is_file() and Path(hantu.__file__).with_name("py.typed").is_file()


def test_stub_matches_module():
    top, indicators, kis = stub_names()
    assert top - {"indicators", "kis"} == public(_hantu)
    assert indicators == public(_hantu.indicators)
    assert kis == public(_hantu.kis)


def test_stub_signatures_match_runtime():
    tree = ast.parse(STUB.read_text())
    funcs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    for name, node in funcs.items():
        sig = inspect.signature(getattr(_hantu, name))
        assert [a.arg for a in node.args.args] == list(sig.parameters), name
