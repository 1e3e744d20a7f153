# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Build your own theory
#
# This guide builds, on the workbench's **public API alone**, a mean-field theory the package does
# not ship: the random network with **cell-type-specific connectivity** of Aljadeff, Stern &
# Sharpee, PRL 114, 088101 (2015). Unit $i$ belongs to population $c(i)\in\{1,\dots,P\}$ (fractions
# $\alpha_a$), couplings have population-dependent variances and each population has its own
# nonlinearity:
#
# $$\dot x_i=-x_i+\sum_j J_{ij}\,\phi_{c(j)}(x_j),\qquad J_{ij}\sim\mathcal N\!\left(0,\;g_{c(i)c(j)}^2/N\right).$$
#
# We go through the workbench's four pieces: **derive** (SymPy steps with assumptions and a
# citation), **compile** (one shared compile step), **simulate** (finite networks built from the
# *same* model expressions, never from the theory), **check** (a prediction, a measurement, an error
# model, a verdict) -- and **export** the derivation to LaTeX. The last section lists the extension
# points: your checks and derivations run from the command line like the shipped ones.
#
# Set `THEORY_QUICK=1` for small sizes (CI does; the notebook then runs in well under a minute).

# %%
import os
import tempfile

import matplotlib.pyplot as plt
import numpy as np
import sympy as sp
from IPython.display import Markdown, display

from theory.checks import (
    CheckContext,
    CheckResult,
    check,
    ensemble,
    mean_sem,
    run_check,
    stack,
    statistical_tolerance,
)
from theory.numerics import anderson_solve, autocorrelation_fft, resolvent_even, rk_step
from theory.symbolic.compile import compile_function
from theory.symbolic.derivation import Derivation, Reference, Step, derivation
from theory.symbolic.expressions import as_expression
from theory.symbolic.gaussian import X, diff_x, gaussian_cross, name_function

QUICK = os.environ.get("THEORY_QUICK") == "1"
N = 400 if QUICK else 2000
NETWORKS = 8
T, BURN = (150.0, 50.0) if QUICK else (300.0, 50.0)

# %% [markdown]
# ## 1. The model is data
#
# A nonlinearity is a SymPy expression in `x`, a string SymPy parses, or a registered name;
# `as_expression` validates it (a stray symbol, `sqrt(x)` or `1/x` raise a `ParameterError` that
# names the argument and says what is required). Here population 1 uses `tanh` and population 2 a
# *non-odd* nonlinearity with $\phi_2(0)=0$, so that $x=0$ is still a quiescent state.

# %%
ALPHA = (0.7, 0.3)  # fractions of the two populations
G = np.array([[1.0, 2.0], [1.5, 1.0]])  # g_ab before the overall scale
SCALE = 1.4  # g_ab = SCALE * G_ab
PHIS = [as_expression("tanh", "phi_1"), as_expression("tanh(x + 0.5) - tanh(0.5)", "phi_2")]
P = len(ALPHA)
display(Markdown("; ".join(f"$\\phi_{a + 1}(x)={sp.latex(e)}$" for a, e in enumerate(PHIS))))
try:
    as_expression("tanh(a*x)", "phi_2")
except ValueError as err:  # ParameterError is a ValueError
    print("rejected:", err)

# %% [markdown]
# ## 2. Derive
#
# At $N\to\infty$ the field on a unit of population $a$ is Gaussian with covariance
# $\sum_b\alpha_b g_{ab}^2\,\langle\phi_b(x(t))\phi_b(x(t+\tau))\rangle$, so each population has its
# own autocorrelation $\Delta_a(\tau)$ and
#
# $$(1-\partial_\tau^2)\,\Delta_a=\sum_b\alpha_b\,g_{ab}^2\,C_{\phi_b}(\Delta_b(\tau);\Delta_b(0)),$$
#
# with $C_F(c;c_0)$ the Gaussian cross moment of `theory.symbolic.gaussian` (a SymPy function: it
# prints as $C_\phi$, differentiates by Price's theorem and compiles to quadrature). Linearising at
# the quiescent state ($C_{\phi_b}\approx\phi_b'(0)^2\Delta_b$) gives the matrix
# $M_{ab}=\alpha_b g_{ab}^2\phi_b'(0)^2$: chaos sets in where its spectral radius reaches one
# (Aljadeff et al. 2015, Eq. 5). The derivation is *data*: named steps, symbols with assumptions,
# references. It is written once for any number of populations.

# %%
ASG = Reference(
    "Aljadeff, Stern, Sharpee, Phys. Rev. Lett. 114, 088101 (2015)",
    "Eqs. (2)-(5)",
    "DMFT and onset of chaos with cell-type-specific connectivity",
)
SCS = Reference("Sompolinsky, Crisanti, Sommers, Phys. Rev. Lett. 61, 259 (1988)")
tau = sp.Symbol("tau", real=True)
alpha = [sp.Symbol(f"alpha_{a + 1}", positive=True) for a in range(P)]
g = [[sp.Symbol(f"g_{a + 1}{b + 1}", positive=True) for b in range(P)] for a in range(P)]
D = [sp.Symbol(f"Delta_{a + 1}", real=True) for a in range(P)]
D0 = [sp.Symbol(f"Delta_{a + 1}^0", positive=True) for a in range(P)]
DF = [sp.Function(f"Delta_{a + 1}", real=True) for a in range(P)]
for a, e in enumerate(PHIS):  # how the Gaussian moments print
    name_function(e, rf"\phi_{a + 1}")
    name_function(diff_x(e), rf"\phi_{a + 1}'")


def cell_type_derivation(phis: list[sp.Expr]) -> Derivation:
    """The stationary DMFT of the P-population network, step by step."""
    C = [gaussian_cross(e) for e in phis]
    field = [sum(alpha[b] * g[a][b] ** 2 * C[b](D[b], D0[b]) for b in range(P)) for a in range(P)]
    steps = [
        Step(
            f"population_{a + 1}",
            sp.Eq(
                sp.Derivative(DF[a](tau), (tau, 2)),
                DF[a](tau) - field[a].subs({D[b]: DF[b](tau) for b in range(P)}),
            ),
            rf"Autocorrelation of population {a + 1}: $(1-\partial_\tau^2)\Delta_{a + 1}$ equals "
            r"the covariance of its field.",
            "Eq. (2)",
        )
        for a in range(P)
    ]
    slopes = [diff_x(e).subs(X, 0) for e in phis]
    M = sp.Matrix(P, P, lambda a, b: alpha[b] * g[a][b] ** 2 * slopes[b] ** 2)
    Msym = sp.MatrixSymbol("M", P, P)
    steps.append(
        Step(
            "stability_matrix",
            sp.Eq(Msym, M, evaluate=False),
            r"Linearisation at $x=0$: $C_{\phi_b}(\Delta;\Delta_0)\to\phi_b'(0)^2\Delta$.",
            "Eq. (4)",
        )
    )
    lam = sp.Symbol("Lambda", positive=True)
    radius = max(M.eigenvals(), key=lambda e: complex(e.subs({s: 1 for s in M.free_symbols})).real)
    steps.append(
        Step(
            "onset",
            sp.Eq(lam, radius),
            r"Chaos sets in where the spectral radius $\Lambda$ of $M$ reaches 1 "
            r"(the radius of the bulk of $J\,\mathrm{diag}\,\phi'(0)$ is $\sqrt\Lambda$).",
            "Eq. (5)",
        )
    )
    return Derivation(
        name="cell_type_dmft",
        title="DMFT of the random network with cell-type-specific connectivity",
        steps=steps,
        references=[ASG, SCS],
        summary=r"$P$ populations with fractions $\alpha_a$, coupling variances $g_{ab}^2/N$ "
        r"and nonlinearities $\phi_a$; one autocorrelation $\Delta_a(\tau)$ per population.",
    )


d = cell_type_derivation(PHIS)
d  # Jupyter renders the steps

# %% [markdown]
# ## 3. Compile
#
# `compile_function` is the workbench's one compile step: it turns the right-hand sides of the
# derived steps into vectorised NumPy functions (the Gaussian moments become quadrature, with the
# error bound stated in `theory.symbolic.gaussian`). Nothing is typed twice: the solver below only
# calls these.

# %%
values = {alpha[b]: ALPHA[b] for b in range(P)}
values.update({g[a][b]: SCALE * G[a, b] for a in range(P) for b in range(P)})
fields = [
    compile_function(
        (DF[a](tau) - d.rhs(f"population_{a + 1}"))
        .subs(values)
        .subs({DF[b](tau): D[b] for b in range(P)}),
        D + D0,
    )
    for a in range(P)
]
radius = float(d.rhs("onset").subs(values))
print(f"spectral radius of M: {radius:.4f} (chaotic: {radius > 1})")
onset_scale = SCALE / np.sqrt(radius)  # M scales with SCALE^2
print(f"onset of chaos at SCALE = {onset_scale:.4f}")

# %% [markdown]
# ## 4. Solve
#
# The equations are a fixed point $\Delta_a=(1-\partial_\tau^2)^{-1}[\text{field}_a]$ on
# $\tau\in[0,L]$. Two spine functions do the numerics: `resolvent_even` applies the Green's
# function $e^{-|\tau|}/2$ (spectrally) and `anderson_solve` iterates with Anderson mixing. We start
# from a decaying guess: $\Delta\equiv0$ (the quiescent state) is also a solution, unstable here.

# %%
L, DTAU = 30.0, 0.2
taus = np.arange(0.0, L + DTAU / 2, DTAU)
n_tau = taus.size


def dmft_map(flat: np.ndarray) -> np.ndarray:
    Ds = flat.reshape(P, n_tau)
    args = [np.clip(Ds[b], -Ds[b, 0], Ds[b, 0]) for b in range(P)] + [Ds[b, 0] for b in range(P)]
    return np.concatenate([resolvent_even(fields[a](*args), DTAU) for a in range(P)])


guess = np.concatenate([2.0 * np.exp(-taus / 3) + 0.2 for _ in range(P)])
fp = anderson_solve(dmft_map, guess, damping=0.5, depth=4, tol=1e-8, max_iter=400)
Delta = fp.x.reshape(P, n_tau)
print(f"converged: {fp.converged} after {fp.iterations} iterations (residual {fp.residual:.1e})")
for a in range(P):
    print(f"population {a + 1}: Delta(0) = {Delta[a, 0]:.4f}, Delta(L) = {Delta[a, -1]:.4f}")

# %% [markdown]
# Population 2's nonlinearity is not odd, so its units carry a static part: $\Delta_a(\tau)$ tends to
# a plateau $\Delta_a(\infty)>0$ -- the variance of the time-averaged activity across units.

# %% [markdown]
# ## 5. Simulate
#
# The simulator is built from the **model** -- the same expressions, compiled -- and never from a
# theory formula: couplings with block variances, RK4 from the spine's `rk_step`.

# %%
phi_np = [compile_function(e, [X]) for e in PHIS]


def simulate_cell_types(scale: float, n: int, t_total: float, burn: float, *, seed: int) -> dict:
    """One network: per-population <x^2> and autocorrelation (lags up to 20)."""
    rng = np.random.default_rng(seed)
    sizes = np.round(np.array(ALPHA) * n).astype(int)
    sizes[-1] = n - sizes[:-1].sum()
    pop = np.repeat(np.arange(P), sizes)
    J = rng.standard_normal((n, n)) * (scale * G[pop][:, pop]) / np.sqrt(n)
    x = rng.standard_normal(n)

    def f(y: np.ndarray) -> np.ndarray:
        out = np.empty_like(y)
        for b in range(P):
            out[pop == b] = phi_np[b](y[pop == b])
        return -y + J @ out

    dt = 0.1
    rec = []
    for k in range(int(t_total / dt)):
        x = rk_step(f, x, dt)
        if k * dt >= burn and k % 2 == 0:
            rec.append(x.copy())
    xs = np.array(rec)
    lag = int(20.0 / (2 * dt))
    return {
        "delta0": np.array([np.mean(xs[:, pop == a] ** 2) for a in range(P)]),
        "autocorrelation": np.array([autocorrelation_fft(xs[:, pop == a], lag) for a in range(P)]),
    }


ctx = CheckContext(quick=QUICK)
rows = stack(ensemble(simulate_cell_types, ctx, NETWORKS, SCALE, N, T, BURN))
m, e = mean_sem(rows["delta0"])
for a in range(P):
    display(
        Markdown(
            f"population {a + 1}: **Delta(0)** theory {Delta[a, 0]:.4f}, "
            f"simulation {m[a]:.4f} ± {e[a]:.4f} (N = {N}, {NETWORKS} networks)"
        )
    )
lags = np.arange(rows["autocorrelation"].shape[-1]) * 0.2
fig, ax = plt.subplots(figsize=(6, 3.5))
for a in range(P):
    ac, ac_e = mean_sem(rows["autocorrelation"][:, a])
    ax.plot(taus, Delta[a], f"C{a}-", label=f"theory, population {a + 1}")
    ax.errorbar(lags[::5], ac[::5], yerr=ac_e[::5], fmt=".", color=f"C{a}")
ax.set_xlim(0, 20)
ax.set_xlabel(r"$\tau$")
ax.set_ylabel(r"$\Delta_a(\tau)$")
ax.legend()
plt.show()

# %% [markdown]
# ## 6. Check
#
# A check is a function `f(ctx, **case) -> CheckResult` registered with `@check`. It states the
# prediction, the measurement (independent networks from `ensemble`, seeded by the context and
# memoised) and the **error model**: network-to-network fluctuations $c/\sqrt N$, estimated by the
# standard error over networks (Student-t quantile at $\alpha=10^{-3}$), plus a finite-size bias
# bound $10\,\Delta_a(0)/N$. `prefix=` names your checks (`mylab.` here; in a module of your own the
# module path is the default).


# %%
@check(
    "cell_types.delta0",
    cases=[{"population": a} for a in range(P)],
    prefix="mylab",
    description="Cell-type DMFT: Delta_a(0) vs <x^2> of population a in simulated networks",
)
def check_cell_types(ctx: CheckContext, population: int) -> CheckResult:
    n, s = ctx.size((N, NETWORKS), (2000, 8))
    data = stack(ensemble(simulate_cell_types, ctx, s, SCALE, n, T, BURN))
    mean, sem = mean_sem(data["delta0"][:, population])
    pred = float(Delta[population, 0])
    model = statistical_tolerance(sem, s, bias=10 * pred / n, bias_text="finite size 10*Delta0/N")
    return CheckResult.compare("", pred, mean, model, details={"N": n, "networks": s})


for a in range(P):
    r = run_check(f"mylab.cell_types.delta0[population={a}]", CheckContext(quick=QUICK))
    print(
        r.name,
        "PASS" if r.passed else "FAIL",
        f"error {r.error:.3g} <= tolerance {r.tolerance:.3g}",
    )
    print("   ", r.error_model)
    assert r.passed

# %% [markdown]
# A check that cannot fail is worthless. The failure hook scales every compared prediction by
# $1+\varepsilon$: a 25 % error in the theory must be caught.

# %%
bad = run_check("mylab.cell_types.delta0[population=0]", CheckContext(quick=QUICK, perturb=0.25))
print("with a 25 % error injected:", "PASS" if bad.passed else "FAIL (as it must)")
assert not bad.passed

# %% [markdown]
# The onset is a statement about random matrices: the bulk of $J\,\mathrm{diag}\,\phi'(0)$ has
# radius $\sqrt\Lambda$. A second check compares it with the largest eigenvalue modulus of finite
# matrices (edge bias $\approx\sqrt{\gamma_N/4N}$, Rider 2003, $\gamma_N=\log(N/2\pi)-2\log\log N$).

# %%
slopes = np.array([float(diff_x(e).subs(X, 0)) for e in PHIS])


def edge_radius(scale: float, n: int, *, seed: int) -> float:
    rng = np.random.default_rng(seed)
    sizes = np.round(np.array(ALPHA) * n).astype(int)
    sizes[-1] = n - sizes[:-1].sum()
    pop = np.repeat(np.arange(P), sizes)
    J = rng.standard_normal((n, n)) * (scale * G[pop][:, pop]) / np.sqrt(n)
    return float(np.max(np.abs(np.linalg.eigvals(J * slopes[pop][None, :]))))


@check("cell_types.onset_radius", prefix="mylab", description="sqrt(Lambda) vs spectral radius")
def check_onset(ctx: CheckContext) -> CheckResult:
    n, s = ctx.size((400, 6), (1000, 8))
    vals = np.array(ensemble(edge_radius, ctx, s, SCALE, n, stream=1))
    mean, sem = mean_sem(vals)
    gamma = max(np.log(n / (2 * np.pi)) - 2 * np.log(np.log(n)), 0.1)
    bias = 2 * np.sqrt(radius) * np.sqrt(gamma / (4 * n))
    model = statistical_tolerance(sem, s, bias=bias, bias_text="edge 2 sqrt(Lambda gamma_N/4N)")
    return CheckResult.compare("", float(np.sqrt(radius)), mean, model, details={"N": n})


r = run_check("mylab.cell_types.onset_radius", CheckContext(quick=QUICK))
print(
    r.name, "PASS" if r.passed else "FAIL", f"theory {r.theory:.4f} simulation {r.simulation:.4f}"
)
assert r.passed

# %% [markdown]
# ## 7. Export
#
# `d.latex()` is the body (one `align*` per step), `d.standalone()` a complete document that
# compiles with `pdflatex`, `d.write(dir)` writes `dir/cell_type_dmft.tex`. Registered with
# `@derivation`, it joins the shipped ones: in a module of yours, `theory derive --module mylab.py
# --only cell_type_dmft --out tex/` exports it from the shell.

# %%
print(d.latex()[:900])
out = tempfile.mkdtemp()
print("wrote", d.write(out))


@derivation("cell_type_dmft", theory="mylab")
def _cell_type_dmft() -> Derivation:
    return d


# %% [markdown]
# ## 8. Extension points
#
# | what | how |
# | --- | --- |
# | your checks | put `@check(...)` functions in a module; `theory check --checks mylab/checks.py` (or a module path) runs them with the shipped ones; an installed package declares `[project.entry-points."theory.checks"] mylab = "mylab.checks"` and `theory check` loads it every time; `theory check --checks mylab.checks --only mylab` runs only yours |
# | your derivations | `@derivation("name", theory="mylab")` on a zero-argument builder; `theory derive --module mylab.derivations --only name --out tex/` writes `tex/name.tex` |
# | your sweeps | `theory sweep mylab.model:point --grid scale=1:3:9 --out sweep.nc` runs any importable function `point(**params) -> {name: number}` over a grid on Dask and returns an `xarray` dataset with a `failed` flag per point |
# | your nonlinearities in shipped theories | `ClassicalParams(g, phi="tanh(x - 0.5)", J0=1.0, I=0.3, I_std=0.5)` and `theory.gating.classical.mean_field.solve_mean_field` (any $\phi$, mean coupling, quenched inputs) |
#
# Everything used above is public: `theory.symbolic` (`as_expression`, `gaussian_cross`,
# `diff_x`, `name_function`, `compile_function`, `Derivation`/`Step`/`Reference`/`derivation`),
# `theory.numerics` (`resolvent_even`, `anderson_solve`, `rk_step`, `autocorrelation_fft`) and
# `theory.checks` (`check`, `run_check`, `CheckContext`, `CheckResult`, `ensemble`, `stack`,
# `mean_sem`, `statistical_tolerance`).
