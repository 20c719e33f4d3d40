"""Errors that teach: torch's class and first line, then what happened and the fix."""

import numpy as np
import pytest
import torch

import ember


def torch_error(fn):
    with pytest.raises(Exception) as err:
        fn()
    return type(err.value), str(err.value).splitlines()[0]


def ember_error(fn):
    with pytest.raises(Exception) as err:
        fn()
    return type(err.value), str(err.value)


# -------------------------------------------------------------------- no grad_fn

def test_backward_on_detached_loss_names_the_line():
    w = ember.ones(3, requires_grad=True)
    out = (w * 2).detach()  # the graph is cut here
    loss = out.sum()
    cls, text = ember_error(lambda: loss.backward())
    t_cls, first = torch_error(lambda: torch.ones(3).sum().backward())
    lines = text.splitlines()
    assert cls is t_cls is RuntimeError and lines[0] == first
    assert lines[1] == ("  ember: the tensor backward() started from (shape [], ember.float32) "
                        "was computed from tensors of which none requires grad, so there is no "
                        "graph to differentiate.")
    line = 1 + open(__file__).read().splitlines().index(
        "    out = (w * 2).detach()  # the graph is cut here")
    assert lines[2] == (f"  line {line}: out = (w * 2).detach()  # the graph is cut here    "
                        "<- detaches a tensor from the graph (.detach())")
    assert lines[3].startswith("  fix: compute the loss outside no_grad(), from the model's "
                               "output itself")
    assert lines[4].startswith("  setting loss.requires_grad = True does not fix this")


def test_backward_on_loss_computed_under_no_grad():
    model = ember.nn.Linear(3, 1)
    with ember.no_grad():
        loss = model(ember.ones(2, 3)).sum()
    text = ember_error(lambda: loss.backward())[1]
    assert "with ember.no_grad():    <- starts a no_grad() block" in text
    with ember.no_grad():
        text = ember_error(lambda: loss.backward())[1]
    assert "cause: backward() is running inside torch.no_grad()" in text


def test_backward_of_second_element_names_it():
    a = ember.ones(1, requires_grad=True).sum()
    b = ember.ones(1).sum()
    text = ember_error(lambda: ember.autograd.backward([a, b]))[1]
    assert text.startswith("element 1 of tensors does not require grad")


# -------------------------------------------------------------------- .numpy()

def test_numpy_on_tensor_requiring_grad():
    cls, text = ember_error(lambda: ember.ones(2, requires_grad=True).numpy())
    t_cls, first = torch_error(lambda: torch.ones(2, requires_grad=True).numpy())
    assert cls is t_cls and text == (
        first + "\n  ember: this tensor is part of the autograd graph and NumPy cannot carry "
        "gradients. .detach() gives the same values (sharing memory) outside the graph; for one "
        "number to log or print, use .item().")
    assert np.array_equal(ember.ones(2, requires_grad=True).detach().numpy(), np.ones(2))


def test_numpy_on_cuda_tensor(fake_cuda):
    cls, text = ember_error(lambda: ember.ones(2, device="cuda").numpy())
    # torch (CPU build here) raises TypeError for a CUDA tensor, with this first line
    assert cls is TypeError
    assert text == (
        "can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy the tensor "
        "to host memory first.\n  ember: NumPy arrays live in host memory and this tensor is "
        "on cuda:0: use t.cpu().numpy() (t.detach().cpu().numpy() if it requires grad).")
    assert ember.ones(2, device="cuda").cpu().numpy().tolist() == [1.0, 1.0]


# -------------------------------------------------------------------- backward twice

def test_backward_twice_explains_retain_graph():
    def run(lib):
        x = lib.ones(3, requires_grad=True)
        y = x.exp().sum()
        y.backward()
        y.backward()

    t_cls, first = torch_error(lambda: run(torch))
    cls, text = ember_error(lambda: run(ember))
    lines = text.splitlines()
    assert cls is t_cls is RuntimeError and lines[0] == first
    assert lines[1].startswith("  ember: ExpBackward0 needs values that the first backward() "
                               "freed")
    assert "total_loss += loss: use loss.item()" in lines[1]
    assert "h = h.detach()" in lines[1]
    assert lines[2].startswith("  retain_graph=True (on the first backward) is really needed "
                               "only to backpropagate twice through the same graph")


def test_retain_graph_really_allows_a_second_backward():
    x = ember.ones(3, requires_grad=True)
    y = x.exp().sum()
    y.backward(retain_graph=True)
    y.backward()
    assert np.allclose(x.grad.numpy(), 2 * np.e)


# -------------------------------------------------------------------- view

def test_view_on_non_contiguous_suggests_reshape():
    t_cls, first = torch_error(lambda: torch.ones(2, 3).t().view(6))
    cls, text = ember_error(lambda: ember.ones(2, 3).t().view(6))
    assert cls is t_cls is RuntimeError
    assert text == (
        first + "\n  ember: view(6) must reuse the memory as it is, but this tensor (size [3, 2], "
        "stride [1, 3]) is not contiguous: transpose/permute/t()/expand or slicing changed the "
        "order its elements are read in.\n  hint: use .reshape(...) (a copy only when needed) "
        "or .contiguous().view(...).")
    x = ember.arange(6.0).reshape(2, 3).t()
    assert x.reshape(6).tolist() == x.contiguous().view(6).tolist() == [0, 3, 1, 4, 2, 5]


# -------------------------------------------------------------------- cross_entropy target

@pytest.mark.parametrize("target", [np.array([0.0, 1.0], dtype=np.float32),
                                    np.array([0, 1], dtype=np.int32),
                                    np.array([[0], [1]])])
def test_cross_entropy_target_message_exists_and_teaches(target):
    logits = np.zeros((2, 3), dtype=np.float32)
    t_cls, first = torch_error(lambda: torch.nn.functional.cross_entropy(
        torch.from_numpy(logits), torch.from_numpy(target)))
    cls, text = ember_error(lambda: ember.nn.functional.cross_entropy(
        ember.from_numpy(logits), ember.from_numpy(target)))
    assert cls is t_cls
    assert len(text.splitlines()) >= 2 and "ember:" in text  # more than torch's line
    assert any(fix in text for fix in (".long()", ".squeeze(1)", ".float()"))


# -------------------------------------------------------------------- devices

def test_module_called_before_moving_its_input(fake_cuda):
    model = ember.nn.Sequential(ember.nn.Linear(3, 2))
    model.to("cuda")
    cls, text = ember_error(lambda: model(ember.ones(4, 3)))
    lines = text.splitlines()
    assert cls is RuntimeError
    assert lines[0].startswith("Expected all tensors to be on the same device, but found at "
                               "least two devices")
    assert "Linear(in_features=3, out_features=2, bias=True)" in lines[1]
    assert "x = x.to(device)" in lines[2]


def test_optimizer_created_before_model_to_device_is_fine(fake_cuda):
    """Parameters move in place, so an optimizer made first still updates them (as torch)."""
    t_model = torch.nn.Linear(3, 2)
    model = ember.nn.Linear(3, 2)
    with ember.no_grad():
        model.weight.copy_(ember.tensor(t_model.weight.detach().numpy()))
        model.bias.copy_(ember.tensor(t_model.bias.detach().numpy()))
    opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    t_opt = torch.optim.SGD(t_model.parameters(), lr=0.1, momentum=0.9)
    model.to("cuda")
    x = np.arange(12, dtype=np.float32).reshape(4, 3) / 10
    for _ in range(3):
        opt.zero_grad()
        model(ember.tensor(x, device="cuda")).pow(2).mean().backward()
        opt.step()
        t_opt.zero_grad()
        t_model(torch.from_numpy(x)).pow(2).mean().backward()
        t_opt.step()
    assert model.weight.device.type == "cuda"
    assert opt.param_groups[0]["params"][0] is model.weight
    np.testing.assert_allclose(model.weight.cpu().detach().numpy(),
                               t_model.weight.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.bias.cpu().detach().numpy(),
                               t_model.bias.detach().numpy(), rtol=1e-5, atol=1e-6)
