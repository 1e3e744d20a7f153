"""The linear RNN and its diagonal case: kernels, transfer functions, validation."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.integrate as si
import scipy.linalg as sl

from theory.errors import ParameterError
from theory.linear_memory.model import DiagonalRNN, LinearRNN, check_width


def test_kernel_is_c_expm_u() -> None:
    W = np.array([[-1.0, 0.7], [-0.4, -0.5]])
    U, c = np.array([1.0, 2.0]), np.array([0.5, -1.0])
    m = LinearRNN(W, U, c)
    tt = np.array([0.0, 0.3, 1.0, 4.0])
    expected = [c @ sl.expm(W * x) @ U for x in tt]
    np.testing.assert_allclose(m.kernel(tt), expected, rtol=1e-12, atol=1e-14)


def test_defective_matrix_falls_back_to_expm() -> None:
    # Jordan block: no eigenbasis; c e^{Wt} U = t e^{-t} for U = e_2, c = e_1
    m = LinearRNN(np.array([[-1.0, 1.0], [0.0, -1.0]]), np.array([0.0, 1.0]), np.array([1.0, 0.0]))
    tt = np.linspace(0, 5, 11)
    np.testing.assert_allclose(m.kernel(tt), tt * np.exp(-tt), rtol=1e-10, atol=1e-14)


def test_transfer_is_laplace_transform_of_kernel() -> None:
    m = LinearRNN(np.array([[-1.0, 0.3], [0.0, -2.0]]), np.array([1.0, 1.0]), np.array([1.0, -0.5]))
    s = 0.7
    quad = si.quad(lambda x: float(m.kernel(np.array(x))) * np.exp(-s * x), 0, np.inf)[0]
    assert m.transfer(s).real == pytest.approx(quad, rel=1e-9)
    assert m.transfer(s).imag == pytest.approx(0.0, abs=1e-14)


def test_diagonal_model_and_its_general_form_agree() -> None:
    d = DiagonalRNN([0.7, -0.2, 1.5], [1.3, 0.3, 4.0])
    g = LinearRNN.from_diagonal(d)
    tt = np.linspace(0, 10, 21)
    np.testing.assert_allclose(g.kernel(tt), d.kernel(tt), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(d(tt), d.kernel(tt))
    assert g.transfer(2.0).real == pytest.approx(np.sum(d.a / (2.0 + d.w)), rel=1e-12)
    assert d.spectral_abscissa() == -0.3
    assert d.m == g.m == 3


def test_params_round_trip() -> None:
    d = DiagonalRNN([0.7, -0.2], [1.3, 0.3])
    np.testing.assert_array_equal(d.params, [0.7, -0.2, 1.3, 0.3])
    back = DiagonalRNN.from_params(d.params)
    np.testing.assert_array_equal(back.a, d.a)
    np.testing.assert_array_equal(back.w, d.w)
    with pytest.raises(ParameterError, match="theta"):
        DiagonalRNN.from_params(np.ones(3))


def test_invalid_models() -> None:
    with pytest.raises(ParameterError, match="Hurwitz"):
        LinearRNN(np.array([[0.1, 0.0], [0.0, -1.0]]), np.ones(2), np.ones(2))
    with pytest.raises(ParameterError, match="U"):
        LinearRNN(-np.eye(2), np.ones(3), np.ones(2))
    with pytest.raises(ParameterError, match="W"):
        LinearRNN(np.array([[np.nan, 0.0], [0.0, -1.0]]), np.ones(2), np.ones(2))
    with pytest.raises(ParameterError, match="w"):
        DiagonalRNN([1.0], [-0.5])
    with pytest.raises(ParameterError, match="m"):
        DiagonalRNN([], [])
    with pytest.raises(ParameterError, match="a, w"):
        DiagonalRNN([1.0, 2.0], [1.0])


@pytest.mark.parametrize("bad", [0, -1, 2.0, True])
def test_check_width_rejects(bad: object) -> None:
    with pytest.raises(ParameterError, match="width"):
        check_width(bad)  # type: ignore[arg-type]


def test_check_width_accepts_numpy_integers() -> None:
    assert check_width(np.int64(3)) == 3
