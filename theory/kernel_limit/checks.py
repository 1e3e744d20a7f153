r"""Checks of the kernel limit: compiled theory against finite-width networks.

The theory is our reading of Lam, Sirignano, Spiliopoulos, "Kernel limit of recurrent neural
networks trained on ergodic data sequences", arXiv:2308.14555 (2023) (LSS); the equations checked
here are those of the derivations ``kernel_limit_memory_kernel``, ``kernel_limit_ode``,
``kernel_limit_fluctuations`` and ``kernel_limit_linear_kernel_l3``. Every check is registered as
``kernel_limit.<name>[...]``.

Setting (unless stated): the example chain on (−1, 0, 1) (:func:`theory.markov.example_chain`),
target Y_k = 0.6 sin(2X_k) + 0.4X_{k−1}, σ = tanh, b_max = 0.5 (ρ = 0.5), σ_w = 1, σ_b = 0.5,
C ~ N(0, 1), α = 1, T = 2 (T = 1 for the rate and drift runs), histories of length L = 4 (81 histories).

Error models, check by check:

* ``ntk_init`` — the empirical NTK of N i.i.d. units is a Monte-Carlo average of N terms, so
  E‖A_N − A‖² = v/N exactly (v the variance of one unit's contribution) and the RMS error has slope
  −1/2 in N. The slope is fitted by weighted least squares on log RMS error (per-size standard errors
  from the seeds, delta method; standard error inflated by √(χ²/dof) when the points scatter more
  than their errors); tolerance t_{1−α/2, R−1}·SE. Quadrature error of A (≈ 1e-4, estimated by a
  refined rule) is far below the smallest measured error.
* ``kernel_quadrature_vs_mc`` — Monte Carlo over θ ~ μ₀: entrywise c/√n; standardised sup error over
  the H(H+1)/2 distinct entries against a Bonferroni t-quantile, bias = the quadrature error estimate.
* ``drift`` — parameters move O(N^{β−1}) by time T (lazy regime: derivation ``kernel_limit_rtrl``,
  step ``lazy_scale``): fitted slope of the RMS over units of |θ^i_{NT} − θ^i_0| against β − 1,
  networks with the symmetric initialisation (g^N_0 ≡ 0; for i.i.d. units the initial output adds
  a relative O(N^{1−2β}) to the mean square drift, reported) (max_i reported; it carries an extra
  √log N).
* ``convergence_rate`` — g^N_T − g_T minus the exactly known trace e^{−αTKD} g^N_0 of each network's
  own initial output (O(N^{1/2−β}); it dominates the raw error at every N): the Π-weighted RMS of
  the remainder is O(N^{−1/2}) for 1/2 < β ≤ 3/4 (Poisson fluctuation, Monte-Carlo error of the
  initial NTK; kernel drift, by power counting, N^{β−3/2} (the first order is odd in C) and
  N^{2β−2}); fitted slope vs −1/2.
* ``error_split`` — on the same data paths, network vs infinite-width kernel dynamics started from
  the network's own g^N_0 (slope −1/2) and kernel dynamics vs ODE (slope −1/2,
  the Poisson/ergodic error); same fit. Rate fits: R ∝ 1/N networks per size (thousands at
  N = 250), log RMS by weighted least squares, SE by the delta method inflated by √(χ²/dof),
  tolerance t_{1−α/2, R_min−1}·SE.
* ``memory_truncation`` — for frozen parameters |S_k − S_L(θ; ξ_k)| ≤ sup|σ|·ρ^L exactly (contraction);
  error = max_L (measured / bound), tolerance 1.
* ``poisson_fluctuation`` — N·Σ_ξ Π(ξ)Var(g(ξ)) over data seeds vs the Poisson-corrector prediction;
  statistical t·SEM over seeds plus, for the network, a relative O(N^{β−1}) kernel-drift bias.
* ``linear_kernel_closed_form`` — SymPy closed form vs Gauss–Hermite/Legendre quadrature, which is
  exact for the polynomial integrand (degree ≤ 2 in W and b, ≤ 2(L−1) in B): round-off only.
* ``linear_end_to_end`` — closed-form ODE vs the linear network (symmetric initialisation: g^N_0 = 0):
  per-history t-test over seeds, Bonferroni over H, bias = ρ^L·max|y| (truncation) +
  αT·max|y|·‖ΔK D‖_∞ with ΔK the measured change of the network's own NTK during training.
* ``user_activation`` — σ = tanh(x − 0.3) given as an expression: (kernel) the mean empirical NTK of
  R networks of N i.i.d. units at initialisation is A exactly, SEM over networks ∝ 1/√(NR),
  entrywise t-test with Bonferroni, bias = the quadrature error estimate; (ode) trained networks
  vs the limit ODE per history, the error model of ``linear_end_to_end`` plus the quadrature error.

The failure hook (``CheckContext(perturb=ε)``) scales every prediction by 1 + ε: the predicted
slopes, the kernel, the limit-ODE output, the Poisson-corrector variance, and the truncation
bound (an upper bound: only ε < 0 can make ``memory_truncation`` fail).
"""

from __future__ import annotations

import functools

import numpy as np

from theory.checks import (
    CheckContext,
    CheckResult,
    ErrorModel,
    check,
    compare_curve,
    ensemble,
    fit_power_law,
    mean_sem,
    perturbed,
    statistical_tolerance,
)
from theory.errors import require
from theory.kernel_limit.fluctuations import kernel_dynamics, predicted_covariance
from theory.kernel_limit.kernel import kernel_monte_carlo, kernel_quadrature, linear_kernel
from theory.kernel_limit.limit_ode import LimitODE
from theory.kernel_limit.memory import memory_on_history, truncation_bound
from theory.kernel_limit.model import KernelLimitParams, Task, example_task
from theory.kernel_limit.network import empirical_ntk, init_network, train
from theory.markov.histories import HistoryChain

__all__ = ["fit_rate", "RateFit", "limit_setup", "rate_runs"]

L_DEFAULT = 4
T_DEFAULT = 2.0
#: Training horizon of the rate and drift runs (N·T_RATE steps per network).
T_RATE = 1.0


@functools.lru_cache(maxsize=4)
def _task() -> Task:
    return example_task()


def limit_setup(
    params: KernelLimitParams, L: int = L_DEFAULT
) -> tuple[HistoryChain, np.ndarray, float, LimitODE]:
    """(histories, kernel A by quadrature, its error estimate, the limit ODE) for ``params``.

    Memoised on (params, L).
    """
    return _limit_setup(params, int(L))


@functools.lru_cache(maxsize=16)
def _limit_setup(
    params: KernelLimitParams, L: int
) -> tuple[HistoryChain, np.ndarray, float, LimitODE]:
    task = _task()
    hc = HistoryChain(task.chain, L)
    if params.phi == "linear":
        A, qerr = linear_kernel(params, hc), 0.0
    else:
        A, qerr = kernel_quadrature(params, hc, estimate_error=True)
    return hc, A, qerr, LimitODE(A, hc.Pi, task.y(hc.values), params.alpha)


class RateFit:
    """Weighted least-squares fit of log(error) = log c + p log N with per-point standard errors."""

    def __init__(self, sizes: np.ndarray, per_seed_sq: list[np.ndarray]) -> None:
        self.sizes = np.asarray(sizes, dtype=float)
        ms_seq, sems_seq = zip(*(mean_sem(v) for v in per_seed_sq), strict=True)
        ms, sems = np.array(ms_seq), np.array(sems_seq)
        self.errors = np.sqrt(ms)
        self.log_se = 0.5 * sems / ms  # delta method for log sqrt(mean)
        self.n_seeds = min(len(v) for v in per_seed_sq)
        x, yv, w = np.log(self.sizes), np.log(self.errors), 1.0 / self.log_se**2
        xb = np.sum(w * x) / np.sum(w)
        sxx = np.sum(w * (x - xb) ** 2)
        self.slope = float(np.sum(w * (x - xb) * (yv - np.sum(w * yv) / np.sum(w))) / sxx)
        icpt = np.sum(w * yv) / np.sum(w) - self.slope * xb
        resid = yv - (icpt + self.slope * x)
        dof = max(1, x.size - 2)
        self.chi2_dof = float(np.sum(w * resid**2) / dof)
        self.se = float(np.sqrt(1.0 / sxx) * max(1.0, np.sqrt(self.chi2_dof)))
        self.unweighted = fit_power_law(self.sizes, self.errors)

    def model(self, predicted: float, what: str) -> ErrorModel:
        base = statistical_tolerance(self.se, self.n_seeds)
        return ErrorModel(
            f"|fitted - predicted slope| ({what}) <= {base.description}; slope SE from {self.n_seeds} seeds per size (delta method), inflated by sqrt(chi2/dof)={np.sqrt(max(1.0, self.chi2_dof)):.2f}",
            base.tolerance,
        )

    def details(self) -> dict[str, object]:
        return {
            "sizes": self.sizes,
            "errors": self.errors,
            "log_se": self.log_se,
            "slope": self.slope,
            "slope_se": self.se,
            "chi2_dof": self.chi2_dof,
            "unweighted_fit(p,c,se)": self.unweighted,
        }


def fit_rate(sizes: np.ndarray, per_seed_sq: list[np.ndarray]) -> RateFit:
    """Fit the convergence order from per-seed squared errors at each size."""
    return RateFit(sizes, per_seed_sq)


def _plot_rate(fit: RateFit, predicted: float, ylabel: str, title: str) -> object:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.errorbar(
        fit.sizes,
        fit.errors,
        yerr=fit.errors * fit.log_se,
        fmt="o",
        color="C3",
        label=f"measured, slope {fit.slope:.3f} ± {fit.se:.3f}",
    )
    c = fit.errors[0] * fit.sizes[0] ** (-predicted)
    ax.loglog(fit.sizes, c * fit.sizes**predicted, "k--", label=f"predicted slope {predicted:.3f}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("N")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return fig


# ============================================================================ 1. NTK at init
@check(
    "ntk_init",
    target="exponent",
    cases=[{"L": 4}],
    description="Empirical NTK at initialisation vs A(xi,xi') by quadrature: fitted slope of the error in N vs -1/2.",
)
def check_ntk_init(ctx: CheckContext, *, L: int = L_DEFAULT) -> CheckResult:
    """Empirical NTK of N random units vs A by quadrature: RMS error slope ≈ −1/2."""
    params = KernelLimitParams()
    hc, A, qerr, _ = limit_setup(params, L)
    sizes = ctx.size([100, 400, 1600], [100, 400, 1600, 6400])
    R = ctx.size(128, 400)  # full: 4 sizes up to N = 6400 (the cost)
    rng = ctx.rng(1)
    W2 = np.outer(hc.Pi, hc.Pi)
    per = []
    for N in sizes:
        errs = np.empty(R)
        for r in range(R):
            th = init_network(params, N, 1, rng)
            AN = empirical_ntk(params, {k: v[0] for k, v in th.items()}, hc.values)
            errs[r] = np.sum(W2 * (AN - A) ** 2)
        per.append(errs)
    fit = fit_rate(np.array(sizes), per)
    pred = -0.5
    return CheckResult.compare(
        "",
        pred,
        fit.slope,
        fit.model(pred, "Pi-weighted Frobenius error of the empirical NTK"),
        details={**fit.details(), "quadrature_error": qerr, "seeds": R, "L": hc.L},
        figures=[_plot_rate(fit, pred, r"$\|A_N-A\|_{\Pi}$", "empirical NTK at initialisation")],
    )


# ============================================================================ 2. quadrature vs MC
@check(
    "kernel_quadrature_vs_mc",
    target="moment",
    cases=[{"L": 3}],
    description="Kernel A by tensor-product quadrature vs Monte Carlo over the initial law (entrywise, standardised).",
)
def check_quadrature_vs_mc(ctx: CheckContext, *, L: int = 3) -> CheckResult:
    """A by quadrature vs Monte Carlo over θ ~ μ₀ (entrywise standardised sup error)."""
    params = KernelLimitParams()
    hc, A, qerr, _ = limit_setup(params, L)
    n = ctx.size(32_000, 256_000)
    est = kernel_monte_carlo(params, hc, n, ctx.rng(2), batches=16)
    iu = np.triu_indices(hc.H)
    samples = est.batch_means[:, iu[0], iu[1]]
    return compare_curve(
        A[iu],
        samples,
        n_independent=iu[0].size,
        bias=qerr,
        bias_text="quadrature error estimate (refined rule)",
        details={
            "mc_samples": est.n,
            "H": hc.H,
            "max_abs_error": float(np.max(np.abs(est.mean - A))),
            "max_mc_sem": float(est.sem.max()),
        },
    )


# ============================================================================ shared training runs
#: Array elements (networks × units) trained at once by :func:`rate_runs` (bounds the memory).
RATE_CHUNK_ELEMENTS = 2**18


@functools.lru_cache(maxsize=32)
def rate_runs(
    params: KernelLimitParams, N: int, T: float, R: int, seed: int, symmetric: bool = False
) -> dict[str, np.ndarray]:
    """Train R networks (independent inits and data) and reduce: per-seed errors and drifts.

    The networks are trained in chunks of at most :data:`RATE_CHUNK_ELEMENTS` // N networks, chunk
    j from the generator ``[seed, N, 7, j]`` (each network: its own initialisation and data path).
    Besides the raw deviations from the limit, the per-network *remainders* are returned: the
    network's deviation minus the exactly known linear propagation of its own initial output
    g^N_0 (theory side, from the simulated g^N_0; the simulator is not touched):

    * ``sq_rem``: ‖g^N_T − g_T − e^{−αTKD} g^N_0‖²_Π (``KD`` the limit kernel operator of the ODE);
    * ``sq_rem_net_kd``: ‖g^N_T − g^kernel_T[g^N_0]‖²_Π, the infinite-width kernel dynamics on the
      network's data path started from g^N_0 (affine in g: it adds the path's own propagation
      of g^N_0);
    * ``sq_trace``: ‖e^{−αTKD} g^N_0‖²_Π.
    """
    hc, A, _, ode = limit_setup(params)
    task = _task()
    steps = int(np.floor(N * T))
    gT = ode.g(T)
    prop = ode.propagator(T)
    chunk = max(1, RATE_CHUNK_ELEMENTS // N)
    parts: dict[str, list[np.ndarray]] = {}
    for j, r0 in enumerate(range(0, R, chunk)):
        Rj = min(chunk, R - r0)
        rng = np.random.default_rng([seed, N, 7, j])
        paths = task.chain.sample(steps + task.q, Rj, rng)
        res = train(
            params,
            task,
            N,
            T,
            R=Rj,
            rng=rng,
            eval_values=hc.values,
            symmetric=symmetric,
            paths=paths,
        )
        # infinite-width kernel dynamics on the same data: network step k sees the history ending at X_{q+k}
        pos = hc.encode(paths)  # histories ending at X_{L-1}, ..., X_{n-1}
        first = task.q - (hc.L - 1)
        if (
            first < 0
        ):  # the first |first| steps see a history shorter than L: use the first full one
            pos = np.concatenate([np.repeat(pos[:, :1], -first, axis=1), pos], axis=1)
        else:
            pos = pos[:, first:]
        pos = pos[:, :steps]
        g0, gN = res.outputs[0], res.outputs[-1]
        g_kd = kernel_dynamics(A, ode.y, pos, params.alpha, N)
        g_kd0 = kernel_dynamics(A, ode.y, pos, params.alpha, N, g0=g0)
        trace = g0 @ prop.T
        dev = gN - gT[None, :]
        dmax, drms = res.drift()
        for key, val in (
            ("sq_err_kd_ode", (g_kd - gT[None, :]) ** 2 @ hc.Pi),
            ("sq_err_net_kd", (gN - g_kd) ** 2 @ hc.Pi),
            ("sq_err", dev**2 @ hc.Pi),
            ("sq_rem", (dev - trace) ** 2 @ hc.Pi),
            ("sq_rem_net_kd", (gN - g_kd0) ** 2 @ hc.Pi),
            ("sq_trace", trace**2 @ hc.Pi),
            ("sup_err", np.abs(dev).max(axis=1)),
            ("drift_max", dmax),
            ("drift_rms", drms),
            ("g_T", gN),
            ("g_0", g0),
        ):
            parts.setdefault(key, []).append(val)
    return {k: np.concatenate(v, axis=0) for k, v in parts.items()}


def _rate_sizes(ctx: CheckContext) -> tuple[list[int], list[int]]:
    """Sizes and networks per size: R ∝ 1/N (cost ∝ R N², so each size costs ∝ N; for a fit of
    a slope this allocation minimises its variance for the cost). Cost: quick ≈ 0.4·10⁹ and full
    ≈ 3·10⁹ unit-steps (≈ 60 CPU-seconds at full sizes)."""
    sizes = ctx.size([250, 500, 1000], [250, 500, 1000, 2000])
    c = ctx.size(240_000, 800_000)
    return sizes, [c // N for N in sizes]


def remainder_rate(beta: float) -> float:
    """Predicted exponent of the remainder g^N_T − g_T − e^{−αTKD} g^N_0 (see
    :func:`check_convergence_rate`): −1/2 for 1/2 < β ≤ 3/4.

    Above β = 3/4 power counting puts the second-order kernel drift at N^{2β−2}, slower than
    N^{−1/2}; measured at β = 0.9 (N = 250 … 2000, 640 … 80 networks) the remainder still decays
    as N^{−0.51 ± 0.03}, so the rate there is not settled and no prediction is made.
    """
    require(
        0.5 < beta <= 0.75,
        "beta",
        beta,
        "1/2 < beta <= 3/4 (the remainder's rate above 3/4 is not settled: power counting gives "
        "N^(2beta-2), measured N^-1/2 at beta = 0.9)",
    )
    return -0.5


@check(
    "drift",
    target="exponent",
    cases=[{"beta": 0.75}],
    shares="rate_runs",
    description="RMS parameter drift by t=T vs N^(beta-1) (symmetric initialisation, g^N_0 = 0): fitted slope vs beta-1.",
)
def check_drift(ctx: CheckContext, *, beta: float = 0.75) -> CheckResult:
    """RMS parameter drift by time T vs N^{β−1}: fitted slope vs β − 1.

    Each unit moves Δθ^i = α N^{β−1}∫₀ᵀ e_t ∇_θ(C^iS^i) dt + ... (derivation ``kernel_limit_rtrl``,
    step ``lazy_scale``), with e_t the output error. For i.i.d. units the error carries the
    network's initial output, O(N^{1/2−β}), which adds a relative O(N^{1−2β}) (N^{−1/2} at
    β = 3/4) to the mean square drift and steepens the fitted slope at these sizes (reported as
    ``iid_slope``, from the networks of the rate checks). The networks here start from the
    symmetric initialisation (units i and i + N/2 share W, B, b and have opposite C: g^N_0 ≡ 0),
    so the remaining corrections are relative O(1/N) (path fluctuation and the O(N^{−1/2})
    remainder, squared).
    """
    params = KernelLimitParams(beta=beta)
    sizes, _ = _rate_sizes(ctx)
    c = ctx.size(20_000, 40_000)
    runs = [rate_runs(params, N, T_RATE, c // N, ctx.seed, True) for N in sizes]
    fit = fit_rate(np.array(sizes), [r["drift_rms"] ** 2 for r in runs])
    maxfit = fit_power_law(sizes, [float(r["drift_max"].mean()) for r in runs])
    iid = fit_rate(
        np.array(sizes),
        [
            rate_runs(params, N, T_RATE, r, ctx.seed)["drift_rms"] ** 2
            for N, r in zip(*_rate_sizes(ctx), strict=True)
        ],
    )
    pred = beta - 1
    return CheckResult.compare(
        "",
        pred,
        fit.slope,
        fit.model(pred, "RMS over units of |theta_NT - theta_0|, symmetric initialisation"),
        details={
            **fit.details(),
            "seeds": [c // N for N in sizes],
            "max_drift_mean": [float(r["drift_max"].mean()) for r in runs],
            "max_drift_fit(p,c,se)": maxfit,
            "iid_slope": iid.slope,
            "iid_slope_se": iid.se,
        },
        figures=[
            _plot_rate(
                fit, pred, r"RMS$_i|\theta^i_{NT}-\theta^i_0|$", f"parameter drift, beta={beta}"
            )
        ],
    )


_REMAINDER_MODEL = (
    "remainder after subtracting the known trace e^(-alpha T KD) g^N_0 of the initial output: "
    "Poisson/ergodic fluctuation N^-1/2 + Monte-Carlo error of the initial NTK N^-1/2 + kernel "
    "drift N^(beta-3/2) (first order, odd in C) and N^(2beta-2) (second order, power counting); "
    "predicted slope -1/2 for 1/2 < beta <= 3/4"
)


@check(
    "convergence_rate",
    target="exponent",
    cases=[{"beta": 0.75}],
    shares="rate_runs",
    description="g^N_T - g_T minus the known trace exp(-alpha T KD) g^N_0 of each network's initial output, over N: fitted slope vs -1/2.",
)
def check_convergence_rate(ctx: CheckContext, *, beta: float = 0.75) -> CheckResult:
    r"""Convergence to the limit ODE: the rate of the remainder once the known part is subtracted.

    The deviation of a network from the limit splits as

    .. math::
        g^N_T - g_T = e^{-\alpha T KD} g^N_0 + r^N_T,

    where the first term, the limit ODE's linear flow applied to the network's own initial
    output g^N_0 = N^{−β} Σ_i C^i S^i (a CLT sum: O(N^{1/2−β}), N^{−1/4} at β = 3/4), is known
    exactly per network (derivation ``kernel_limit_ode``, step ``matrix_solution``: the ODE is
    affine, g_0 enters through e^{−αtKD}). It dominates the raw error at every N (its slope is
    reported as ``raw_slope``); it is subtracted, and the rate of the remainder r^N_T is fitted.
    Predicted for r^N_T (our reading of LSS):

    * the Poisson/ergodic fluctuation of the data path, O(N^{−1/2}) (derivation
      ``kernel_limit_fluctuations``, steps ``martingale_split``, ``variance``);
    * the Monte-Carlo error of the network's initial NTK, an average over N i.i.d. units,
      O(N^{−1/2}), propagated linearly;
    * the kernel drift: each unit moves O(N^{β−1}) (``drift``), but the first-order change of
      the NTK is odd in C^i (ΔC^i is even, Δ(W, B, b)^i odd in C^i), so it averages over the
      units to O(N^{β−3/2}); the second-order change is O(N^{2β−2}); the second-order term of the
      output in Δθ is odd in C^i as well: O(N^{β−3/2});
    * cross terms of g^N_0 with the above, O(N^{−β}); the Euler time step, O(1/N).

    Hence the remainder decays as N^{−1/2} for 1/2 < β ≤ 3/4 (at β = 3/4 the second-order drift is
    of the same order), first correction relative N^{−1/4} (measured at β = 3/4: the network vs
    the kernel dynamics with its own initial NTK, i.e. the drift part alone, decays as
    N^{−0.82 ± 0.04} over N = 250 … 4000). The raw error and the trace alone are fitted too
    (``raw_slope``, ``trace_slope`` vs 1/2 − β). Error model of the slope: :class:`RateFit` (weighted fit of log RMS over
    sizes, SE from the networks per size by the delta method, inflated by √(χ²/dof)).
    """
    params = KernelLimitParams(beta=beta)
    sizes, R = _rate_sizes(ctx)
    runs = [rate_runs(params, N, T_RATE, r, ctx.seed) for N, r in zip(sizes, R, strict=True)]
    fit = fit_rate(np.array(sizes), [r["sq_rem"] for r in runs])
    raw = fit_rate(np.array(sizes), [r["sq_err"] for r in runs])
    tr = fit_rate(np.array(sizes), [r["sq_trace"] for r in runs])
    pred = remainder_rate(beta)
    return CheckResult.compare(
        "",
        pred,
        fit.slope,
        fit.model(
            pred, "Pi-weighted RMS of g^N_T - g_T - exp(-alpha T KD) g^N_0; " + _REMAINDER_MODEL
        ),
        details={
            **fit.details(),
            "raw_slope": raw.slope,
            "raw_slope_se": raw.se,
            "raw_errors": raw.errors,
            "trace_slope": tr.slope,
            "trace_slope_se": tr.se,
            "trace_slope_predicted": 0.5 - beta,
            "trace_rms": tr.errors,
            "sup_errors_mean": [float(r["sup_err"].mean()) for r in runs],
            "T": T_RATE,
            "seeds": R,
            "beta": beta,
        },
        figures=[
            _plot_rate(
                fit,
                pred,
                r"$\|g^N_T-g_T-e^{-\alpha TKD}g^N_0\|_{\Pi}$",
                f"convergence to the limit ODE (remainder), beta={beta}",
            )
        ],
    )


@check(
    "error_split",
    target="exponent",
    cases=[{"part": "poisson", "beta": 0.75}],
    shares="rate_runs",
    description="Same data paths: kernel dynamics vs the limit ODE at t=T (Poisson/ergodic error); fitted slope vs -1/2.",
)
@check(
    "error_split",
    target="exponent",
    cases=[{"part": "ntk", "beta": 0.75}],
    shares="rate_runs",
    description="Same data paths: trained network vs infinite-width kernel dynamics started from the network's own g^N_0, at t=T; fitted slope vs -1/2.",
)
def check_error_split(ctx: CheckContext, *, part: str, beta: float = 0.75) -> CheckResult:
    """Same data paths: network vs kernel dynamics (NTK error) or kernel dynamics vs ODE (Poisson error).

    ``ntk``: the network vs the infinite-width kernel dynamics on its own data path started from
    its own initial output g^N_0 (the dynamics is affine: this subtracts the exactly known
    propagation of g^N_0 along the path, which dominates the raw difference, reported as
    ``raw_slope``). Remainder: Monte-Carlo error of the initial NTK O(N^{−1/2}) and kernel drift
    O(N^{β−3/2} + N^{2β−2}) (see :func:`check_convergence_rate`): slope −1/2 (β ≤ 3/4). At
    full sizes the fit uses N ≥ 500: the first-order drift term, relative N^{−1/4} to the remainder,
    steepens the slope over 250 … 2000 by 0.02–0.03, the size of the full-size resolution.
    ``poisson``: kernel dynamics (from 0) vs the ODE, the martingale of the Poisson equation
    (derivation ``kernel_limit_fluctuations``, step ``martingale_split``): slope −1/2.
    """
    params = KernelLimitParams(beta=beta)
    sizes, R = _rate_sizes(ctx)
    runs = [rate_runs(params, N, T_RATE, r, ctx.seed) for N, r in zip(sizes, R, strict=True)]
    key, raw_key, pred, what = {
        "ntk": (
            "sq_rem_net_kd",
            "sq_err_net_kd",
            remainder_rate(beta),
            "Pi-RMS of g^N_T - g^kernel_T[g^N_0] on the same data path (kernel dynamics started "
            "from the network's own initial output); Monte-Carlo error of the initial NTK "
            "N^-1/2 + kernel drift N^(beta-3/2) + N^(2beta-2)",
        ),
        "poisson": (
            "sq_err_kd_ode",
            "sq_err_kd_ode",
            -0.5,
            "Pi-RMS of g^kernel_T - g_T (ergodic fluctuation, martingale of the Poisson equation)",
        ),
    }[part]
    # ntk at full sizes: N >= 500 only. At N = 250 the first-order kernel drift, O(N^(beta-3/2)),
    # relative N^-1/4 to the remainder, still steepens the fitted slope by 0.02-0.03 (measured:
    # -0.524 +- 0.009 over 250..2000, -0.506 +- 0.017 over 500..2000), as large as the
    # full-size resolution; at quick sizes it is a quarter of the tolerance.
    n_min = ctx.size(0, 500) if part == "ntk" else 0
    use = [i for i, N in enumerate(sizes) if N >= n_min]
    sizes = [sizes[i] for i in use]
    runs = [runs[i] for i in use]
    fit = fit_rate(np.array(sizes), [r[key] for r in runs])
    raw = fit_rate(np.array(sizes), [r[raw_key] for r in runs])
    return CheckResult.compare(
        "",
        pred,
        fit.slope,
        fit.model(pred, what),
        details={
            **fit.details(),
            "raw_slope": raw.slope,
            "raw_slope_se": raw.se,
            "T": T_RATE,
            "seeds": [R[i] for i in use],
            "beta": beta,
        },
        figures=[
            _plot_rate(
                fit,
                pred,
                what.split(" (")[0].split(" on the")[0].replace("Pi-RMS of ", ""),
                f"error split ({part}), beta={beta}",
            )
        ],
    )


# ============================================================================ 4. memory
@check(
    "memory_truncation",
    cases=[{"phi": "tanh"}],
    description="Network memory vs the fixed point S(theta; xi) truncated at L=1..10: error <= sup|sigma| rho^L.",
)
def check_memory_truncation(ctx: CheckContext, *, phi: str = "tanh") -> CheckResult:
    """Memory S_k of a frozen network vs the fixed point truncated at L: ≤ sup|σ|ρ^L for all L."""
    params = KernelLimitParams(phi=phi)
    task = _task()
    N = ctx.size(2000, 20000)
    res = train(params, task, N, 200 / N, R=1, rng=ctx.rng(4), learn=False, keep_recent=12)
    th = {k: v[0] for k, v in res.theta.items()}
    Ls = np.arange(1, 11)
    errs = np.array(
        [
            np.max(
                np.abs(
                    res.memory[0]
                    - memory_on_history(
                        params, res.recent_states[0, :L], th["W"], th["B"], th["b"]
                    )[0]
                )
            )
            for L in Ls
        ]
    )
    bounds = perturbed(np.array([truncation_bound(params, int(L)) for L in Ls]))
    ratio = errs / bounds
    k = int(np.argmax(ratio))
    decay = np.exp(np.polyfit(Ls[errs > 1e-14], np.log(errs[errs > 1e-14]), 1)[0])
    return CheckResult.compare(
        "",
        float(bounds[k]),
        float(errs[k]),
        ErrorModel(
            "rigorous contraction bound |S_k - S_L| <= sup|sigma| rho^L for frozen parameters: max_L measured/bound <= 1",
            1.0,
        ),
        error=float(ratio[k]),
        details={
            "L": Ls,
            "max_error": errs,
            "bound": bounds,
            "rho": params.rho,
            "fitted_decay_per_step": float(decay),
            "N": N,
        },
    )


# ============================================================================ 5. Poisson fluctuations
def _fluct_prediction(ode: LimitODE, hc: HistoryChain, N: int) -> float:
    cov = predicted_covariance(ode, hc, T_DEFAULT, N)
    return float(N * np.sum(hc.Pi * np.diag(cov)))


@check(
    "poisson_fluctuation",
    target="moment",
    cases={"dynamics=kernel": {}},
    description="Kernel dynamics over data paths: N x Pi-weighted variance of g around g_T vs the Poisson-corrector prediction.",
)
def check_poisson_kernel_dynamics(ctx: CheckContext) -> CheckResult:
    """Infinite-width kernel dynamics on R data paths: N·Π-weighted variance vs the Poisson corrector."""
    params = KernelLimitParams()
    hc, A, _, ode = limit_setup(params)
    N = ctx.size(1000, 4000)
    # full: 8 chunks of 1000 paths (the SEM of the variance is the power: 1000 paths gave ±15 %)
    R, chunk = ctx.size((300, 300), (8000, 1000))
    pred = _fluct_prediction(ode, hc, N)
    rng = ctx.rng(5)
    g = np.concatenate(
        [
            kernel_dynamics(
                A, ode.y, hc.chain.sample(int(N * T_DEFAULT), chunk, rng), params.alpha, N
            )
            for _ in range(R // chunk)
        ]
    )
    dev = g - g.mean(axis=0)
    v = N * (dev**2 @ hc.Pi) * R / (R - 1)
    m, sem = mean_sem(v)
    return CheckResult.compare(
        "",
        pred,
        float(m),
        statistical_tolerance(
            sem,
            R,
            bias=pred / np.sqrt(N),
            bias_text="second-order (delta g)^2 terms, relative O(N^-1/2)",
        ),
        details={
            "N": N,
            "paths": R,
            "T": T_DEFAULT,
            "mean_minus_ode_rms": float(np.sqrt(hc.Pi @ (g.mean(0) - ode.g(T_DEFAULT)) ** 2)),
        },
    )


@check(
    "poisson_fluctuation",
    target="moment",
    cases={"dynamics=network": {}},
    description="Finite network (fixed init, many data paths): N x Pi-weighted variance of g^N_T vs the Poisson-corrector prediction.",
)
def check_poisson_network(ctx: CheckContext) -> CheckResult:
    """Finite network, one fixed (symmetric) initialisation, R data paths: variance vs Poisson corrector.

    The prediction uses the network's own NTK at initialisation (the O(N^{-1/2}) random kernel error
    is then not part of the comparison); bias: relative O(N^{β−1}) from the kernel drift.
    """
    params = KernelLimitParams()
    hc, _, _, ode = limit_setup(params)
    task = _task()
    N = ctx.size(1000, 2000)
    R = ctx.size(40, 96)
    rng = ctx.rng(6)
    th1 = init_network(params, N, 1, rng, symmetric=True)
    KN = empirical_ntk(params, {k: v[0] for k, v in th1.items()}, hc.values)
    odeN = LimitODE(KN, hc.Pi, ode.y, params.alpha)
    pred = _fluct_prediction(odeN, hc, N)
    th = {k: np.repeat(v, R, axis=0) for k, v in th1.items()}
    res = train(params, task, N, T_DEFAULT, R=R, rng=rng, eval_values=hc.values, theta0=th)
    g = res.outputs[-1]
    dev = g - g.mean(axis=0)
    v = N * (dev**2 @ hc.Pi) * R / (R - 1)
    m, sem = mean_sem(v)
    bias = pred * float(N) ** (params.beta - 1)
    return CheckResult.compare(
        "",
        pred,
        float(m),
        statistical_tolerance(
            sem, R, bias=bias, bias_text="kernel drift during training, relative N^(beta-1)"
        ),
        details={
            "N": N,
            "data_paths": R,
            "T": T_DEFAULT,
            "prediction_with_A": _fluct_prediction(ode, hc, N),
        },
    )


# ============================================================================ 6. linear sigma
def _linear_params(beta: float = 0.6) -> KernelLimitParams:
    return KernelLimitParams(phi="linear", b_max=0.3, beta=beta, sigma_w=0.7, sigma_b=0.3)


@check(
    "linear_kernel_closed_form",
    cases=[{"L": 4}],
    description="Linear sigma: SymPy closed-form kernel vs quadrature kernel.",
)
def check_linear_kernel(ctx: CheckContext, *, L: int = L_DEFAULT) -> CheckResult:
    """Linear σ: SymPy closed-form kernel vs the quadrature kernel (exact for polynomials)."""
    params = _linear_params()
    hc = HistoryChain(_task().chain, L)
    Ac = perturbed(linear_kernel(params, hc))
    Aq = kernel_quadrature(params, hc, n_B=8, rule="hermite", order=4)
    err = float(np.max(np.abs(Ac - Aq)))
    tol = 1e3 * np.finfo(float).eps * float(np.max(np.abs(Aq))) * hc.L
    return CheckResult.compare(
        "",
        float(Ac[0, 0]),
        float(Aq[0, 0]),
        ErrorModel(
            f"round-off only (polynomial integrand, exact rule): 1e3 eps L max|A| = {tol:.2g}", tol
        ),
        error=err,
        details={"H": hc.H, "max_abs_A": float(np.max(np.abs(Aq)))},
    )


@check(
    "linear_end_to_end",
    target="curve",
    cases=[{"L": 4}],
    description="Linear sigma: exact ODE with the closed-form kernel vs trained linear networks, per history.",
)
def check_linear_end_to_end(ctx: CheckContext, *, L: int = L_DEFAULT) -> CheckResult:
    """Linear σ: closed-form kernel → exact ODE solution vs trained linear networks (per history)."""
    params = _linear_params()
    hc, A, _, ode = limit_setup(params, L)
    task = _task()
    N = ctx.size(1000, 4000)
    R = ctx.size(8, 16)
    rng = ctx.rng(7)
    res = train(params, task, N, T_DEFAULT, R=R, rng=rng, eval_values=hc.values, symmetric=True)
    gT = ode.g(T_DEFAULT)
    # measured kernel drift of each network: ΔK = K_N(θ_T) − K_N(θ_0)
    dK = []
    for r in range(R):
        K0 = empirical_ntk(params, {k: v[r] for k, v in res.theta0.items()}, hc.values)
        K1 = empirical_ntk(params, {k: v[r] for k, v in res.theta.items()}, hc.values)
        dK.append(np.max(np.abs(K1 - K0) @ hc.Pi))
    ymax = float(np.max(np.abs(ode.y)))
    bias = params.rho**hc.L * ymax + params.alpha * T_DEFAULT * ymax * float(np.mean(dK))
    return compare_curve(
        gT,
        res.outputs[-1],
        n_independent=hc.H,
        bias=bias,
        bias_text="rho^L max|y| (truncation) + alpha T max|y| ||dK D||_inf (measured kernel drift)",
        details={
            "N": N,
            "seeds": R,
            "kernel_drift_inf": float(np.mean(dK)),
            "L": hc.L,
            "beta": params.beta,
        },
    )


# ============================================================================ 7. user activation
#: A user activation that is not registered: its maximum slope sits at x = 0.3, not at 0.
USER_PHI = "tanh(x-0.3)"


def _user_params(phi: str, part: str) -> KernelLimitParams:
    if part == "kernel":
        return KernelLimitParams(phi=phi)
    return KernelLimitParams(phi=phi, b_max=0.3, beta=0.6, sigma_w=0.7, sigma_b=0.3)


def _user_ntk(phi: str, N: int, L: int, seed: int) -> np.ndarray:
    """Upper triangle of the empirical NTK of one network of N i.i.d. units at initialisation."""
    params = _user_params(phi, "kernel")
    hc = HistoryChain(_task().chain, L)
    th = init_network(params, N, 1, np.random.default_rng([seed, N, 11]))
    AN = empirical_ntk(params, {k: v[0] for k, v in th.items()}, hc.values)
    return AN[np.triu_indices(hc.H)]


@check(
    "user_activation",
    target="moment",
    cases=[{"phi": USER_PHI, "part": "kernel"}],
    shares="user activation",
    description="User activation sigma = tanh(x - 0.3) (an expression): mean empirical NTK of finite networks at init vs the quadrature kernel, entrywise.",
)
@check(
    "user_activation",
    target="curve",
    cases=[{"phi": USER_PHI, "part": "ode"}],
    shares="user activation",
    description="User activation sigma = tanh(x - 0.3): limit ODE with the quadrature kernel vs trained finite networks, per history.",
)
def check_user_activation(ctx: CheckContext, *, phi: str, part: str) -> CheckResult:
    """A σ given as an expression (not a registered name): theory and networks compiled from it.

    ``part="kernel"``: R networks of N i.i.d. units at initialisation; the empirical NTK of each
    is a Monte-Carlo average over its N units of S S' + C² G·G', so its mean over networks is A
    exactly (unbiased) and its spread gives the SEM, ∝ 1/√(N R). Per entry (H(H+1)/2 distinct
    entries, L = 3) a t-test over the R networks with Bonferroni correction; bias = the
    quadrature error estimate of A (``QuadratureKernel.error``).

    ``part="ode"``: the limit ODE g_T with the quadrature kernel (histories of length L = 4) vs
    R trained networks (symmetric initialisation: g^N_0 = 0), per history, t-test over the
    networks, Bonferroni over H; bias = ρ^L·max|y| (truncation of the histories) + α T max|y|
    ‖ΔK D‖_∞ (the network's measured kernel drift during training, the N^{β−1} error) + αT·max|y|
    × the quadrature error of A. The O(1/N) second-order effect of the random initial kernel on
    the mean output (≈ 1e-3 at N = 1000) is below the statistical tolerance.
    """
    params = _user_params(phi, part)
    if part == "kernel":
        L = 3
        hc = HistoryChain(_task().chain, L)
        Aq = kernel_quadrature(params, hc)
        N = ctx.size(1000, 4000)
        R = ctx.size(32, 64)
        samples = np.array(ensemble(_user_ntk, ctx, R, phi, N, L))
        iu = np.triu_indices(hc.H)
        return compare_curve(
            Aq[iu],
            samples,
            n_independent=iu[0].size,
            bias=Aq.error,
            bias_text="quadrature error estimate of A (refined rule)",
            details={
                "N": N,
                "networks": R,
                "H": hc.H,
                "quadrature_error": Aq.error,
                "rho": params.rho,
            },
        )
    hc, A, qerr, ode = limit_setup(params, L_DEFAULT)
    task = _task()
    N = ctx.size(1000, 4000)
    R = ctx.size(8, 16)
    res = train(
        params, task, N, T_DEFAULT, R=R, rng=ctx.rng(8), eval_values=hc.values, symmetric=True
    )
    gT = ode.g(T_DEFAULT)
    dK = []
    for r in range(R):
        K0 = empirical_ntk(params, {k: v[r] for k, v in res.theta0.items()}, hc.values)
        K1 = empirical_ntk(params, {k: v[r] for k, v in res.theta.items()}, hc.values)
        dK.append(np.max(np.abs(K1 - K0) @ hc.Pi))
    ymax = float(np.max(np.abs(ode.y)))
    bias = (
        params.rho**hc.L * ymax
        + params.alpha * T_DEFAULT * ymax * float(np.mean(dK))
        + params.alpha * T_DEFAULT * ymax * qerr
    )
    return compare_curve(
        gT,
        res.outputs[-1],
        n_independent=hc.H,
        bias=bias,
        bias_text="rho^L max|y| (truncation) + alpha T max|y| (||dK D||_inf measured kernel drift + quadrature error)",
        details={
            "N": N,
            "seeds": R,
            "kernel_drift_inf": float(np.mean(dK)),
            "quadrature_error": qerr,
            "rho": params.rho,
            "L": hc.L,
        },
    )
