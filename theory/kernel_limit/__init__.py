"""The kernel (NTK) limit of an RNN trained online on ergodic Markov data.

Our reading of Lam, Sirignano, Spiliopoulos, "Kernel limit of recurrent neural networks trained on
ergodic data sequences", arXiv:2308.14555 (2023) (only the abstract is public; the model and the
equations here are our reading of it). A network of N units with diagonal recurrence,
S^i_{k+1} = σ(W^i X_k + B^i S^i_k + b^i) and output N^{−β} Σ_i C^i S^i_{k+1}, is trained by online
SGD (learning rate α N^{2β−2}) on a finite Markov chain X_k (:mod:`theory.markov`). As N → ∞ with
t = k/N, the memory converges to the fixed point of a random contraction on histories, the trained
output to the solution of a linear ODE driven by the tangent kernel A(ξ, ξ') and the stationary
law of histories, and the O(N^{−1/2}) fluctuations around it are given by the Poisson equation of
the history chain.

Front door (loaded lazily; ``import theory.kernel_limit`` imports neither NumPy nor SymPy)::

    from theory.kernel_limit import KernelLimitParams, example_task, kernel_quadrature
    from theory.kernel_limit import simulate, solve

* model: :class:`KernelLimitParams` (the network and its initial law; σ a registered name or
  any expression, ``KernelLimitParams(phi="tanh(x - 0.3)")``, whose assumptions are checked),
  :class:`Task` and :func:`example_task` (data chain and target);
* solvers: :func:`kernel_quadrature` (with its error estimate, :class:`QuadratureKernel`),
  :func:`kernel_monte_carlo`, :func:`linear_kernel` (the tangent kernel A), :func:`solve` (= :class:`LimitODE`, the limit ODE solved exactly),
  :func:`memory_on_histories` (the memory fixed point), :func:`predicted_covariance` and
  :func:`kernel_dynamics` (the Poisson-corrector fluctuations);
* simulators: :func:`simulate` (= :func:`train`, R finite networks trained online),
  :func:`init_network`, :func:`empirical_ntk`, :func:`output_on_histories`; the compiled RTRL step
  :class:`RTRL`;
* derivations: :func:`derivation` (= :func:`limit_ode_derivation`), and
  :func:`memory_kernel_derivation`, :func:`linear_kernel_derivation`,
  :func:`fluctuation_derivation`, :func:`rtrl_derivation`, registered as ``kernel_limit_*``
  (``theory derive --only kernel_limit_ode``).

The checks (slopes in N fitted across widths, kernels, fluctuations, each with its error model)
are in :mod:`theory.kernel_limit.checks` and run as ``theory check --only kernel_limit``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from theory.frontdoor import lazy_exports

__all__ = [
    # model
    "KernelLimitParams",
    "Task",
    "example_task",
    "ALLOWED_PHI",
    "LSS",
    "fit_rate",
    # solvers
    "kernel_quadrature",
    "kernel_monte_carlo",
    "KernelEstimate",
    "QuadratureKernel",
    "linear_kernel",
    "quadrature_nodes",
    "memory_on_histories",
    "memory_on_history",
    "truncation_bound",
    "solve",
    "LimitODE",
    "mode_solution",
    "kernel_dynamics",
    "predicted_covariance",
    "mode_variance",
    # simulators
    "simulate",
    "train",
    "TrainResult",
    "init_network",
    "empirical_ntk",
    "output_on_histories",
    "forward_on_histories",
    "RTRL",
    # derivations
    "derivation",
    "limit_ode_derivation",
    "memory_kernel_derivation",
    "linear_kernel_derivation",
    "fluctuation_derivation",
    "rtrl_derivation",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "KernelLimitParams": "model",
        "Task": "model",
        "example_task": "model",
        "ALLOWED_PHI": "model",
        "LSS": "model",
        "fit_rate": "checks",
        "kernel_quadrature": "kernel",
        "kernel_monte_carlo": "kernel",
        "KernelEstimate": "kernel",
        "QuadratureKernel": "kernel",
        "linear_kernel": "kernel",
        "quadrature_nodes": "kernel",
        "memory_on_histories": "memory",
        "memory_on_history": "memory",
        "truncation_bound": "memory",
        "solve": "limit_ode:LimitODE",
        "LimitODE": "limit_ode",
        "mode_solution": "limit_ode",
        "kernel_dynamics": "fluctuations",
        "predicted_covariance": "fluctuations",
        "mode_variance": "fluctuations",
        "simulate": "network:train",
        "train": "network",
        "TrainResult": "network",
        "init_network": "network",
        "empirical_ntk": "network",
        "output_on_histories": "network",
        "forward_on_histories": "network",
        "RTRL": "rtrl",
        "derivation": "limit_ode:limit_ode_derivation",
        "limit_ode_derivation": "limit_ode",
        "memory_kernel_derivation": "kernel",
        "linear_kernel_derivation": "kernel",
        "fluctuation_derivation": "fluctuations",
        "rtrl_derivation": "rtrl",
    },
)

if TYPE_CHECKING:
    from theory.kernel_limit.checks import fit_rate
    from theory.kernel_limit.fluctuations import (
        fluctuation_derivation,
        kernel_dynamics,
        mode_variance,
        predicted_covariance,
    )
    from theory.kernel_limit.kernel import (
        KernelEstimate,
        QuadratureKernel,
        kernel_monte_carlo,
        kernel_quadrature,
        linear_kernel,
        linear_kernel_derivation,
        memory_kernel_derivation,
        quadrature_nodes,
    )
    from theory.kernel_limit.limit_ode import LimitODE, limit_ode_derivation, mode_solution
    from theory.kernel_limit.limit_ode import LimitODE as solve
    from theory.kernel_limit.limit_ode import limit_ode_derivation as derivation
    from theory.kernel_limit.memory import memory_on_histories, memory_on_history, truncation_bound
    from theory.kernel_limit.model import (
        ALLOWED_PHI,
        LSS,
        KernelLimitParams,
        Task,
        example_task,
    )
    from theory.kernel_limit.network import (
        TrainResult,
        empirical_ntk,
        forward_on_histories,
        init_network,
        output_on_histories,
        train,
    )
    from theory.kernel_limit.network import train as simulate
    from theory.kernel_limit.rtrl import RTRL, rtrl_derivation
