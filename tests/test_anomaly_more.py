"""Anomaly mode: the first NaN/Inf in backward (and, with check_nan, in forward), with the line
of user code that created the op; free when off."""

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


def test_inf_in_backward_is_reported():
    """torch checks only for nan; ember also stops at inf (named as such)."""
    x = ember.tensor([0.0, 2.0], requires_grad=True, dtype=ember.float64)
    with ember.autograd.detect_anomaly():
        y = x.sqrt()
        text = error_of(lambda: y.sum().backward())  # 1 / (2 sqrt(0)) = inf
    assert text.startswith("Function 'SqrtBackward0' returned inf values in its 0th output.")


def test_check_nan_false_lets_nan_through_like_torch():
    x = ember.tensor([0.0, 1.0], requires_grad=True)
    with ember.autograd.detect_anomaly(check_nan=False):
        y = x.sqrt()
        (y * 0 + y).sum().backward()
        z = ember.tensor([-1.0], requires_grad=True).log()  # forward nan: not checked either
    assert np.isinf(x.grad.numpy()[0]) and np.isnan(z.detach().numpy()[0])


def test_forward_nan_names_the_first_op_and_line():
    x = ember.tensor([-1.0, 1.0], requires_grad=True)
    with ember.autograd.detect_anomaly():
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
    with ember.autograd.detect_anomaly():
        text = error_of(lambda: x.reciprocal())
    assert text.startswith("Function 'ReciprocalBackward0' returned inf values in its 0th "
                           "output in forward.")


def test_integer_and_unrecorded_results_are_not_checked():
    with ember.autograd.detect_anomaly():
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
    @ember.autograd.detect_anomaly()
    def bad():
        return ember.tensor([-1.0], requires_grad=True).sqrt()

    assert "SqrtBackward0" in error_of(bad)
    ember.autograd.set_detect_anomaly(True)
    try:
        assert ember.autograd.anomaly_mode.is_anomaly_enabled()
        assert "LogBackward0" in error_of(lambda: ember.tensor([-1.0], requires_grad=True).log())
    finally:
        ember.autograd.set_detect_anomaly(False)
    assert ember.tensor([-1.0], requires_grad=True).log().isnan().item()
