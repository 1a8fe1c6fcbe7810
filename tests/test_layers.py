"""The house's layers, read from the source: models <- pipelines <- studio <- server, cluster on
models only, and no import circle between modules. Every import counts, a deferred one inside a
function too: it runs sooner or later."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("models", "pipelines", "studio", "server", "cluster", "scripts")
FORBIDDEN = {  # a package -> the packages it must not import
    "models": {"pipelines", "studio", "server", "cluster"},
    "pipelines": {"studio", "server", "cluster"},
    "studio": {"server"},
    "cluster": {"pipelines", "studio", "server"},
}


def modules_under(root: Path) -> dict[str, Path]:
    """Dotted name -> file, for every module of the packages that exist under `root`."""
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imported_names(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The dotted names `name` imports, absolute; a script's bare `import x` of a sibling is scripts.x."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    if name.startswith("scripts."):
        names = {f"scripts.{n}" if f"scripts.{n.split('.')[0]}" in modules else n for n in names}
    return names


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> every name it imports (resolved to a module of ours where one matches)."""
    modules = modules_under(root)
    graph = {}
    for name, path in modules.items():
        targets = set()
        for imported in imported_names(name, path, modules):
            parts = imported.split(".")
            ours = next((".".join(parts[:n]) for n in range(len(parts), 0, -1) if ".".join(parts[:n]) in modules), None)
            targets.add(ours or imported)
        targets.discard(name)
        graph[name] = targets
    return graph


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{name} imports {target}"
        for name, targets in graph.items()
        for target in targets
        if target.split(".")[0] in FORBIDDEN.get(name.split(".")[0], ())
    )


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles: strongly connected groups of two or more modules (Tarjan)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node] & graph.keys()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while not group or group[-1] != node:
                group.append(stack.pop())
                on_stack.discard(group[-1])
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_no_module_imports_a_higher_layer():
    violations = layer_violations(import_graph(ROOT))
    assert not violations, "imports against the layers:\n" + "\n".join(violations)


def test_no_import_circle():
    found = circles(import_graph(ROOT))
    assert not found, "import circles:\n" + "\n".join(" <-> ".join(group) for group in found)


def test_the_checks_see_violations_circles_and_absent_packages(tmp_path):
    files = {
        "models/__init__.py": "",
        "models/runtime.py": "def load():\n    from server.jobs import Jobs\n",  # deferred: it counts
        "pipelines/a.py": "from . import b\n",
        "pipelines/b.py": "from pipelines.a import thing\n",
        "cluster/slot.py": "import models.runtime\n",
        "scripts/one.py": "import two\n",
        "scripts/two.py": "from one import main\n",
        "server/jobs.py": "from pipelines import a\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    graph = import_graph(tmp_path)  # no studio folder: nothing to read there
    assert layer_violations(graph) == ["models.runtime imports server.jobs"]
    assert circles(graph) == [["pipelines.a", "pipelines.b"], ["scripts.one", "scripts.two"]]
