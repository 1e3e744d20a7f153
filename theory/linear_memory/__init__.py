"""Linear RNNs learning linear functionals: approximation rates, the curse of memory, plateaus.

The theory of Li, Han, E, Li, "Approximation and optimization theory for linear continuous-time
recurrent neural networks", JMLR 23 (2022) (LHEL). A target is a linear functional
H_t(x) = ∫_0^∞ x_{t−s} ρ(s) ds with memory kernel ρ; a width-m linear RNN dh/dt = Wh + Ux,
ŷ = cᵀh realises the kernel ρ̂(s) = cᵀe^{Ws}U. The package computes how well width-m models can
approximate ρ (Chebyshev construction and Jackson rate, LHEL Thm 10; the floor of stable models on
power-law memory, LHEL Thm 11; the Hankel/AAK lower bound), the white-noise (and OU-input) loss
J = ∫(ρ̂ − ρ)² with its gradients, and the gradient flow on J with its plateaus on delayed memory
(LHEL Sec. 5).

Front door (loaded lazily; ``import theory.linear_memory`` imports neither NumPy nor SymPy)::

    from theory.linear_memory import DiagonalRNN, power_law, diagonal_loss, solve, simulate

* models: :class:`LinearRNN`, :class:`DiagonalRNN`; kernels: :class:`MemoryKernel` and the
  families :func:`exponential_sum`, :func:`power_law`, :func:`gaussian_bump`, :func:`airy_kernel`,
  :func:`shifted_window`, :func:`from_expression` (a SymPy expression or string) and
  :func:`from_callable` (a Python callable with declared or estimated :class:`Regularity`);
* solvers: :func:`solve` (the gradient flow dθ/dτ = −∇J:
  :func:`theory.linear_memory.gradient_flow.gradient_flow`), :func:`diagonal_loss`, :func:`general_loss`, :class:`OULoss`, :func:`chebyshev_construction`,
  :func:`best_coefficients`, :func:`nonnegative_fit`, :func:`stable_floor`,
  :func:`hankel_singular_values`, :func:`escape_time`;
* simulators (the discretised network, independent of the compiled theory): :func:`simulate`
  (= :func:`monte_carlo_mse`, the Monte-Carlo MSE of the zero-order-hold network on white or OU
  noise), :func:`sgd_train`, :func:`worst_case_gap`;
* derivations: :func:`derivation` (= :func:`loss_derivation`, the loss and its gradients), and
  :func:`kernel_family_derivation`, :func:`construction_derivation`,
  :func:`stable_floor_derivation`, :func:`hankel_derivation`, :func:`gramian_derivation`,
  :func:`ou_loss_derivation`, :func:`plateau_derivation`, registered as ``linear_memory_*``
  (``theory derive --only linear_memory_plateau``).

The checks (prediction vs finite simulation or independent numerics, each with its error model)
are in :mod:`theory.linear_memory.checks` and run as ``theory check --only linear_memory``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from theory.frontdoor import lazy_exports

__all__ = [
    # models and kernels
    "LinearRNN",
    "DiagonalRNN",
    "MemoryKernel",
    "exponential_sum",
    "power_law",
    "gaussian_bump",
    "airy_kernel",
    "shifted_window",
    "from_expression",
    "from_callable",
    "Regularity",
    "laplace_quadrature_error",
    "l1_distance",
    "LHEL",
    # approximation
    "chebyshev_construction",
    "ChebyshevApproximation",
    "best_coefficients",
    "BestFit",
    "nonnegative_fit",
    "free_rates",
    "stable_rates",
    "stable_floor",
    "stable_floor_kernel",
    "hankel_singular_values",
    "hankel_singular_values_exp",
    # loss and optimization
    "diagonal_loss",
    "DiagonalLoss",
    "general_loss",
    "GeneralLossValue",
    "OULoss",
    "solve",
    "FlowResult",
    "escape_time",
    "airy_escape_time",
    "EscapeResult",
    "delayed_target",
    "nondelayed_target",
    "quasi_static_tau",
    "quasi_static_slope",
    # simulation
    "simulate",
    "monte_carlo_mse",
    "sgd_train",
    "SGDResult",
    "worst_case_gap",
    "diagonal_outputs",
    "model_outputs",
    # derivations
    "derivation",
    "loss_derivation",
    "gramian_derivation",
    "ou_loss_derivation",
    "kernel_family_derivation",
    "construction_derivation",
    "stable_floor_derivation",
    "hankel_derivation",
    "plateau_derivation",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "LinearRNN": "model",
        "DiagonalRNN": "model",
        "MemoryKernel": "kernels",
        "exponential_sum": "kernels",
        "power_law": "kernels",
        "gaussian_bump": "kernels",
        "airy_kernel": "kernels",
        "shifted_window": "kernels",
        "from_expression": "kernels",
        "from_callable": "kernels",
        "Regularity": "kernels",
        "laplace_quadrature_error": "kernels",
        "l1_distance": "kernels",
        "LHEL": "kernels",
        "chebyshev_construction": "approximation",
        "ChebyshevApproximation": "approximation",
        "best_coefficients": "approximation",
        "BestFit": "approximation",
        "nonnegative_fit": "approximation",
        "free_rates": "approximation",
        "stable_rates": "approximation",
        "stable_floor": "approximation",
        "stable_floor_kernel": "approximation",
        "hankel_singular_values": "hankel",
        "hankel_singular_values_exp": "hankel",
        "diagonal_loss": "loss",
        "DiagonalLoss": "loss",
        "general_loss": "loss",
        "GeneralLossValue": "loss",
        "OULoss": "loss",
        # the function keeps its module's name, so the front door exports it as ``solve`` only
        "solve": "gradient_flow:gradient_flow",
        "FlowResult": "gradient_flow",
        "escape_time": "plateau",
        "airy_escape_time": "plateau",
        "EscapeResult": "plateau",
        "delayed_target": "plateau",
        "nondelayed_target": "plateau",
        "quasi_static_tau": "plateau",
        "quasi_static_slope": "plateau",
        "simulate": "simulation:monte_carlo_mse",
        "monte_carlo_mse": "simulation",
        "sgd_train": "simulation",
        "SGDResult": "simulation",
        "worst_case_gap": "simulation",
        "diagonal_outputs": "simulation",
        "model_outputs": "simulation",
        "derivation": "loss:loss_derivation",
        "loss_derivation": "loss",
        "gramian_derivation": "loss",
        "ou_loss_derivation": "loss",
        "kernel_family_derivation": "kernels",
        "construction_derivation": "approximation",
        "stable_floor_derivation": "approximation",
        "hankel_derivation": "hankel",
        "plateau_derivation": "plateau",
    },
)

if TYPE_CHECKING:
    from theory.linear_memory.approximation import (
        BestFit,
        ChebyshevApproximation,
        best_coefficients,
        chebyshev_construction,
        construction_derivation,
        free_rates,
        nonnegative_fit,
        stable_floor,
        stable_floor_derivation,
        stable_floor_kernel,
        stable_rates,
    )
    from theory.linear_memory.gradient_flow import FlowResult
    from theory.linear_memory.gradient_flow import gradient_flow as solve
    from theory.linear_memory.hankel import (
        hankel_derivation,
        hankel_singular_values,
        hankel_singular_values_exp,
    )
    from theory.linear_memory.kernels import (
        LHEL,
        MemoryKernel,
        Regularity,
        airy_kernel,
        exponential_sum,
        from_callable,
        from_expression,
        gaussian_bump,
        kernel_family_derivation,
        l1_distance,
        laplace_quadrature_error,
        power_law,
        shifted_window,
    )
    from theory.linear_memory.loss import (
        DiagonalLoss,
        GeneralLossValue,
        OULoss,
        diagonal_loss,
        general_loss,
        gramian_derivation,
        loss_derivation,
        ou_loss_derivation,
    )
    from theory.linear_memory.loss import loss_derivation as derivation
    from theory.linear_memory.model import DiagonalRNN, LinearRNN
    from theory.linear_memory.plateau import (
        EscapeResult,
        airy_escape_time,
        delayed_target,
        escape_time,
        nondelayed_target,
        plateau_derivation,
        quasi_static_slope,
        quasi_static_tau,
    )
    from theory.linear_memory.simulation import (
        SGDResult,
        diagonal_outputs,
        model_outputs,
        monte_carlo_mse,
        sgd_train,
        worst_case_gap,
    )
    from theory.linear_memory.simulation import monte_carlo_mse as simulate
