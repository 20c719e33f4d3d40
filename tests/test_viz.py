"""ember.utils.viz: make_dot's DOT graph (torchviz's conventions) and explain's text tree."""

import re
import sys

import pytest
import torch

import ember
from ember.utils import viz


def parse_dot(source):
    """{node id: {attr: value}} and [(tail, head, attrs)] from DOT text (both writers)."""
    nodes, edges = {}, []
    attr = r'(\w+)=("(?:[^"\\]|\\.)*"|[^\s\]]+)'

    def attrs(text):
        out = {}
        for key, value in re.findall(attr, text or ""):
            if value.startswith('"'):
                value = value[1:-1].replace("\\n", "\n").replace('\\"', '"')
            out[key] = value
        return out

    ident = r'("(?:[^"\\]|\\.)*"|\w+)'
    body = source.rstrip().removesuffix("}")
    for line in re.split(r"\n\t", body):
        line = line.strip()
        m = re.match(ident + r"\s*->\s*" + ident + r"\s*(?:\[(.*)\])?$", line, re.S)
        if m:
            edges.append((m.group(1).strip('"'), m.group(2).strip('"'), attrs(m.group(3))))
            continue
        m = re.match(ident + r"\s*(?:\[(.*)\])?$", line, re.S)
        if m and m.group(1) not in ("digraph", "graph", "node", "{", "}"):
            nodes[m.group(1).strip('"')] = attrs(m.group(2))
    return nodes, edges


def mlp_loss():
    ember.manual_seed(0)
    model = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.ReLU(), ember.nn.Linear(4, 2))
    loss = model(ember.randn(5, 3)).pow(2).sum()
    return model, loss


@pytest.fixture(params=["graphviz", "fallback"])
def writer(request, monkeypatch):
    if request.param == "graphviz":
        pytest.importorskip("graphviz")
    else:
        monkeypatch.setitem(sys.modules, "graphviz", None)  # import graphviz fails
    return request.param


def test_mlp_graph_structure(writer):
    model, loss = mlp_loss()
    dot = viz.make_dot(loss, params=dict(model.named_parameters()))
    if writer == "fallback":
        assert isinstance(dot, viz.Digraph)
    nodes, edges = parse_dot(dot.source)
    labels = sorted(a["label"].split("\n")[0] for a in nodes.values())
    assert labels == sorted(["", "SumBackward0", "PowBackward0", "AddmmBackward0",
                             "ReluBackward0", "AddmmBackward0"] + ["AccumulateGrad"] * 4 +
                            ["0.weight", "0.bias", "2.weight", "2.bias"])
    by_label = {a["label"]: k for k, a in nodes.items()}
    # parameters: light blue, named, with torchviz's shape text
    assert nodes[by_label["0.weight\n (4, 3)"]]["fillcolor"] == "lightblue"
    assert nodes[by_label["2.bias\n (2)"]]["fillcolor"] == "lightblue"
    # the output: green; ops: grey (no fillcolor) with ember's shape and dtype line
    assert nodes[by_label["\n ()"]]["fillcolor"] == "darkolivegreen1"
    assert "fillcolor" not in nodes[by_label["ReluBackward0\n(5, 4) float32"]]
    assert "PowBackward0\n(5, 2) float32" in by_label
    # edges run from inputs to consumers: param -> AccumulateGrad -> Addmm -> Relu -> ...
    pairs = {(nodes[t]["label"].split("\n")[0], nodes[h]["label"].split("\n")[0])
             for t, h, _ in edges}
    assert ("0.weight", "AccumulateGrad") in pairs
    assert ("AccumulateGrad", "AddmmBackward0") in pairs
    assert ("AddmmBackward0", "ReluBackward0") in pairs
    assert ("ReluBackward0", "AddmmBackward0") in pairs
    assert ("SumBackward0", "") in pairs
    assert len(edges) == 4 + 4 + 4 + 1  # params, accumulators, op chain, op -> output


def test_same_ops_as_torch_graph():
    """The op names follow PyTorch's graph (ember's Addmm points straight at the weight)."""

    def names(fn, out):
        stack = [fn]
        while stack:
            fn = stack.pop()
            out.append(type(fn).__name__ if isinstance(fn, torch.autograd.graph.Node)
                       else fn.name().split("::")[-1])
            stack += [f for f, _ in fn.next_functions if f is not None]
        return sorted(n for n in out if n != "TBackward0")

    x = torch.randn(5, 3)
    w = torch.randn(4, 3, requires_grad=True)
    b = torch.randn(4, requires_grad=True)
    t_loss = torch.tanh(torch.nn.functional.linear(x, w, b)).mean()
    e_loss = ember.tanh(ember.nn.functional.linear(ember.tensor(x.numpy()),
                                                   ember.tensor(w.detach().numpy(),
                                                                requires_grad=True),
                                                   ember.tensor(b.detach().numpy(),
                                                                requires_grad=True))).mean()
    assert names(e_loss.grad_fn, []) == names(t_loss.grad_fn, [])
    nodes, _ = parse_dot(viz.make_dot(e_loss).source)
    labels = sorted(a["label"].split("\n")[0] for a in nodes.values())
    assert labels.count("MeanBackward0") == labels.count("TanhBackward0") == 1


def test_show_saved_and_attrs_and_views(writer):
    x = ember.randn(2, 3, requires_grad=True)
    y = x.exp().t()
    nodes, edges = parse_dot(viz.make_dot(y, show_saved=True, show_attrs=True).source)
    saved = [a for a in nodes.values() if a.get("fillcolor") == "orange"]
    assert [a["label"] for a in saved] == ["saved 0\n (2, 3)"]  # exp saves its output
    assert any(e[2].get("style") == "dotted" for e in edges)  # view -> its base
    assert any(a.get("fillcolor") == "darkolivegreen3" for a in nodes.values())
    z = x.sum(dim=1, keepdim=True)
    nodes, _ = parse_dot(viz.make_dot(z, show_attrs=True).source)
    sum_label = next(a["label"] for a in nodes.values() if a["label"].startswith("Sum"))
    assert "keepdim: True" in sum_label.split("\n")


def test_several_outputs_and_shared_nodes():
    x = ember.randn(3, requires_grad=True)
    h = x * 2
    a, b = h.sin(), h.cos()
    nodes, edges = parse_dot(viz.make_dot((a, b)).source)
    labels = [n["label"].split("\n")[0] for n in nodes.values()]
    assert labels.count("MulBackward0") == 1  # shared node drawn once
    green = [n for n in nodes.values() if n.get("fillcolor") == "darkolivegreen1"]
    assert [n["label"] for n in green] == ["\n (3)", "\n (3)"]  # two outputs
    assert len(edges) == 1 + 1 + 2 + 2  # leaf->acc, acc->mul, mul->sin/cos, sin/cos->outputs


def test_render_without_graphviz_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    dot = viz.make_dot(mlp_loss()[1])
    assert dot.source.startswith("digraph {") and str(dot) == dot.source
    with pytest.raises(ImportError, match="pip install graphviz"):
        dot.render("graph", format="svg")


def test_render_svg(tmp_path):
    pytest.importorskip("graphviz")
    if not viz.has_dot_program():
        pytest.skip("the Graphviz 'dot' program is not installed")
    dot = viz.make_dot(mlp_loss()[1])
    path = dot.render(str(tmp_path / "graph"), format="svg")
    assert open(path).read().lstrip().startswith("<?xml")


def test_explain_tree():
    model, loss = mlp_loss()
    text = viz.explain(loss, params=dict(model.named_parameters()))
    assert text == (
        "tensor [] float32 cpu\n"
        "└── SumBackward0 -> [] float32 cpu\n"
        "    └── PowBackward0 -> [5, 2] float32 cpu\n"
        "        └── AddmmBackward0 -> [5, 2] float32 cpu\n"
        "            ├── AccumulateGrad -> leaf 2.bias [2] float32 cpu\n"
        "            ├── ReluBackward0 -> [5, 4] float32 cpu\n"
        "            │   └── AddmmBackward0 -> [5, 4] float32 cpu\n"
        "            │       ├── AccumulateGrad -> leaf 0.bias [4] float32 cpu\n"
        "            │       └── AccumulateGrad -> leaf 0.weight [4, 3] float32 cpu\n"
        "            └── AccumulateGrad -> leaf 2.weight [2, 4] float32 cpu\n")


def test_explain_shared_node_and_leaf():
    x = ember.randn(3, requires_grad=True, dtype=ember.float64)
    h = x * 2
    text = viz.explain(h * h)
    assert text.count("MulBackward0 -> [3] float64 cpu") == 2  # the product and h
    assert "MulBackward0 (shown above)" in text
    assert viz.explain(x) == ("tensor [3] float64 cpu\n└── leaf tensor: backward() "
                              "accumulates its gradient into .grad\n")
    assert "no graph" in viz.explain(ember.ones(2))


def test_explain_node_shows_formula_and_source():
    x = ember.randn(3, requires_grad=True)
    text = viz.explain(x.tanh().grad_fn)
    assert text.startswith("TanhBackward0 (ember.ops.")
    assert "def backward(self, grad):" in text
    assert "ops/" in text and ".py:" in text
    full = viz.explain(x.tanh().sum(), source=True)
    assert full.count("def backward(self, grad):") == 2  # Tanh and Sum

    class Square(ember.autograd.Function):
        """y = x^2     grad_x = 2 x grad"""

        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, grad):
            (a,) = ctx.saved_tensors
            return 2 * a * grad

    text = viz.explain(Square.apply(x).grad_fn)
    assert "y = x^2" in text and "return 2 * a * grad" in text
    acc = viz.explain(x.tanh().grad_fn.next_functions[0][0])
    assert acc.startswith("AccumulateGrad of a leaf [3] float32 cpu")


def test_deep_graph_has_no_recursion_limit():
    x = ember.ones(1, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y + 1
    assert viz.explain(y).count("AddBackward0") == 3000
    nodes, _ = parse_dot(viz.make_dot(y).source)
    assert len(nodes) == 3000 + 3
