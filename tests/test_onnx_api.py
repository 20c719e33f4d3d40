"""ember.onnx's API around the models: errors, the tracer's warning, file forms, options,
is_in_onnx_export, and ember.onnx.check (function and command line)."""

import io
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
import torch

import ember
import ember.nn as enn

from conftest import subprocess_env

onnx = pytest.importorskip("onnx", reason="ember[onnx] extra not installed (onnx)")
ort = pytest.importorskip("onnxruntime", reason="ember[onnx] extra not installed (onnxruntime)")


def run(data, feeds):
    return ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, feeds)


def make_mlp(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(4, 5), lib.nn.Tanh(), lib.nn.Linear(5, 2))


class RollInside(enn.Module):
    """An op the exporter does not map (roll), two modules deep."""

    def __init__(self):
        super().__init__()
        self.body = enn.Sequential(enn.Linear(3, 3), _Roll())

    def forward(self, x):
        return self.body(x)


class _Roll(enn.Module):
    def forward(self, x):
        return x.roll(1, 1)


def test_unmapped_op_names_the_op_and_the_module_path():
    with pytest.raises(ember.onnx.UnsupportedOperatorError) as e:
        ember.onnx.export(RollInside(), (ember.randn(2, 3),), io.BytesIO())
    msg = str(e.value)
    assert "Roll (RollBackward0)" in msg and "'body.1'" in msg and "_Roll" in msg
    assert isinstance(e.value, ember.onnx.OnnxExporterError)
    assert isinstance(e.value, RuntimeError)  # torch's OnnxExporterError is a RuntimeError
    assert issubclass(torch.onnx.errors.UnsupportedOperatorError, RuntimeError)


def _branchy(lib):
    class Branchy(lib.nn.Module):
        def forward(self, x):
            if x.sum() > 0:  # a Python branch on a tensor's value
                return x * 2
            return x - 1
    return Branchy()


def test_python_branch_on_a_tensor_warns_as_torchs_tracer():
    message = "Converting a tensor to a Python boolean might cause the trace to be incorrect"
    with pytest.warns(torch.jit.TracerWarning, match=message), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the TorchScript exporter's own
        torch.onnx.export(_branchy(torch), (torch.ones(2),), io.BytesIO(), dynamo=False)
    with pytest.warns(ember.jit.TracerWarning, match=message):
        ember.onnx.export(_branchy(ember), (ember.ones(2),), io.BytesIO())
    with warnings.catch_warnings():  # outside an export, no warning
        warnings.simplefilter("error")
        _branchy(ember)(ember.ones(2))
        assert bool(ember.ones(1))


def test_the_hot_path_is_restored_after_export():
    from ember.autograd import function
    before = (function.Node.apply, function.NoGradNode.apply, ember.Tensor.__bool__)
    with pytest.raises(ember.onnx.UnsupportedOperatorError):
        ember.onnx.export(RollInside(), (ember.randn(2, 3),), io.BytesIO())
    ember.onnx.export(make_mlp(ember), (ember.randn(2, 4),), io.BytesIO())
    assert (function.Node.apply, function.NoGradNode.apply, ember.Tensor.__bool__) == before
    assert ember.onnx.is_in_onnx_export() is torch.onnx.is_in_onnx_export() is False


def test_is_in_onnx_export_during_export_and_training_mode_restored():
    seen = []

    class Probe(enn.Module):
        def forward(self, x):
            seen.append((ember.onnx.is_in_onnx_export(), self.training))
            return x + 1

    m = Probe().train()
    ember.onnx.export(m, (ember.ones(2),), io.BytesIO())
    assert seen == [(True, False)] and m.training


def test_path_and_file_object_and_returned_proto(tmp_path):
    m = make_mlp(ember)
    x = ember.randn(3, 4)
    path = tmp_path / "m.onnx"
    proto = ember.onnx.export(m, x, str(path))  # a bare tensor as args, as torch allows
    buf = io.BytesIO()
    ember.onnx.export(m, (x,), buf)
    assert path.read_bytes() == buf.getvalue() == proto.SerializeToString()
    with open(tmp_path / "n.onnx", "wb") as fh:
        ember.onnx.export(m, (x,), fh)
    with pytest.raises(TypeError, match="binary"):
        ember.onnx.export(m, (x,), io.StringIO())
    got = run(str(path), {"input": x.numpy()})[0]  # default name: forward's parameter
    np.testing.assert_allclose(got, m(x).detach().numpy(), rtol=0, atol=1e-6)


def test_default_opset_and_opset_version():
    m = make_mlp(ember)
    x = ember.randn(2, 4)
    proto = ember.onnx.export(m, (x,), None)
    assert ember.onnx.DEFAULT_OPSET == 18
    assert proto.opset_import[0].version == 18 and proto.ir_version == 8
    assert ember.onnx.export(m, (x,), None, opset_version=17).opset_import[0].version == 17
    with pytest.raises(ValueError, match="opset"):
        ember.onnx.export(m, (x,), None, opset_version=11)


def test_gelu_uses_the_onnx_gelu_op_from_opset_20():
    m = enn.Sequential(enn.Linear(3, 3), enn.GELU())
    x = ember.randn(4, 3)
    for opset, op in ((18, "Erf"), (20, "Gelu")):
        proto = ember.onnx.export(m, (x,), None, opset_version=opset)
        assert op in {n.op_type for n in proto.graph.node}
        got = run(proto.SerializeToString(), {"input": x.numpy()})[0]
        np.testing.assert_allclose(got, m(x).detach().numpy(), rtol=0, atol=1e-6)


def test_export_params_false_makes_parameters_inputs():
    m = make_mlp(ember)
    x = ember.randn(2, 4)
    proto = ember.onnx.export(m, (x,), None, input_names=["x"], export_params=False)
    assert len(proto.graph.initializer) == 0
    assert [i.name for i in proto.graph.input] == ["x", "0.weight", "0.bias", "2.weight",
                                                   "2.bias"]
    feeds = {"x": x.numpy(), **{k: v.detach().numpy() for k, v in m.state_dict().items()}}
    np.testing.assert_allclose(run(proto.SerializeToString(), feeds)[0],
                               m(x).detach().numpy(), rtol=0, atol=1e-6)


def test_dynamo_false_warns_as_torch_and_verbose_prints(capsys):
    m = make_mlp(ember)
    with pytest.warns(DeprecationWarning, match="legacy TorchScript-based ONNX export"):
        ember.onnx.export(m, (ember.randn(2, 4),), None, dynamo=False)
    ember.onnx.export(m, (ember.randn(2, 4),), None, verbose=True)
    assert "Gemm" in capsys.readouterr().out


def test_outputs_that_are_inputs_constants_or_repeated():
    class Odd(enn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("table", ember.arange(3.0))

        def forward(self, x):
            y = x * 3
            return x, y, y, self.table

    x = ember.randn(2)
    proto = ember.onnx.export(Odd(), (x,), None, input_names=["x"],
                              output_names=["same", "y", "y_again", "table_out"])
    onnx.checker.check_model(proto, full_check=True)
    got = run(proto.SerializeToString(), {"x": x.numpy()})
    for g, w in zip(got, [x, x * 3, x * 3, ember.arange(3.0)]):
        np.testing.assert_array_equal(g, w.numpy())
    with pytest.raises(ValueError, match="output name 'x'"):
        ember.onnx.export(Odd(), (x,), None, input_names=["x"], output_names=["a", "x"])
    with pytest.raises(ValueError, match="output name 'table'"):
        ember.onnx.export(Odd(), (x,), None, output_names=["a", "b", "c", "table"])


def test_kwargs_and_names_checked():
    class Two(enn.Module):
        def forward(self, a, b=None):
            return a * b, a + b

    a, b = ember.randn(2), ember.randn(2)
    proto = ember.onnx.export(Two(), (a,), None, kwargs={"b": b}, output_names=["p"])
    assert [i.name for i in proto.graph.input] == ["a", "b"]
    assert [o.name for o in proto.graph.output] == ["p", "output_1"]
    p, s = run(proto.SerializeToString(), {"a": a.numpy(), "b": b.numpy()})
    np.testing.assert_allclose(p, (a * b).numpy(), rtol=0, atol=0)
    with pytest.raises(ValueError, match="input_names"):
        ember.onnx.export(Two(), (a, b), None, input_names=["a", "b", "c"])
    with pytest.warns(UserWarning, match="not a valid input/output name"):
        ember.onnx.export(Two(), (a, b), None, dynamic_axes={"nope": [0]})


def test_constants_made_in_forward_that_follow_a_dynamic_axis():
    """zeros/ones/full and arange sized by a dynamic axis are rebuilt at run time
    (ConstantOfShape, Range); any other such constant is an error, not a fixed size."""
    class Positions(enn.Module):
        def __init__(self):
            super().__init__()
            self.wpe = enn.Embedding(10, 3)

        def forward(self, x):
            b, t, _ = x.shape
            return x + self.wpe(ember.arange(t)) + ember.zeros(b, t, 1) + ember.ones(t, 1) * 2

    m = Positions()
    proto = ember.onnx.export(m, (ember.randn(2, 4, 3),), None, input_names=["x"],
                              dynamic_axes={"x": {0: "b", 1: "t"}})
    assert {"Range", "ConstantOfShape"} <= {n.op_type for n in proto.graph.node}
    for b, t in ((2, 4), (3, 7), (1, 1)):
        x = ember.randn(b, t, 3)
        got = run(proto.SerializeToString(), {"x": x.numpy()})[0]
        np.testing.assert_allclose(got, m(x).detach().numpy(), rtol=0, atol=1e-6)

    class Ramp(enn.Module):
        def forward(self, x):
            return x * ember.linspace(0, 1, x.size(1))

    with pytest.raises(ember.onnx.OnnxExporterError, match="follows a dynamic axis"):
        ember.onnx.export(Ramp(), (ember.randn(2, 4),), None, dynamic_axes={"x": {1: "t"}})
    ember.onnx.export(Ramp(), (ember.randn(2, 4),), None, dynamic_axes={"x": {0: "b"}})


def test_a_model_that_refuses_a_larger_size_is_traced_at_a_smaller_one():
    class Capped(enn.Module):
        def __init__(self, cap):
            super().__init__()
            self.cap = cap

        def forward(self, x):
            if x.shape[1] > self.cap:
                raise ValueError("sequence longer than the block size")
            return x * 2

    proto = ember.onnx.export(Capped(4), (ember.randn(2, 4),), None, input_names=["x"],
                              dynamic_axes={"x": {0: "b", 1: "t"}})
    x = ember.randn(3, 2)
    np.testing.assert_allclose(run(proto.SerializeToString(), {"x": x.numpy()})[0],
                               (x * 2).numpy(), rtol=0, atol=0)
    with pytest.raises(ember.onnx.OnnxExporterError, match="another size"):
        ember.onnx.export(Capped(2), (ember.randn(2, 2),), None, dynamic_axes={"x": {1: "t"}})


def test_an_untraceable_computation_is_an_error_not_a_constant():
    class Numpy(enn.Module):
        def forward(self, x):
            y = ember.from_numpy(np.tanh(x.detach().numpy() + 1))  # leaves ember's ops
            y.requires_grad_(True)
            return x * y

    with pytest.raises(ember.onnx.OnnxExporterError, match="could not record"):
        ember.onnx.export(Numpy(), (ember.randn(3),), None)


def test_check_function(capsys):
    m = make_mlp(ember)
    data = ember.onnx.export(m, (ember.randn(2, 4),), None, input_names=["x"],
                             output_names=["y"],
                             dynamic_axes={"x": {0: "b"}, "y": {0: "b"}}).SerializeToString()
    diffs = ember.onnx.check.check(data, m, dims={"b": 5})
    assert list(diffs) == ["y"] and diffs["y"] < 1e-5
    out = capsys.readouterr().out
    assert "y: shape (5, 2) float32  max |diff|" in out
    # a different model gives a large difference
    other = make_mlp(ember)
    with ember.no_grad():
        other[0].weight.mul_(2)
    assert ember.onnx.check.check(data, other, verbose=False)["y"] > 1e-3
    feeds = ember.onnx.check.random_inputs(data, {"b": 3})
    assert feeds["x"].shape == (3, 4) and feeds["x"].dtype == np.float32
    assert ember.onnx.check.check(data) == {"y": None}  # no model: only run
    assert capsys.readouterr().out.endswith("y: shape (2, 2) float32\n")


def test_check_random_integer_inputs_stay_inside_the_embedding():
    m = enn.Sequential(enn.Embedding(7, 3), enn.Linear(3, 2))
    data = ember.onnx.export(m, (ember.tensor([[1, 2]]),), None, input_names=["idx"],
                             dynamic_axes={"idx": {0: "b"}}).SerializeToString()
    feeds = ember.onnx.check.random_inputs(data, {"b": 50})
    assert feeds["idx"].dtype == np.int64 and 0 <= feeds["idx"].min() <= feeds["idx"].max() < 7
    assert ember.onnx.check.check(data, m, feeds, verbose=False)["output"] < 1e-6


def test_check_command_line(tmp_path):
    (tmp_path / "onnx_check_model.py").write_text(textwrap.dedent("""
        import ember
        def make():
            ember.manual_seed(0)
            return ember.nn.Sequential(ember.nn.Linear(4, 5), ember.nn.ReLU())
        def make_other():
            ember.manual_seed(1)
            return ember.nn.Sequential(ember.nn.Linear(4, 5), ember.nn.ReLU())
    """))
    sys.path.insert(0, str(tmp_path))
    try:
        import onnx_check_model
        ember.onnx.export(onnx_check_model.make(), (ember.randn(2, 4),), str(tmp_path / "m.onnx"),
                          dynamic_axes={"input": [0]})
    finally:
        sys.path.remove(str(tmp_path))

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "ember.onnx.check", "m.onnx", *args],
                              cwd=tmp_path, env=subprocess_env(), capture_output=True,
                              text=True, timeout=120)

    r = cli("--model", "onnx_check_model:make", "--dim", "input_dynamic_axes_1=6",
            "--tolerance", "1e-5")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("output: shape (6, 5) float32  max |diff|")
    r = cli("--model", "onnx_check_model:make_other", "--tolerance", "1e-5")
    assert r.returncode == 1 and "outside the tolerance: output" in r.stdout
