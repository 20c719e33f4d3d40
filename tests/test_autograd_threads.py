"""Grad mode and inference mode belong to the thread that sets them, as in torch: what one thread
does (a no_grad block, comparisons, a backward pass) never changes what another thread records."""

import threading

import numpy as np

import ember


def run_threads(*targets):
    """Start one thread per target, wait for all, and re-raise the first error of any."""
    errors = []

    def guard(fn):
        def run():
            try:
                fn()
            except BaseException as e:  # noqa: BLE001 - reported to the test below
                errors.append(e)
        return run

    threads = [threading.Thread(target=guard(fn)) for fn in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def test_comparisons_in_one_thread_do_not_stop_another_from_recording():
    """100,000 recorded ops in the main thread while another thread evaluates comparisons,
    argmax and isnan (ops that never record) in a loop: not one op of the main thread is lost."""
    w = ember.ones(3, requires_grad=True)
    x = ember.randn(3)
    stop = threading.Event()

    def compare():
        while not stop.is_set():
            for _ in range(100):
                (x > 0).any()
                x.argmax()
                x.isnan()

    other = threading.Thread(target=compare)
    other.start()
    try:
        lost = sum((w * 2).grad_fn is None for _ in range(100_000))
    finally:
        stop.set()
        other.join()
    assert lost == 0


def test_no_grad_in_one_thread_does_not_stop_another_from_recording():
    w = ember.ones(3, requires_grad=True)
    inside = threading.Event()
    leave = threading.Event()

    def hold_no_grad():
        with ember.no_grad():
            inside.set()
            leave.wait(30)
            assert not ember.is_grad_enabled()
            assert (w * 2).grad_fn is None

    other = threading.Thread(target=hold_no_grad)
    other.start()
    inside.wait(30)
    try:
        assert ember.is_grad_enabled()
        assert (w * 2).grad_fn is not None
    finally:
        leave.set()
        other.join()
    assert ember.is_grad_enabled()


def test_overlapping_no_grad_blocks_leave_each_thread_as_it_was():
    """Thread A enters no_grad, B enters no_grad, A leaves, B leaves: with one process-wide
    flag A's exit restores the value B's entry saw, and grad mode stays off for everyone."""
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def a():
        with ember.no_grad():
            a_in.set()
            b_in.wait(30)
        a_out.set()
        seen["a after"] = ember.is_grad_enabled()

    def b():
        a_in.wait(30)
        with ember.no_grad():
            b_in.set()
            a_out.wait(30)
            seen["b inside after a left"] = ember.is_grad_enabled()
        seen["b after"] = ember.is_grad_enabled()

    run_threads(a, b)
    assert seen == {"a after": True, "b inside after a left": False, "b after": True}
    assert ember.is_grad_enabled()


def test_inference_mode_is_per_thread():
    inside, leave = threading.Event(), threading.Event()
    seen = {}

    def infer():
        with ember.inference_mode():
            inside.set()
            leave.wait(30)
            seen["other"] = (ember.is_inference_mode_enabled(), ember.is_grad_enabled())

    other = threading.Thread(target=infer)
    other.start()
    inside.wait(30)
    try:
        seen["main"] = (ember.is_inference_mode_enabled(), ember.is_grad_enabled())
    finally:
        leave.set()
        other.join()
    assert seen == {"other": (True, False), "main": (False, True)}


def test_a_new_thread_starts_with_grad_mode_on():
    """Grad mode is not inherited from the thread that starts another (torch's default)."""
    seen = []
    with ember.no_grad():
        run_threads(lambda: seen.append(ember.is_grad_enabled()))
    assert seen == [True]


def make_mlp(seed):
    ember.manual_seed(seed)
    return ember.nn.Sequential(ember.nn.Linear(8, 32), ember.nn.ReLU(), ember.nn.Linear(32, 4))


def train(model, data, steps=200):
    """200 Adam steps; a no_grad evaluation and a comparison every 10 steps (as loops do)."""
    x, y = data
    optimizer = ember.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for step in range(steps):
        optimizer.zero_grad()
        loss = ember.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if step % 10 == 0:
            with ember.no_grad():
                (model(x).argmax(1) == y).float().mean()
    return losses, [p.detach().numpy().copy() for p in model.parameters()]


def test_two_threads_training_two_models_equal_training_them_one_after_the_other():
    rng = np.random.default_rng(0)
    data = [(ember.tensor(rng.standard_normal((64, 8)), dtype=ember.float32),
             ember.tensor(rng.integers(0, 4, 64))) for _ in range(2)]
    sequential = [train(make_mlp(seed), data[seed]) for seed in range(2)]

    models = [make_mlp(seed) for seed in range(2)]
    threaded = [None, None]

    def worker(k):
        return lambda: threaded.__setitem__(k, train(models[k], data[k]))

    run_threads(worker(0), worker(1))
    for (seq_losses, seq_params), (thr_losses, thr_params) in zip(sequential, threaded):
        assert thr_losses == seq_losses  # bit for bit: the same ops in the same order
        for a, b in zip(seq_params, thr_params):
            np.testing.assert_array_equal(a, b)
