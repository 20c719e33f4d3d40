"""Fits the rational function behind GELU's float32 normal CDF (ember/ops/_erf.py).

    python scripts/fit_erfc_float32.py

erfc(a) = exp(-a^2) * erfcx(a), and erfcx is smooth and slowly varying on [0, 4], so a ratio
P(a) / Q(a) of two degree-4 polynomials (Q(0) = 1) approximates it closely.  The fit minimises
the relative error at 4000 Chebyshev points, linearised as |P - f Q| / (f Q_previous) and
solved by least squares again and again (each pass divides by the last pass's Q), with the
weights of the worst points raised after a few passes so the largest error comes down.  The
reference values are ember's own float64 erfc (accurate to ~1e-16).  It prints the
coefficients and the largest relative error (1.1e-8, a fifth of float32's rounding unit).
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ember.ops import _erf  # noqa: E402


def fit(p_degree=4, q_degree=4, low=0.0, high=4.0, points=4000, passes=30):
    a = (low + high) / 2 + (high - low) / 2 * np.cos(np.pi * (np.arange(points) + 0.5) / points)
    f = np.exp(a * a) * _erf.erfc(np, a)
    weight = np.ones(points)
    q_previous = np.ones(points)
    for i in range(passes):
        columns = [a ** k for k in range(p_degree + 1)]
        columns += [-f * a ** k for k in range(1, q_degree + 1)]
        scale = weight / (f * q_previous)
        coefficients = np.linalg.lstsq(np.stack(columns, 1) * scale[:, None], f * scale,
                                       rcond=None)[0]
        p = coefficients[:p_degree + 1]
        q = np.concatenate([[1.0], coefficients[p_degree + 1:]])
        q_previous = np.polyval(q[::-1], a)
        error = np.abs(np.polyval(p[::-1], a) / q_previous / f - 1)
        if i > 5:  # Lawson's idea: lean on the points where the error is largest
            weight = weight * (error / error.max()) ** 0.3 + 1e-3
    return p, q, error.max()


if __name__ == "__main__":
    p, q, error = fit()
    print("P:", [float(c) for c in p])
    print("Q:", [float(c) for c in q])
    print(f"largest relative error on [0, 4]: {error:.3g}")
