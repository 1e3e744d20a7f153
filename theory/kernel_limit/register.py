"""Registration of the kernel_limit derivations and checks (imported by :func:`theory.catalog.load_all`)."""

from theory.kernel_limit import checks, fluctuations, kernel, limit_ode, rtrl  # noqa: F401
