"""The graph-growth warning: loud for the leaking training loops, silent for the good ones."""

import warnings

import pytest

import ember
from ember.autograd import diagnostics

# the watch samples every SAMPLE_EVERY-th backward and needs GROWTH_STEPS samples
STEPS = diagnostics.SAMPLE_EVERY * (diagnostics.GROWTH_STEPS + 1) + 1


@pytest.fixture(autouse=True)
def fresh_watch():
    ember.autograd.set_graph_growth_warning(True)
    yield
    ember.autograd.set_graph_growth_warning(True)


def growth_warnings(record):
    return [w for w in record if "iterations" in str(w.message) and
            issubclass(w.category, UserWarning)]


def model():
    ember.manual_seed(0)
    return ember.nn.Linear(3, 1)


def test_total_loss_kept_as_tensor_warns_once_with_the_line():
    net = model()
    x = ember.randn(4, 3)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        total_loss = 0
        for _ in range(STEPS):
            loss = net(x).pow(2).mean()
            total_loss += loss  # the bad line
            loss.backward()
    found = growth_warnings(record)
    assert len(found) == 1  # once, not every step
    w = found[0]
    assert w.filename == __file__
    assert "loss.backward()" in open(__file__).read().splitlines()[w.lineno - 1]
    text = str(w.message)
    assert "total_loss += loss  # the bad line" in text
    assert "total_loss += loss.item()" in text


def test_growing_graph_with_retain_graph_warns():
    net = model()
    x = ember.randn(4, 3)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        total = 0
        for _ in range(STEPS):
            total = total + net(x).sum()
            total.backward(retain_graph=True)
    found = growth_warnings(record)
    assert len(found) == 1
    assert "total = total + net(x).sum()" in str(found[0].message)


def test_growing_graph_is_measured_in_nodes():
    """Sign 1 alone: the graph grows and reaches into older iterations (hidden state)."""
    w = ember.ones(2, requires_grad=True)
    h = ember.zeros(2)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        for _ in range(STEPS):
            h = (h + w).tanh()  # never detached: each step adds to one long graph
            h.sum().backward(retain_graph=True)
    found = growth_warnings(record)
    assert len(found) == 1
    assert "h = (h + w).tanh()" in str(found[0].message)


def test_losses_appended_as_tensors_warn():
    net = model()
    x = ember.randn(4, 3)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        history = []
        for _ in range(STEPS):
            loss = net(x).pow(2).mean()
            history.append(loss)
            loss.backward()
    found = growth_warnings(record)
    assert len(found) == 1 and "history.append(loss)" in str(found[0].message)


def test_good_loops_are_silent():
    net = model()
    opt = ember.optim.SGD(net.parameters(), lr=0.01)
    x = ember.randn(4, 3)
    w = ember.ones(2, requires_grad=True)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        total_loss, history, last = 0.0, [], None
        for step in range(STEPS):
            opt.zero_grad()
            loss = net(x[: 1 + step % 4]).pow(2).mean()  # graphs of changing sizes
            last = loss  # one loss kept is fine
            loss.backward()
            opt.step()
            total_loss += loss.item()
            history.append(loss.item())
        h = ember.zeros(2)
        for _ in range(STEPS):
            h = (h.detach() + w).tanh()  # detached each step: constant size
            h.sum().backward()
        y = (w * 3).sum()
        for _ in range(STEPS):  # the same graph many times: not growth
            y.backward(retain_graph=True)
        losses = [(w * k).sum() for k in range(STEPS)]
        for loss in losses:  # several losses built at once, then each backwarded
            loss.backward()
    assert growth_warnings(record) == [], [str(w.message) for w in record]
    assert last is not None


def test_switch_off():
    net = model()
    x = ember.randn(4, 3)
    ember.autograd.set_graph_growth_warning(False)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        total_loss = 0
        for _ in range(STEPS):
            loss = net(x).sum()
            total_loss += loss
            loss.backward()
    assert growth_warnings(record) == []
