"""Parameters, task and bad input of the kernel-limit model."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from theory.errors import ParameterError
from theory.kernel_limit.model import KernelLimitParams, Task, example_task, sup_abs_derivative
from theory.markov.chain import MarkovChain


def test_defaults_and_rho() -> None:
    p = KernelLimitParams()
    assert p.rho == pytest.approx(0.5)
    assert KernelLimitParams(phi="sigmoid", b_max=3.0).rho == pytest.approx(0.75)
    assert sup_abs_derivative("erf") == pytest.approx(1.0)
    assert p.learning_rate(10_000) == pytest.approx(10_000 ** (-0.5))


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"b_max": 1.0}, "rho"),
        ({"phi": "sigmoid", "b_max": 4.0}, "rho"),
        ({"beta": 0.5}, "beta"),
        ({"beta": 1.0}, "beta"),
        ({"phi": "relu"}, "allow_relu"),
        ({"phi": "softplus"}, "phi"),
        ({"alpha": 0.0}, "alpha"),
        ({"sigma_w": 0.0}, "sigma_w"),
        ({"sigma_b": -1.0}, "sigma_b"),
        ({"c_law": "cauchy"}, "c_law"),
    ],
)
def test_bad_params(kwargs: dict, word: str) -> None:
    with pytest.raises(ParameterError, match=word):
        KernelLimitParams(**kwargs)


def test_relu_opt_in_warns() -> None:
    with pytest.warns(UserWarning, match="outside"):
        p = KernelLimitParams(phi="relu", allow_relu=True)
    assert p.rho == pytest.approx(0.5)


def test_example_task_targets() -> None:
    task = example_task()
    paths = np.array([[0, 2, 1, 0]])
    Y = task.targets(paths)
    x = task.chain.states[paths[0]]
    np.testing.assert_allclose(Y[0], 0.6 * np.sin(2 * x[1:]) + 0.4 * x[:-1], atol=1e-15)
    with pytest.raises(ParameterError, match="L"):
        task.y(np.zeros((3, 1)))


def test_task_bad_target() -> None:
    x0 = sp.Symbol("x_0", real=True)
    with pytest.raises(ParameterError, match="target"):
        Task(MarkovChain([[0.5, 0.5], [0.5, 0.5]]), x0 + sp.Symbol("z", real=True), (x0,))
