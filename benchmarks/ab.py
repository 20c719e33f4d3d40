"""A/B timings of two ember trees in one process: an old git revision against the working tree.

    python benchmarks/ab.py                     # HEAD against the working tree, all workloads
    python benchmarks/ab.py --old HEAD~3 add    # only the workloads whose name contains 'add'
    python benchmarks/ab.py --torch MLP         # torch as a third column
    python benchmarks/ab.py --single-thread     # torch and both embers pinned to one thread

What: the workloads of run.py (a, b, c and models.py's MLP, LeNet-5, ResNet-18, Transformer
steps), on the old revision's ember ("old") and on the working tree's ember/ ("new").
How: the old revision's ember/ is exported with git archive into a temporary directory (removed
at exit) as a package named ember_old, its absolute self-imports (import ember, from ember.x
import ...) rewritten to ember_old, so the two copies share no sys.modules entries.  Both are
imported here and, round after round, each workload runs on old then new (then torch); times
are medians, the ratio new/old is the median of the rounds' ratios (below 1: new is faster).
Threads: every library at its default setting unless --single-thread.  Model workloads settle
before each timing as in run.py (0.3 s asleep, one untimed step): each copy of ember has its own
idea of when BLAS's threads spin, so without it one copy's spinning threads slow the other.
Check: before timing, each workload runs twice on both copies and the tensors it holds are
compared (its result, the tensors and the modules' parameters and gradients in its closures;
c builds its model inside the call, so only its inputs are seen): "same" or the largest
difference.  With --old HEAD on a clean tree expect "same" and ratios near 1.00.
"""

import argparse
import atexit
import io
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import warnings

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)  # "new" is this working tree's ember/, whatever is installed

import run  # noqa: E402  (benchmarks/run.py: its WORKLOADS include models.py's)
import torch  # noqa: E402

import ember  # noqa: E402

IMPORT = re.compile(r"^([ \t]*)import ember(\.[\w.]+)?([ \t]+as[ \t]+\w+)?([ \t]*(#.*)?)$", re.M)
FROM = re.compile(r"^([ \t]*)from ember(\.[\w.]+)?([ \t]+import\b)", re.M)
LEFT = re.compile(r"^[ \t]*(import|from)[ \t]+ember\b.*$", re.M)


def _rewrite_import(m):
    indent, sub, alias, tail = m.group(1), m.group(2) or "", m.group(3), m.group(4)
    if alias:  # import ember[.x] as y
        return f"{indent}import ember_old{sub}{alias}{tail}"
    if sub:  # import ember.x binds the name ember
        return f"{indent}import ember_old{sub}, ember_old as ember{tail}"
    return f"{indent}import ember_old as ember{tail}"


def import_old(rev):
    """Export rev's ember/ as the package ember_old into a temp dir and import it."""
    tmp = tempfile.mkdtemp(prefix="ember_ab_")
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    tar = subprocess.run(["git", "-C", REPO, "archive", "--format=tar", rev, "ember"],
                         capture_output=True)
    if tar.returncode:
        sys.exit(f"ab.py: git archive {rev} ember: {tar.stderr.decode().strip()}")
    with tarfile.open(fileobj=io.BytesIO(tar.stdout)) as archive:
        archive.extractall(tmp, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    package = os.path.join(tmp, "ember_old")
    os.rename(os.path.join(tmp, "ember"), package)
    for root, _, files in os.walk(package):
        for name in (f for f in files if f.endswith(".py")):
            path = os.path.join(root, name)
            with open(path, encoding="utf-8") as f:
                text = FROM.sub(r"\1from ember_old\2\3", IMPORT.sub(_rewrite_import, f.read()))
            left = LEFT.search(text)
            if left:
                sys.exit(f"ab.py: cannot rewrite {path}: {left.group(0).strip()}")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    sys.path.insert(0, tmp)
    import ember_old
    # warnings filters naming ember's modules by a pattern (module=r"ember(\.|$)"), get a twin
    for action, _, category, module, lineno in list(warnings.filters):
        pattern = getattr(module, "pattern", module) or ""
        if re.match(pattern, "ember.x") and not re.match(pattern, "ember_old.x"):
            pattern = pattern.replace("ember", "ember_old", 1)
            warnings.filterwarnings(action, category=category, module=pattern, lineno=lineno)
    return ember_old


def held_tensors(lib, obj, seen):
    """The arrays a workload of lib holds: a tensor and its grad, a module's parameters, and
    what a function's closure holds (recursively)."""
    if id(obj) in seen:
        return []
    seen.add(id(obj))
    if isinstance(obj, lib.Tensor):
        grad = obj.grad
        return [obj.detach().numpy()] + ([grad.numpy()] if grad is not None else [])
    if isinstance(obj, lib.nn.Module):
        return [a for p in obj.parameters() for a in held_tensors(lib, p, seen)]
    arrays = []
    for cell in getattr(obj, "__closure__", None) or ():
        try:
            arrays += held_tensors(lib, cell.cell_contents, seen)
        except ValueError:  # an empty cell
            pass
    return arrays


def check(libs, fns):
    """Run each function twice; compare what old and new hold: 'same' or the largest diff."""
    held = {}
    for lib_name in ("old", "new"):
        lib, fn = libs[lib_name], fns[lib_name]
        result = [fn() for _ in range(2)][-1]
        held[lib_name] = held_tensors(lib, result, set()) + held_tensors(lib, fn, set())
    old, new = held["old"], held["new"]
    if len(old) != len(new) or any(a.shape != b.shape for a, b in zip(old, new)):
        return f"DIFFERS ({len(old)} vs {len(new)} tensors or shapes)"
    diff = max((float(np.max(np.abs(a.astype(np.float64) - b))) for a, b in zip(old, new)
                if a.size), default=0.0)
    return "same" if diff == 0 else f"diff {diff:.1e}"


def git(*args):
    return subprocess.run(["git", "-C", REPO, *args], capture_output=True, text=True)


def main(argv):
    parser = argparse.ArgumentParser(description="ember (old rev) vs ember (working tree)")
    parser.add_argument("filter", nargs="?", default="",
                        help="run only the workloads whose name contains this")
    parser.add_argument("--old", default="HEAD", help="the old git revision (default HEAD)")
    parser.add_argument("--torch", action="store_true", help="time torch too, a third column")
    parser.add_argument("--single-thread", action="store_true",
                        help="pin torch and both embers (NumPy's BLAS) to one thread")
    args = parser.parse_args(argv[1:])
    ember_old = import_old(args.old)
    assert ember_old.__file__ != ember.__file__ and ember.__file__.startswith(REPO)
    libs = {"old": ember_old, "new": ember}
    if args.torch:
        libs["torch"] = torch
    if args.single_thread:
        ember_old.set_num_threads(1)
    print(run.set_threads(args.single_thread))
    same = git("diff", "--quiet", args.old, "--", "ember").returncode == 0
    print(f"old: {args.old} ({git('rev-parse', '--short', args.old).stdout.strip()}), "
          f"new: working tree ember/ ({'same' if same else 'differs'} in tracked files)")
    head = f"{'workload':42} {'old':>11} {'new':>11} {'new/old':>7}"
    print(head + (f" {'torch':>11} {'new/torch':>9}" if args.torch else "") + "  check")
    for name, make, number, rounds, _ in run.WORKLOADS:
        if args.filter not in name:
            continue
        try:
            fns = {lib_name: make(lib) for lib_name, lib in libs.items()}
        except (AttributeError, NotImplementedError) as e:  # a layer one copy does not have
            print(f"{name:42} skipped: {e}")
            continue
        checked = check(libs, fns)
        times = {lib_name: [] for lib_name in fns}
        for _ in range(rounds):  # alternate so all see the same machine load
            for lib_name, fn in fns.items():
                if name.startswith("nn:"):  # as run.py: the others' idle threads stop
                    time.sleep(run.SETTLE)   # spinning, then one untimed step
                    fn()
                times[lib_name] += run._time(fn, number, 1)
        med = {lib_name: statistics.median(t) for lib_name, t in times.items()}
        ratio = statistics.median(n / o for o, n in zip(times["old"], times["new"]))
        line = f"{name:42} {med['old'] * 1e6:9.2f}us {med['new'] * 1e6:9.2f}us {ratio:7.2f}"
        if args.torch:
            vs_torch = statistics.median(n / t for t, n in zip(times["torch"], times["new"]))
            line += f" {med['torch'] * 1e6:9.2f}us {vs_torch:9.2f}"
        print(f"{line}  {checked}", flush=True)


if __name__ == "__main__":
    main(sys.argv)
