"""How much of torch's public API ember has: the names of torch's public namespaces that ember
has too, counted namespace by namespace.

    python scripts/api_coverage.py              # the table and the total
    python scripts/api_coverage.py --missing    # and, per namespace, the names ember lacks

Needs torch (the test extra installs it); ember itself never imports torch.

What counts: every public name (no leading underscore) of each namespace below that is not a
module (submodules are namespaces of their own) and not a typing helper or a JIT / C++
internal (the rules are EXCLUDED_PREFIXES, EXCLUDED and _is_internal: TorchScript's IR types,
dispatcher and benchmark classes, quantized and backend-library kernels).  A name counts as
present when the matching ember namespace has an attribute of that name.
"""

import argparse
import importlib
import inspect
import re
import sys
import types
import warnings

import torch

import ember

# (torch's namespace, ember's); the names real programs reach
NAMESPACES = [
    ("torch", "ember"),
    ("torch.Tensor", "ember.Tensor"),
    ("torch.nn", "ember.nn"),
    ("torch.nn.functional", "ember.nn.functional"),
    ("torch.nn.init", "ember.nn.init"),
    ("torch.nn.utils", "ember.nn.utils"),
    ("torch.optim", "ember.optim"),
    ("torch.optim.lr_scheduler", "ember.optim.lr_scheduler"),
    ("torch.utils.data", "ember.utils.data"),
    ("torch.utils.checkpoint", "ember.utils.checkpoint"),
    ("torch.autograd", "ember.autograd"),
    ("torch.linalg", "ember.linalg"),
    ("torch.fft", "ember.fft"),
    ("torch.special", "ember.special"),
    ("torch.distributions", "ember.distributions"),
    ("torch.func", "ember.func"),
    ("torch.amp", "ember.amp"),
    ("torch.backends", "ember.backends"),
    ("torch.distributed", "ember.distributed"),
]

# kernels of quantized tensors and of backend libraries, symbolic shapes, vendor devices
EXCLUDED_PREFIXES = ("q_", "quantize", "quantized_", "fbgemm_", "mkldnn_", "miopen_", "cudnn_",
                     "native_", "sym_", "is_vulkan", "vulkan_", "xpu", "mps", "mtia",
                     "fake_quantize", "choose_qparams", "batch_norm_", "_")
# TorchScript's compiler and IR, the dispatcher, loggers and benchmarks, typing helpers
EXCLUDED = {
    "AliasDb", "Argument", "ArgumentSpec", "Block", "CallStack", "Capsule", "ClassType", "Code",
    "CompilationUnit", "CompleteArgumentSpec", "ConcreteModuleType", "ConcreteModuleTypeBuilder",
    "DeepCopyMemoTable", "DeserializationStorageContext", "DisableTorchFunction",
    "DisableTorchFunctionSubclass", "DispatchKey", "DispatchKeySet", "ErrorReport",
    "ExcludeDispatchKeyGuard", "ExecutionPlan", "FatalError", "FileCheck", "FunctionSchema",
    "Future", "Gradient", "Graph", "GraphExecutorState", "IODescriptor", "InferredType",
    "JITException", "LiteScriptModule", "LockingLogger", "LoggerBase", "Node", "NoopLogger",
    "OperatorInfo", "PyTorchFileReader", "PyTorchFileWriter", "SerializationStorageContext",
    "StaticModule", "Tag", "ThroughputBenchmark", "BenchmarkConfig", "BenchmarkExecutionStats",
    "TracingState", "Use", "Value", "AggregationType", "StorageBase",
    "compiled_with_cxx11_abi", "typename", "unify_type_list", "parse_ir", "parse_schema",
    "parse_type_comment", "import_ir_module", "import_ir_module_from_buffer",
    "merge_type_from_type_comment", "read_vitals", "set_vital", "vitals_enabled", "wait",
    "fork", "TYPE_CHECKING", "Any", "Callable", "Optional", "Union", "TypeVar", "Iterable",
    "Iterator", "Sequence", "Tuple", "List", "Dict", "overload", "annotations",
}


def _is_internal(name, obj):
    """TorchScript's IR types (IntType, ScriptModule, ...) and symbolic-shape classes."""
    if inspect.isclass(obj):
        module = getattr(obj, "__module__", "") or ""
        if re.fullmatch(r"[A-Z]\w*Type", name) or name.startswith(("Script", "Sym")):
            return True
        if module.startswith(("torch.jit", "torch._jit", "torch.fx", "torch._dynamo",
                              "torch._ops", "torch._library", "typing")):
            return True
    return False


def _resolve(path):
    """A module or class from a dotted path (``torch.Tensor`` is a class of module torch)."""
    module_name, _, attribute = path.rpartition(".")
    try:
        return importlib.import_module(path)
    except ImportError:
        pass
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError):
        return None


def public_names(namespace):
    """The names of a torch namespace that count (see the module docstring): its ``__all__``
    where it has one, else its public names; of a module, only what torch itself defines
    (``torch.utils.checkpoint`` also holds the names it imported from ``typing``, ...)."""
    names = []
    listed = getattr(namespace, "__all__", None) if isinstance(namespace, types.ModuleType) \
        else None
    for name in (listed if listed is not None else dir(namespace)):
        if name.startswith(EXCLUDED_PREFIXES) or name in EXCLUDED:
            continue
        try:
            obj = getattr(namespace, name)
        except Exception:  # a lazy attribute that fails to load on this machine
            continue
        if isinstance(obj, types.ModuleType) or _is_internal(name, obj):
            continue
        defined_in = getattr(obj, "__module__", None)
        if isinstance(namespace, types.ModuleType) and (inspect.isclass(obj) or callable(obj)) \
                and isinstance(defined_in, str) and not defined_in.startswith("torch"):
            continue  # imported from elsewhere (typing, contextlib, functools, ...)
        names.append(name)
    return names


def coverage():
    """[(torch namespace, names, missing names)] for every namespace."""
    rows = []
    for torch_path, ember_path in NAMESPACES:
        theirs = _resolve(torch_path)
        ours = _resolve(ember_path)
        with warnings.catch_warnings():  # reading deprecated aliases warns
            warnings.simplefilter("ignore")
            names = public_names(theirs)
        missing = [n for n in names if ours is None or not hasattr(ours, n)]
        rows.append((torch_path, names, missing))
    return rows


def main(argv):
    parser = argparse.ArgumentParser(description="torch's public names that ember has")
    parser.add_argument("--missing", action="store_true", help="list the missing names")
    args = parser.parse_args(argv[1:])
    rows = coverage()
    total = present = 0
    print(f"{'namespace':28} {'ember has':>11} {'of':>5} {'share':>7}")
    for path, names, missing in rows:
        have = len(names) - len(missing)
        total, present = total + len(names), present + have
        share = have / len(names) if names else 1.0
        print(f"{path:28} {have:11d} {len(names):5d} {share:7.1%}")
        if args.missing and missing:
            print("    missing: " + ", ".join(missing))
    print(f"{'all':28} {present:11d} {total:5d} {present / total:7.1%}"
          f"   (ember {ember.__version__}, torch {torch.__version__})")


if __name__ == "__main__":
    main(sys.argv)
