"""ember.vision.models against real torchvision (recorded in tests/fixtures/
torchvision_reference.json by make_torchvision_reference.py, since torchvision cannot be
installed next to the test venv's torch): every architecture's state_dict layout (keys in
order, shapes, dtypes) and its eval-mode logits with the same deterministic weights."""

import contextlib
import json
import pathlib
import sys

import numpy as np
import pytest

import ember
from ember.vision import models

sys.path.insert(0, str(pathlib.Path(__file__).parent / "fixtures"))
from make_torchvision_reference import fill, image, image_size  # noqa: E402

REFERENCE = json.loads((pathlib.Path(__file__).parent / "fixtures" /
                        "torchvision_reference.json").read_text())


@contextlib.contextmanager
def _no_init():
    """Skip the random initialisation: the values are replaced or only shapes are read."""
    names = [n for n in dir(ember.nn.init) if n.endswith("_") and not n.startswith("_")]
    saved = {n: getattr(ember.nn.init, n) for n in names}
    try:
        for n in names:
            setattr(ember.nn.init, n, lambda tensor, *args, **kwargs: tensor)
        yield
    finally:
        for n, fn in saved.items():
            setattr(ember.nn.init, n, fn)


def _build(name):
    kwargs = {"aux_logits": False, "init_weights": False} if name == "googlenet" else {}
    with _no_init():
        return getattr(models, name)(**kwargs)


@pytest.mark.parametrize("name", sorted(REFERENCE["layouts"]))
def test_state_dict_layout_is_torchvisions(name):
    model = _build(name)
    got = [[k, list(v.shape), v.dtype.name] for k, v in model.state_dict().items()]
    assert got == REFERENCE["layouts"][name]


@pytest.mark.parametrize("name", sorted(REFERENCE["logits"]))
def test_logits_equal_torchvisions_with_the_same_weights(name):
    model = _build(name)
    state = {}
    for key, value in model.state_dict().items():
        if value.dtype is ember.int64:
            state[key] = value
        else:
            state[key] = ember.tensor(fill(key, tuple(value.shape)), dtype=value.dtype)
    model.load_state_dict(state)
    model.eval()
    with ember.no_grad():
        size = image_size(name)
        logits = model(ember.tensor(image((1, 3, size, size)), dtype=ember.float32))
    np.testing.assert_allclose(logits[0].numpy(), np.array(REFERENCE["logits"][name]),
                               rtol=1e-3, atol=2e-4)
