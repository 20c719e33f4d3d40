"""Run an exported ONNX file in onnxruntime next to the ember model, on random inputs, and
report the largest difference per output: the check every deployer does by hand.

    python -m ember.onnx.check model.onnx --model mypkg.models:make_model [--dim batch=4]
        [--seed 0] [--weights ckpt.pt] [--tolerance 1e-5]

``--model module:callable`` names a function (or class) that returns the ember model;
``--weights`` loads a state_dict saved with ember.save / torch.save into it. Without
``--model`` the file is only run, and the output shapes are printed. Symbolic dims (the
dynamic axes) get the value 2 unless ``--dim name=value`` says otherwise. Random inputs:
standard normal for floating inputs; for integer inputs, integers in [0, n) where n is the
first dim of the table the input indexes (an embedding's rows), else 2. With ``--tolerance``
the exit status is 1 when an output's largest difference exceeds tolerance x its scale.

From Python: ``ember.onnx.check.check(path, model)`` returns {output name: largest |diff|}.
"""

import importlib
import sys

import numpy as np

__all__ = ["check", "random_inputs", "main"]


def _load(f):
    import onnx
    if isinstance(f, (bytes, bytearray)):
        return onnx.load_from_string(bytes(f))
    return onnx.load(f)


def _index_range(graph, name):
    """n for an integer input used as Gather indices into a table of n rows, else 2."""
    inits = {t.name: t for t in graph.initializer}
    for node in graph.node:
        if node.op_type == "Gather" and len(node.input) > 1 and node.input[1] == name:
            table = inits.get(node.input[0])
            if table is not None and table.dims:
                return int(table.dims[0])
    return 2


def random_inputs(f, dims=None, seed=0):
    """{input name: NumPy array} of random values for every graph input of the file ``f``
    that is not an initializer; symbolic dims from ``dims`` ({symbol: size}, default 2)."""
    from onnx import helper
    proto = _load(f)
    graph = proto.graph
    dims = dict(dims or {})
    rng = np.random.default_rng(seed)
    inits = {t.name for t in graph.initializer}
    feeds = {}
    for vi in graph.input:
        if vi.name in inits:
            continue
        tt = vi.type.tensor_type
        shape = [d.dim_value if d.HasField("dim_value") else int(dims.get(d.dim_param, 2))
                 for d in tt.shape.dim]
        dtype = helper.tensor_dtype_to_np_dtype(tt.elem_type)
        if dtype.kind == "f":
            feeds[vi.name] = rng.standard_normal(shape).astype(dtype)
        elif dtype.kind == "b":
            feeds[vi.name] = rng.integers(0, 2, shape).astype(bool)
        else:
            feeds[vi.name] = rng.integers(0, _index_range(graph, vi.name), shape).astype(dtype)
    return feeds


def check(f, model=None, inputs=None, *, dims=None, seed=0, verbose=True):
    """Run the ONNX file ``f`` (a path or bytes) in onnxruntime and, when ``model`` (an ember
    Module) is given, the model in eval mode on the same inputs (random ones unless
    ``inputs``, {name: array}, is given). Returns {output name: largest |diff|} (None per
    output without a model) and prints one line per output when ``verbose``."""
    return {name: diff for name, diff, _ in _compare(f, model, inputs, dims, seed, verbose)}


def _compare(f, model, inputs, dims, seed, verbose):
    """[(output name, largest |diff| or None, output scale)] (see check)."""
    import onnxruntime as ort

    import ember

    data = f if isinstance(f, (bytes, bytearray)) else open(f, "rb").read()
    feeds = inputs if inputs is not None else random_inputs(data, dims, seed)
    sess = ort.InferenceSession(bytes(data), providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    got = sess.run(None, feeds)
    want = None
    if model is not None:
        was_training = model.training
        model.eval()
        try:
            with ember.no_grad():
                args = [ember.from_numpy(np.asarray(feeds[i.name])) for i in sess.get_inputs()]
                want = _flat(model(*args))
        finally:
            model.train(was_training)
        if len(want) != len(got):
            raise ValueError(f"the ONNX file has {len(got)} outputs, the model gives "
                             f"{len(want)}")
    result = []
    for k, (name, g) in enumerate(zip(names, got)):
        if want is None:
            result.append((name, None, None))
            line = f"{name}: shape {tuple(g.shape)} {g.dtype}"
        else:
            w = want[k].numpy()
            if w.shape != g.shape:
                raise ValueError(f"output {name}: onnxruntime gives shape {g.shape}, the model "
                                 f"{w.shape}")
            diff = float(np.abs(g.astype(np.float64) - w.astype(np.float64)).max()) \
                if g.size else 0.0
            scale = float(np.abs(w).max()) if w.size else 0.0
            result.append((name, diff, scale))
            line = (f"{name}: shape {tuple(g.shape)} {g.dtype}  max |diff| {diff:.3g}  "
                    f"(output scale {scale:.3g}, relative {diff / scale if scale else 0:.3g})")
        if verbose:
            print(line)
    return result


def _flat(y):
    if isinstance(y, (tuple, list)):
        out = []
        for v in y:
            out.extend(_flat(v))
        return out
    return [y]


def _model_from(spec, weights=None):
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise SystemExit(f"--model wants module:callable, got {spec!r}")
    sys.path.insert(0, "")
    obj = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    model = obj()
    if weights:
        import ember
        model.load_state_dict(ember.load(weights, map_location="cpu"))
    return model


def main(argv=None):
    import argparse

    p = argparse.ArgumentParser(prog="python -m ember.onnx.check", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", help="the .onnx file")
    p.add_argument("--model", help="module:callable returning the ember model")
    p.add_argument("--weights", help="a state_dict file (ember.save / torch.save) to load")
    p.add_argument("--dim", action="append", default=[], metavar="NAME=SIZE",
                   help="size of a symbolic dim (default 2)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tolerance", type=float, default=None,
                   help="fail (exit 1) when max |diff| > tolerance x the output's scale")
    a = p.parse_args(argv)
    dims = {}
    for d in a.dim:
        name, _, size = d.partition("=")
        dims[name] = int(size)
    model = _model_from(a.model, a.weights) if a.model else None
    rows = _compare(a.file, model, None, dims, a.seed, True)
    if a.tolerance is not None and model is not None:
        bad = [name for name, diff, scale in rows if diff > a.tolerance * scale]
        if bad:
            print(f"outside the tolerance: {', '.join(bad)}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
