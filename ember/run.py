"""``python -m ember.run script.py [args]``: run an unchanged PyTorch script on ember.

An import hook answers ``import torch`` with ember itself, ``torch.nn`` with ``ember.nn``,
``torchvision`` with ``ember.vision`` and ``torchvision.transforms`` with
``ember.vision.transforms``: the *same* module objects, so ``import torch.nn as nn`` gives
``nn is ember.nn`` and every ``isinstance`` holds.  Then the script runs as ``__main__`` with
``sys.argv = [script, *args]`` and its folder first on ``sys.path``, as ``python script.py``
would run it; its exit status and exceptions are Python's own.

    python -m ember.run train.py --epochs 3
    python -m ember.run -m mypackage.train --epochs 3

In a notebook, ``ember.run.install()`` does the same mapping for the cells that follow
(``ember.run.uninstall()`` undoes it).  A name ember lacks fails with an error that says so and
points to ``python -m ember.check script.py``, which lists every such name without running.
"""

import importlib
import importlib.abc
import importlib.util
import os
import runpy
import sys
import warnings

__all__ = ["install", "uninstall", "main"]

# the top-level names the hook answers, and the ember module each one stands for
ALIASES = {"torch": "ember", "torchvision": "ember.vision"}

_CHECK_HINT = ("run python -m ember.check script.py to list every torch name it uses that "
               "ember lacks")


def ember_name(name):
    """``'torch.nn.functional'`` -> ``'ember.nn.functional'``; None for other modules."""
    top, dot, rest = name.partition(".")
    target = ALIASES.get(top)
    if target is None:
        return None
    return target + dot + rest


class TorchAliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """A meta-path finder and loader in one: ``torch.x`` is imported as ``ember.x`` and the
    module object of ``ember.x`` is what ``sys.modules['torch.x']`` then holds."""

    def find_spec(self, fullname, path=None, target=None):
        target_name = ember_name(fullname)
        if target_name is None:
            return None
        try:
            importlib.import_module(target_name)
        except ModuleNotFoundError as e:
            if e.name is None or not target_name.startswith(e.name):
                raise  # a module that ember itself imports is missing: not our message
            raise ModuleNotFoundError(
                f"ember has no module '{target_name}' ({fullname}): ember lacks this part of "
                f"PyTorch; {_CHECK_HINT}", name=fullname) from None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        # NOTE: the import system keeps a module's own __spec__, __file__, __path__ when they
        # are set, so ember.nn stays exactly ember.nn under its second name torch.nn.
        return sys.modules[ember_name(spec.name)]

    def exec_module(self, module):
        pass  # already imported, as itself


_finder = TorchAliasFinder()


def install():
    """Map ``torch``/``torchvision`` imports to ember from now on (idempotent)."""
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
    for name in ALIASES:
        module = sys.modules.get(name)
        if module is not None and not module.__name__.startswith("ember"):
            warnings.warn(f"{name} was imported before ember.run.install(): names already "
                          f"bound to it stay {name}'s; restart and install first", stacklevel=2)


def uninstall():
    """Undo ``install()``: remove the hook and the ``torch*`` names that point to ember."""
    while _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    for name in list(sys.modules):
        top = name.partition(".")[0]
        module = sys.modules[name]
        if top in ALIASES and getattr(module, "__name__", "").startswith("ember"):
            del sys.modules[name]


_USAGE = ("usage: python -m ember.run script.py [args ...]\n"
          "       python -m ember.run -m package.module [args ...]\n"
          "Runs a PyTorch script unchanged on ember: 'import torch' imports ember, "
          "'import torchvision' imports ember.vision.")


def main(argv=None):
    """Run a script (or ``-m module``) with the torch imports mapped to ember."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_USAGE, file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    install()
    if argv[0] == "-m":
        if len(argv) < 2:
            print(_USAGE, file=sys.stderr)
            return 2
        # as python -m: the current folder first on sys.path, argv[0] becomes the module's file
        sys.argv = [argv[1], *argv[2:]]
        sys.path[0] = os.getcwd()
        return _run(runpy.run_module, argv[1], run_name="__main__", alter_sys=True)
    script = argv[0]
    if not os.path.exists(script):
        print(f"python -m ember.run: can't open file {script!r}: no such file", file=sys.stderr)
        return 2
    sys.argv = [script, *argv[1:]]
    sys.path[0] = os.path.dirname(os.path.realpath(script))  # as python script.py does
    return _run(runpy.run_path, script, run_name="__main__")


def _run(runner, target, **kwargs):
    """Run the script; an uncaught exception is reported as python reports it (through
    sys.excepthook, exit status 1), its traceback starting at the script's own frames."""
    try:
        runner(target, **kwargs)
    except (SystemExit, KeyboardInterrupt):
        raise  # python's own exit status for these
    except BaseException as e:  # noqa: BLE001 - reported below, as python would
        tb = e.__traceback__
        while tb is not None and _is_runner_frame(tb.tb_frame):
            tb = tb.tb_next
        sys.excepthook(type(e), e.with_traceback(tb), tb)  # python prints e's own traceback
        return 1
    return 0


def _is_runner_frame(frame):
    """A frame of runpy or of this module (not of the script)."""
    filename = frame.f_code.co_filename
    return filename in (__file__, runpy.__file__) or filename == "<frozen runpy>"


if __name__ == "__main__":
    sys.exit(main())
