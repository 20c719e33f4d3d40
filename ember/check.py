"""``python -m ember.check script.py``: will this PyTorch script run on ember?

The script is read, never run: its syntax tree (``ast``) gives every ``torch.*``, ``nn.*``,
``F.*`` and ``torchvision.*`` name it uses, whatever the import spelling (``import torch.nn as nn``,
``from torch.nn import functional as F``, ``from torch.optim import Adam``).  Each name is
looked up in ember itself (``torch.nn.functional.relu`` -> ``ember.nn.functional.relu``,
``torchvision.transforms.ToTensor`` -> ``ember.vision.transforms.ToTensor``), so the
answer is always the one of the installed ember; there is no hand-kept list.

Tensor methods are checked too, where the script makes the receiver plain: a variable assigned
from a torch call (``x = torch.randn(3)``), or from arithmetic or a method call on such a
variable; ``x.view(...)``, ``x.shape`` are then looked up on ``ember.Tensor``.

The report lists supported and missing names with the line of their first use; the exit
status is 1 when something is missing (usable in CI), 0 otherwise.
"""

import ast
import importlib
import sys

# the torch packages a script imports, and the ember module each one is (as ember.run maps them)
_ROOTS = {"torch": "ember", "torchvision": "ember.vision"}


def _is_torch_module(name):
    return name.partition(".")[0] in _ROOTS

__all__ = ["check_source", "check_file", "main"]


class Report:
    """The names a script uses: ``supported`` and ``missing`` map a name to its lines."""

    def __init__(self, filename):
        self.filename = filename
        self.supported = {}
        self.missing = {}

    def add(self, name, line, ok):
        (self.supported if ok else self.missing).setdefault(name, []).append(line)

    def __str__(self):
        total = len(self.supported) + len(self.missing)
        lines = [f"{self.filename}: {total} torch names used, {len(self.supported)} "
                 f"supported, {len(self.missing)} missing in ember"]
        for title, names in (("missing", self.missing), ("supported", self.supported)):
            if not names:
                continue
            lines.append(f"  {title}:")
            for name in sorted(names, key=lambda n: (names[n][0], n)):
                where = ", ".join(str(n) for n in sorted(set(names[name]))[:5])
                lines.append(f"    {name:<44} line {where}")
        if self.missing:
            lines.append("  ember lacks the missing names above: the script stops when it "
                         "reaches one of them; the rest would run.")
        return "\n".join(lines)


def _resolve(torch_name):
    """Whether ``torch.a.b`` exists as ``ember.a.b`` (importing ember's submodules as needed).
    ``torch.Tensor.x`` is looked up on ember.Tensor; ``torchvision.x`` is ``ember.vision.x``."""
    parts = torch_name.split(".")
    path = _ROOTS[parts[0]]
    obj = importlib.import_module(path)
    for part in parts[1:]:
        path += "." + part
        if hasattr(obj, part):
            obj = getattr(obj, part)
            continue
        try:
            obj = importlib.import_module(path)
        except ImportError:
            return False
    return True


class _Finder(ast.NodeVisitor):
    """Walks the script in order, keeping the names that stand for torch modules/objects."""

    def __init__(self, report):
        self.report = report
        self.aliases = {}  # local name -> torch dotted name ('nn' -> 'torch.nn')
        self.tensors = set()  # variables known to hold tensors

    # -- imports
    def visit_Import(self, node):
        for alias in node.names:
            if _is_torch_module(alias.name):
                self._use(alias.name, node.lineno)
                if alias.asname:
                    self.aliases[alias.asname] = alias.name
                else:
                    top = alias.name.partition(".")[0]
                    self.aliases[top] = top

    def visit_ImportFrom(self, node):
        module = node.module or ""
        if node.level or not _is_torch_module(module):
            return
        for alias in node.names:
            if alias.name == "*":
                continue
            full = f"{module}.{alias.name}"
            self._use(full, node.lineno)
            self.aliases[alias.asname or alias.name] = full

    # -- uses
    def visit_Attribute(self, node):
        name = self._dotted(node)
        if name is not None:
            self._use(name, node.lineno)
            return  # the whole chain is one name
        if isinstance(node.value, ast.Name) and node.value.id in self.tensors:
            self._use(f"torch.Tensor.{node.attr}", node.lineno)
        self.generic_visit(node)

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load) and node.id in self.aliases:
            full = self.aliases[node.id]
            if full.count(".") > 0 and full.split(".")[-1] == node.id:
                self._use(full, node.lineno)  # from torch.nn import Linear; Linear(...)

    def visit_Assign(self, node):
        self.visit(node.value)
        holds_tensor = self._is_tensor(node.value)
        for target in node.targets:
            self.visit(target)
            if isinstance(target, ast.Name):
                (self.tensors.add if holds_tensor else self.tensors.discard)(target.id)

    def _is_tensor(self, value):
        """A torch call, or arithmetic/method calls on a known tensor variable."""
        if isinstance(value, ast.BinOp):
            return self._is_tensor(value.left) or self._is_tensor(value.right)
        if isinstance(value, ast.Name):
            return value.id in self.tensors
        if isinstance(value, ast.Call):
            func = value.func
            name = self._dotted(func)
            if name is not None:
                last = name.split(".")[-1]
                # torch.randn(...) is a tensor; nn.Linear(...) (a class) is not
                return name.startswith("torch.") and name.count(".") == 1 and last[:1].islower()
            if isinstance(func, ast.Attribute):
                return self._is_tensor(func.value)
        if isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name):
            return value.value.id in self.tensors and value.attr in ("T", "mT", "grad", "data")
        return False

    def _dotted(self, node):
        """'torch.nn.functional.relu' for F.relu when F is an alias of a torch module."""
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id not in self.aliases:
            return None
        return ".".join([self.aliases[node.id]] + parts[::-1])

    def _use(self, name, line):
        if name not in _ROOTS:
            self.report.add(name, line, _resolve(name))


def check_source(source, filename="<script>"):
    """Read PyTorch code (text) and report which torch names ember has. Nothing is run."""
    report = Report(filename)
    _Finder(report).visit(ast.parse(source, filename))
    return report


def check_file(path):
    with open(path, encoding="utf-8") as f:
        return check_source(f.read(), path)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m ember.check script.py [more.py ...]\n"
              "Lists the torch names each script uses and whether ember has them "
              "(the scripts are read, not run).")
        return 0 if argv else 2
    status = 0
    for path in argv:
        try:
            report = check_file(path)
        except (OSError, SyntaxError) as e:
            print(f"{path}: cannot read it: {e}")
            status = 2
            continue
        print(report)
        if report.missing and status == 0:
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
