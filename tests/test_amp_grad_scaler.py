"""GradScaler against torch: a 50-step run with overflowing gradients (scale sequence, skipped
steps, parameters), state_dict, the unscale_ + clip_grad_norm_ pattern, its errors, disabled
behaviour, and torch's standard AMP loop written for CPU and for CUDA.

Everything here is float32 arithmetic on the same values in both libraries (scales are powers
of two, so scaling and unscaling are exact): parameters are compared at float32 rounding
(rtol 1e-6), scales and trackers exactly.
"""

import pickle
import warnings

import numpy as np
import pytest
import torch

import ember


def _np(t):
    return np.asarray(t.detach().float().numpy())


def _training_run(lib, steps=50, overflow_at=(3, 4, 17, 30, 31, 32), growth_interval=5):
    """A float32 regression with scale/step/update; at the chosen steps one gradient entry is
    made inf (as an overflow would).  Returns (scales, trackers, skipped, parameters)."""
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.normal(size=(16, 4)).astype(np.float32))
    y = lib.tensor(rng.normal(size=(16, 2)).astype(np.float32))
    w = lib.tensor(rng.normal(size=(4, 2)).astype(np.float32), requires_grad=True)
    b = lib.tensor(np.zeros(2, dtype=np.float32), requires_grad=True)
    opt = lib.optim.SGD([w, b], lr=0.05, momentum=0.5)
    scaler = lib.amp.GradScaler("cpu", init_scale=2.0**10, growth_interval=growth_interval)
    scales, trackers, skipped = [], [], []
    for step in range(steps):
        opt.zero_grad()
        loss = ((x @ w + b - y) ** 2).mean()
        scaler.scale(loss).backward()
        if step in overflow_at:
            with lib.no_grad():
                w.grad[0, 0] = float("inf") if step % 2 else float("nan")
        before = _np(w).copy()
        scaler.step(opt)
        skipped.append(bool(np.array_equal(before, _np(w))))
        scaler.update()
        scales.append(scaler.get_scale())
        trackers.append(scaler.state_dict()["_growth_tracker"])
    return scales, trackers, skipped, [_np(w), _np(b)]


def test_fifty_steps_with_overflows_match_torch():
    theirs = _training_run(torch)
    ours = _training_run(ember)
    assert ours[0] == theirs[0]  # the scale sequence
    assert ours[1] == theirs[1]  # the growth tracker
    assert ours[2] == theirs[2]  # the skipped steps
    assert sum(ours[2]) == 6
    for p, q in zip(ours[3], theirs[3]):
        np.testing.assert_allclose(p, q, rtol=1e-6, atol=1e-7)


def test_growth_is_refused_when_the_grown_scale_overflows():
    for lib in (torch, ember):
        w = lib.ones(2, requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.1)
        scaler = lib.amp.GradScaler("cpu", init_scale=3e38, growth_interval=1)
        (scaler.scale(w.sum())).backward()
        scaler.step(opt)
        scaler.update()
        assert scaler.get_scale() == pytest.approx(3e38, rel=1e-6)
        assert scaler.state_dict()["_growth_tracker"] == 0


def test_state_dict_round_trip_with_torch_structure():
    for lib in (torch, ember):
        scaler = lib.amp.GradScaler("cpu", init_scale=512.0, growth_interval=3)
        assert scaler.state_dict() == {"scale": 512.0, "growth_factor": 2.0,
                                       "backoff_factor": 0.5, "growth_interval": 3,
                                       "_growth_tracker": 0}
    ours = ember.amp.GradScaler("cpu", init_scale=512.0, growth_interval=3)
    w = ember.ones(2, requires_grad=True)
    opt = ember.optim.SGD([w], lr=0.1)
    for _ in range(2):
        ours.scale(w.sum()).backward()
        ours.step(opt)
        ours.update()
    state = ours.state_dict()
    assert state == {"scale": 512.0, "growth_factor": 2.0, "backoff_factor": 0.5,
                     "growth_interval": 3, "_growth_tracker": 2}
    theirs = torch.amp.GradScaler("cpu")
    theirs.load_state_dict(state)
    assert theirs.state_dict() == state
    back = ember.amp.GradScaler("cpu")
    back.load_state_dict(theirs.state_dict())
    assert back.state_dict() == state and back.get_scale() == 512.0
    # after a scale() (tensors made) loading writes into them
    back.scale(w.sum())
    back.load_state_dict({**state, "scale": 64.0, "_growth_tracker": 1})
    assert back.get_scale() == 64.0 and back.state_dict()["_growth_tracker"] == 1
    with pytest.raises(RuntimeError, match="The source state dict is empty"):
        ember.amp.GradScaler("cpu").load_state_dict({})
    # pickling between iterations keeps the settings and the scale
    clone = pickle.loads(pickle.dumps(back))
    assert clone.state_dict() == back.state_dict()


def test_unscale_and_clip_grad_norm_pattern_as_torch():
    results = {}
    for lib in (torch, ember):
        lib.manual_seed(0)
        rng = np.random.default_rng(3)
        model = lib.nn.Linear(3, 2)
        with lib.no_grad():
            model.weight.copy_(lib.tensor(rng.normal(size=(2, 3)).astype(np.float32)))
            model.bias.copy_(lib.tensor(rng.normal(size=2).astype(np.float32)))
        opt = lib.optim.SGD(model.parameters(), lr=0.1)
        scaler = lib.amp.GradScaler("cpu", init_scale=256.0)
        x = lib.tensor(rng.normal(size=(5, 3)).astype(np.float32))
        norms = []
        for _ in range(3):
            opt.zero_grad()
            with lib.autocast("cpu"):
                out = model(x)
            loss = out.float().pow(2).mean() * 10
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
            norms.append(float(lib.nn.utils.clip_grad_norm_(model.parameters(), 0.5)))
            scaler.step(opt)
            scaler.update()
        results[lib] = (norms, _np(model.weight), _np(model.bias))
    np.testing.assert_allclose(results[ember][0], results[torch][0], rtol=1e-5)
    for p, q in zip(results[ember][1:], results[torch][1:]):
        np.testing.assert_allclose(p, q, rtol=1e-5, atol=1e-6)


def test_errors_as_torch():
    for lib in (torch, ember):
        w = lib.ones(2, requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.1)
        scaler = lib.amp.GradScaler("cpu")
        with pytest.raises(AssertionError, match="Attempted step but _scale is None"):
            scaler.step(opt)
        with pytest.raises(AssertionError, match="Attempted unscale_ but _scale is None"):
            scaler.unscale_(opt)
        scaler.scale(w.sum()).backward()
        scaler.unscale_(opt)
        with pytest.raises(RuntimeError, match=r"unscale_\(\) has already been called on this "
                                               r"optimizer since the last update\(\)."):
            scaler.unscale_(opt)
        scaler.step(opt)
        with pytest.raises(RuntimeError, match=r"unscale_\(\) is being called after step\(\)."):
            scaler.unscale_(opt)
        with pytest.raises(RuntimeError, match=r"step\(\) has already been called since the "
                                               r"last update\(\)."):
            scaler.step(opt)
        with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
            scaler.step(opt, closure=lambda: 0)
        scaler.update()
        with pytest.raises(AssertionError, match="The growth factor must be > 1.0."):
            lib.amp.GradScaler("cpu", growth_factor=1.0)
        with pytest.raises(AssertionError, match="The backoff factor must be < 1.0."):
            lib.amp.GradScaler("cpu", backoff_factor=1.0)
        with pytest.raises(ValueError, match="outputs must be a Tensor or an iterable"):
            scaler.scale(3.0)
        half = lib.ones(2, dtype=lib.float16, requires_grad=True)
        opt16 = lib.optim.SGD([half], lr=0.1)
        scaler.scale(half.float().sum()).backward()
        with pytest.raises(ValueError, match="Attempting to unscale FP16 gradients."):
            scaler.unscale_(opt16)


def test_scale_of_iterables_and_update_with_new_scale_as_torch():
    for lib in (torch, ember):
        scaler = lib.amp.GradScaler("cpu", init_scale=4.0)
        a, b = lib.tensor(1.5), lib.tensor([2.0, 3.0])
        pair = scaler.scale([a, (b,)])
        assert isinstance(pair, list) and isinstance(pair[1], tuple)
        assert float(pair[0]) == 6.0 and pair[1][0].tolist() == [8.0, 12.0]
        assert scaler.scale(a).dtype == lib.float32
        w = lib.ones(2, requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.1)
        scaler.scale(w.sum()).backward()
        scaler.step(opt)
        scaler.update(new_scale=16.0)
        assert scaler.get_scale() == 16.0
        scaler.scale(w.sum())
        scaler.update(lib.tensor(32.0))
        assert scaler.get_scale() == 32.0
        with pytest.raises(AssertionError, match="new_scale should be a float or a 1-element"):
            scaler.update(lib.tensor([1.0, 2.0]))
        # gradients are unscaled even when not finite, and the step is skipped
        w2 = lib.tensor([1.0, 1.0], requires_grad=True)
        opt2 = lib.optim.SGD([w2], lr=0.1)
        s2 = lib.amp.GradScaler("cpu", init_scale=2.0)
        s2.scale(w2.sum()).backward()
        with lib.no_grad():
            w2.grad[0] = float("inf")
        s2.unscale_(opt2)
        assert w2.grad.tolist() == [float("inf"), 1.0]
        assert s2.step(opt2) is None and w2.tolist() == [1.0, 1.0]
        s2.update()
        assert s2.get_scale() == 1.0


def test_cuda_scaler_without_a_gpu_disables_itself():
    for lib in (torch, ember):
        with pytest.warns(UserWarning, match="CUDA is not available.  Disabling."):
            scaler = lib.amp.GradScaler("cuda")
        loss = lib.ones(1, requires_grad=True).sum()
        assert scaler.scale(loss) is loss
        assert scaler.state_dict() == {} and scaler.get_scale() == 1.0
        assert not scaler.is_enabled()
    assert ember.GradScaler is ember.amp.GradScaler and torch.GradScaler is torch.amp.GradScaler


def _standard_amp_loop(lib, device, dtype=None):
    """torch's documented AMP recipe, written once for either library and device."""
    lib.manual_seed(0)
    rng = np.random.default_rng(5)
    model = lib.nn.Sequential(lib.nn.Linear(6, 8), lib.nn.ReLU(), lib.nn.Linear(8, 3))
    with lib.no_grad():
        for p in model.parameters():
            p.copy_(lib.tensor(rng.normal(size=tuple(p.shape)).astype(np.float32) * 0.3))
    optimizer = lib.optim.SGD(model.parameters(), lr=0.05)
    loss_fn = lib.nn.CrossEntropyLoss()
    scaler = lib.amp.GradScaler(device)
    data = [(lib.tensor(rng.normal(size=(4, 6)).astype(np.float32)),
             lib.tensor(rng.integers(0, 3, size=4))) for _ in range(5)]
    losses = []
    for _epoch in range(2):
        for input, target in data:
            optimizer.zero_grad()
            with lib.autocast(device_type=device, dtype=dtype):
                output = model(input)
                loss = loss_fn(output, target)
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            lib.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            scaler.step(optimizer)
            scaler.update()
            losses.append((str(output.dtype).split(".")[1], str(loss.dtype).split(".")[1],
                           float(loss.detach())))
    return losses, [_np(p) for p in model.parameters()]


def test_standard_amp_loop_runs_unchanged_on_cpu_as_torch():
    theirs = _standard_amp_loop(torch, "cpu", torch.bfloat16)
    ours = _standard_amp_loop(ember, "cpu", ember.bfloat16)
    assert [loss[:2] for loss in ours[0]] == [loss[:2] for loss in theirs[0]]
    assert ours[0][0][:2] == ("bfloat16", "float32")
    # bfloat16 activations: the losses agree to the rounding of bfloat16 (2^-8 relative)
    np.testing.assert_allclose([v[2] for v in ours[0]], [v[2] for v in theirs[0]],
                               rtol=2 * 2.0**-8)
    for p, q in zip(ours[1], theirs[1]):
        np.testing.assert_allclose(p, q, rtol=2 * 2.0**-8, atol=2 * 2.0**-8)


def test_standard_amp_loop_written_for_cuda_runs_on_a_cpu_only_machine():
    results = {}
    for lib in (torch, ember):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            results[lib] = _standard_amp_loop(lib, "cuda")
        messages = {str(w.message) for w in caught}
        assert "CUDA is not available or torch_xla is imported. Disabling autocast." in messages
        assert ("torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling."
                in messages)
    ours, theirs = results[ember], results[torch]
    assert ours[0][0][:2] == theirs[0][0][:2] == ("float32", "float32")
    np.testing.assert_allclose([v[2] for v in ours[0]], [v[2] for v in theirs[0]], rtol=1e-5)
    for p, q in zip(ours[1], theirs[1]):
        np.testing.assert_allclose(p, q, rtol=1e-5, atol=1e-6)


def test_cuda_amp_custom_fwd_spellings_warn_as_torch():
    for lib in (torch, ember):
        with pytest.warns(FutureWarning, match=r"torch.cuda.amp.custom_fwd\(args...\)` is "
                                               "deprecated"):
            lib.cuda.amp.custom_fwd(lambda ctx, x: x)
        with pytest.warns(FutureWarning, match=r"torch.cuda.amp.custom_bwd\(args...\)` is "
                                               "deprecated"):
            lib.cuda.amp.custom_bwd(lambda ctx, g: g)
        assert lib.cuda.amp.amp_definitely_not_available() is True
