"""Anomaly mode: the first NaN in backward, with the line of user code that created the op, as
torch; ember's extension ``check_forward=True`` also stops at the first NaN/Inf in forward;
free when off."""

import numpy as np
import pytest
import torch

import ember


def line_of(text):
    """The line number of ``text`` in this file."""
    return 1 + open(__file__).read().splitlines().index(text)


def error_of(fn):
    with pytest.raises(RuntimeError) as err:
        fn()
    return str(err.value)


def test_backward_nan_names_op_and_line_like_torch():
    def run(lib):
        x = lib.tensor([0.0, 1.0], requires_grad=True)
        with lib.autograd.detect_anomaly(check_nan=True):
            y = x.sqrt()  # creates the op whose backward gives nan
            (y * 0).sum().backward()  # 0 / (2 sqrt(0)) = nan

    with pytest.warns(UserWarning):  # torch warns that anomaly mode is slow
        torch_text = error_of(lambda: run(torch))
    ember_text = error_of(lambda: run(ember))
    assert ember_text.splitlines()[0] == torch_text.splitlines()[0] == (
        "Function 'SqrtBackward0' returned nan values in its 0th output.")
    line = line_of("            y = x.sqrt()  # creates the op whose backward gives nan")
    assert f'File "{__file__}", line {line}, in run' in ember_text
    assert "y = x.sqrt()  # creates the op whose backward gives nan" in ember_text


def test_inf_in_backward_passes_like_torch():
    """torch checks backward outputs for nan only: an infinite gradient is not an anomaly."""
    grads = {}
    for lib in (torch, ember):
        x = lib.tensor([0.0, 2.0], requires_grad=True, dtype=lib.float64)
        with pytest.warns(UserWarning) if lib is torch else _nothing():
            with lib.autograd.detect_anomaly():
                x.sqrt().sum().backward()  # 1 / (2 sqrt(0)) = inf
        grads[lib] = x.grad.tolist()
    assert grads[ember][0] == grads[torch][0] == float("inf")
    # 1 / (2 sqrt(2)): the two libraries round the formula differently, within float64's 2 ulps
    np.testing.assert_allclose(grads[ember][1], grads[torch][1], rtol=2 * 2.0 ** -52, atol=0)


def _nothing():
    import contextlib

    return contextlib.nullcontext()


def test_masked_softmax_runs_under_anomaly_mode_like_torch():
    """The standard attention mask puts -inf into forward values: torch's anomaly mode runs it,
    and so does ember's (forward values are not checked unless asked for)."""
    def run(lib):
        lib.manual_seed(0)
        q = lib.randn(2, 4, 8, dtype=lib.float64, requires_grad=True)
        mask = lib.ones(4, 4, dtype=lib.bool).triu(1)
        with lib.autograd.detect_anomaly():
            scores = (q @ q.transpose(-2, -1)).masked_fill(mask, float("-inf")).softmax(-1)
            (scores @ q).pow(2).sum().backward()
        return scores.detach().numpy(), q.grad.numpy()

    with pytest.warns(UserWarning):  # torch warns that anomaly mode is slow
        expected = run(torch)
    got = run(ember)
    for e, g in zip(expected, got):  # float64: a few ulps of the largest term
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)


def test_check_nan_false_lets_nan_through_like_torch():
    x = ember.tensor([0.0, 1.0], requires_grad=True)
    with ember.autograd.detect_anomaly(check_nan=False):
        y = x.sqrt()
        (y * 0 + y).sum().backward()
        z = ember.tensor([-1.0], requires_grad=True).log()  # forward nan: not checked
    assert np.isinf(x.grad.numpy()[0]) and np.isnan(z.detach().numpy()[0])


def test_forward_is_not_checked_by_default():
    with ember.autograd.detect_anomaly():
        z = ember.tensor([-1.0], requires_grad=True).log()
    assert np.isnan(z.item())


def test_forward_nan_names_the_first_op_and_line():
    x = ember.tensor([-1.0, 1.0], requires_grad=True)
    with ember.autograd.detect_anomaly(check_forward=True):
        h = x * 2
        text = error_of(lambda: h.log())  # log of a negative number: the first nan
        ok = (x + 1).exp()  # finite results pass
    lines = text.splitlines()
    assert lines[0] == "Function 'LogBackward0' returned nan values in its 0th output in forward."
    assert "first op that produced nan" in lines[1]
    line = line_of("        text = error_of(lambda: h.log())  # log of a negative number: the "
                   "first nan")
    assert f'File "{__file__}", line {line}' in text
    assert "clamp the input or add a small eps" in text
    assert ok.shape == (2,)


def test_forward_inf_is_reported():
    x = ember.tensor([0.0, 2.0], requires_grad=True, dtype=ember.float64)
    with ember.autograd.detect_anomaly(check_forward=True):
        text = error_of(lambda: x.reciprocal())
    assert text.startswith("Function 'ReciprocalBackward0' returned inf values in its 0th "
                           "output in forward.")


def test_integer_and_unrecorded_results_are_not_checked():
    with ember.autograd.detect_anomaly(check_forward=True):
        assert ember.tensor([1, 2]).argmax().item() == 1
        with ember.no_grad():  # nothing recorded: anomaly mode is about the graph
            assert np.isnan(ember.tensor([-1.0], requires_grad=True).log().item())


def test_creation_stack_is_kept_only_while_on():
    x = ember.ones(2, requires_grad=True)
    assert (x * 2).grad_fn._trace is None
    with ember.autograd.detect_anomaly():
        node = (x * 2).grad_fn
    assert node._trace[-1].filename == __file__
    assert (x * 2).grad_fn._trace is None
    assert not ember.autograd.anomaly_mode.is_anomaly_enabled()


def test_decorator_and_set_detect_anomaly():
    @ember.autograd.detect_anomaly(check_forward=True)
    def bad():
        return ember.tensor([-1.0], requires_grad=True).sqrt()

    assert "SqrtBackward0" in error_of(bad)
    assert bad.__name__ == "bad"
    ember.autograd.set_detect_anomaly(True, check_forward=True)
    try:
        assert ember.autograd.anomaly_mode.is_anomaly_enabled()
        assert "LogBackward0" in error_of(lambda: ember.tensor([-1.0], requires_grad=True).log())
    finally:
        ember.autograd.set_detect_anomaly(False)
    assert ember.tensor([-1.0], requires_grad=True).log().isnan().item()


def test_user_code_in_a_folder_named_ember_is_the_users(tmp_path):
    """ember's own frames are found by the package's folder, not by "/ember/" in a path: a
    script in a checkout named ember (the default clone name) is still the user's line."""
    folder = tmp_path / "ember"
    folder.mkdir()
    script = folder / "user_prog.py"
    script.write_text("def run(lib):\n"
                      "    x = lib.tensor([0.0, 1.0], requires_grad=True)\n"
                      "    y = x.sqrt()  # the op\n"
                      "    (y * 0).sum().backward()\n")
    namespace = {}
    exec(compile(script.read_text(), str(script), "exec"), namespace)
    with ember.autograd.detect_anomaly():
        text = error_of(lambda: namespace["run"](ember))
    assert f'File "{script}", line 3, in run' in text
    assert "y = x.sqrt()  # the op" in text


def test_a_real_nan_in_backward_names_the_op_and_line_of_a_training_step():
    net = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.ReLU(), ember.nn.Linear(4, 1))
    x = ember.randn(5, 3)
    with ember.autograd.detect_anomaly():
        out = net(x)
        loss = (out - out.detach()).abs().sum().sqrt()  # sqrt(0): its gradient is 0 * inf
        text = error_of(loss.backward)
    assert text.splitlines()[0] in ("Function 'SqrtBackward0' returned nan values in its 0th "
                                    "output.", "Function 'AbsBackward0' returned nan values in "
                                    "its 0th output.")
    line = line_of("        loss = (out - out.detach()).abs().sum().sqrt()  # sqrt(0): its "
                   "gradient is 0 * inf")
    assert f'File "{__file__}", line {line}' in text
