"""The package's floors: every import of fitcli/ (at the top of a module or inside a
function) goes to the same floor or one below, and no imports go round in a circle.

    __main__ > cli > commands > report > io > fitcli (the API) > core > errors

cli, the composition root, is imported by no module but __main__.
"""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "fitcli"
FLOORS = [("fitcli.errors", 0), ("fitcli.core", 1), ("fitcli.io", 3), ("fitcli.report", 4),
          ("fitcli.commands", 5), ("fitcli.cli", 6), ("fitcli.__main__", 7), ("fitcli", 2)]


def _modules() -> dict[str, pathlib.Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def floor(module: str) -> int:
    return next(f for prefix, f in FLOORS if module == prefix or module.startswith(prefix + "."))


def _imports(name: str, path: pathlib.Path) -> set[str]:
    """The fitcli modules `name` imports (a from-import of a name that is a module counts
    as that module; otherwise as the module it comes from)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in MODULES else base)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def test_the_floors_are_known():
    assert {"fitcli.cli", "fitcli.core.objective", "fitcli.report.console", "fitcli.io.csv_in",
            "fitcli.commands.fit"} <= set(MODULES)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_go_down_or_stay_on_their_floor(name):
    upward = sorted(m for m in GRAPH[name] if floor(m) > floor(name))
    assert not upward, f"{name} (floor {floor(name)}) imports {upward} from above"


def test_no_module_imports_the_composition_root():
    callers = sorted(n for n, deps in GRAPH.items() if "fitcli.cli" in deps)
    assert callers == ["fitcli.__main__"]


def test_no_import_circle():
    """Depth-first search for a back edge; the circle, if any, is named."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(GRAPH[node]):
            if state.get(nxt) == "open":
                circle = stack[stack.index(nxt):] + [nxt]
                pytest.fail("import circle: " + " -> ".join(circle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for name in sorted(GRAPH):
        if name not in state:
            visit(name)


def test_the_printer_is_the_only_writer_of_the_streams():
    """Only report.console writes to stdout or stderr (print, sys.stdout, sys.stderr)."""
    writers = []
    for name, path in MODULES.items():
        text = path.read_text()
        if any(s in text for s in ("print(", "sys.stdout", "sys.stderr")) and name != "fitcli.report.console":
            lines = [i + 1 for i, line in enumerate(text.splitlines())
                     if any(s in line for s in ("print(", "sys.stdout", "sys.stderr"))
                     and not line.lstrip().startswith(("#", '"'))]
            writers += [f"{name}:{i}" for i in lines]
    assert not writers, writers
