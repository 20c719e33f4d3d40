"""ember's layers: the tensor core (tensors, dtypes, devices, errors, printing, checkpoints, ops,
autograd) sits below nn, optim, utils and vision and never imports them.  nn reaches back into
the core through small hooks instead (the error context provider, class flags on Parameter,
the parameter class _load rebuilds), so importing the core never pulls in nn.

The imports are read from the source with ``ast`` (nothing is imported): module-level and inside
functions, relative and absolute, and ``importlib.import_module("...")`` with a literal name.
"""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ember"

UPPER = ("ember.nn", "ember.optim", "ember.utils", "ember.vision")

# the tensor core named file by file; the rule below covers every module outside the upper
# layers, these are listed so that none of them can drift out of the check unnoticed
CORE = ("ember._tensor", "ember._dtype", "ember._errors", "ember._printing", "ember._device",
        "ember._save", "ember._load", "ember._unpickler", "ember.ops", "ember.autograd")


def _module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_in(name, prefixes):
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _imported_names(node, module, is_package):
    """The absolute names an import statement (or an import_module call) may load."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:  # relative: climb from the file's package
            package = module if is_package else module.rpartition(".")[0]
            parts = package.split(".")
            parts = parts[: len(parts) - node.level + 1]
            base = ".".join(parts + ([node.module] if node.module else []))
        # 'from ember import nn' loads ember.nn: each imported name may be a submodule
        return [base] + [f"{base}.{alias.name}" for alias in node.names]
    if (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in ("import_module", "__import__"):
            return [node.args[0].value]
    return []


def _walk(tree, module_level_only):
    """Every node of the tree; without the bodies of functions when module_level_only."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if module_level_only and isinstance(
                    child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            stack.append(child)


def imports(path, module_level_only=False):
    """(line, statement text, absolute names) for each import in the file at ``path``."""
    module = _module_name(path)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in _walk(tree, module_level_only):
        names = _imported_names(node, module, is_package)
        if names:
            found.append((node.lineno, ast.unparse(node), names))
    return sorted(found)


def _files():
    return sorted(PACKAGE.rglob("*.py"))


def _lower_files():
    """Every module of ember below the upper layers (all but them and ember/__init__.py)."""
    return [p for p in _files()
            if p != PACKAGE / "__init__.py" and not _is_in(_module_name(p), UPPER)]


def _upward_imports(path, module_level_only=False):
    return [f"{path.relative_to(ROOT)}:{line}: {text}"
            for line, text, names in imports(path, module_level_only)
            if any(_is_in(name, UPPER) for name in names)]


def test_the_core_files_are_checked():
    lower = {_module_name(p) for p in _lower_files()}
    for name in CORE:
        assert name in lower, f"{name} is missing from the layering check"
    assert {"ember._errors", "ember.ops.binary", "ember.autograd.engine"} <= lower


def test_core_never_imports_nn_optim_utils_or_vision():
    bad = [line for path in _lower_files() for line in _upward_imports(path)]
    assert not bad, ("the core imports a layer above it (register a hook from that layer "
                     "instead):\n" + "\n".join(bad))


def test_errors_and_printing_do_not_import_nn_at_all():
    # the two modules that used to import nn (the layer's name, Parameter's repr)
    for name in ("_errors.py", "_printing.py"):
        path = PACKAGE / name
        bad = [f"{path.relative_to(ROOT)}:{line}: {text}" for line, text, names in imports(path)
               if any(_is_in(n, ("ember.nn",)) for n in names)]
        assert not bad, "\n".join(bad)


def _file_of(name):
    """The source file of module ``name``, or None when it is not a module of ember."""
    path = ROOT.joinpath(*name.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _loaded_at_import(name):
    """The ember modules importing ``name`` loads: ``name``, and its packages but ember's
    namespace (ember/__init__.py sits on top of every layer and is left out)."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(2, len(parts) + 1)]


def test_no_module_level_import_cycle_between_core_and_nn():
    # nn imports the core; a cycle exists once the core reaches nn again by module-level
    # imports, directly or through other modules (every file of ops/ and autograd/ is a start:
    # nn imports some that the core itself never does)
    todo = [_module_name(p) for p in _files() if _is_in(_module_name(p), CORE)]
    seen, came_from = set(), {}
    while todo:
        name = todo.pop()
        path = _file_of(name)
        if name in seen or path is None:
            continue
        seen.add(name)
        if _is_in(name, UPPER):
            continue  # reached: the report names the import that led here
        for line, text, names in imports(path, module_level_only=True):
            for target in names:
                for loaded in _loaded_at_import(target):
                    if loaded not in seen and _file_of(loaded) is not None:
                        came_from.setdefault(loaded, f"{path.relative_to(ROOT)}:{line}: {text}")
                        todo.append(loaded)
    reached = sorted(name for name in seen if _is_in(name, UPPER))
    assert not reached, "the core imports at module level: " + "; ".join(
        f"{name} (via {came_from[name]})" for name in reached)
