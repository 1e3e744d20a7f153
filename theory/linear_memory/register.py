"""Registration of the linear_memory derivations and checks (imported by :func:`theory.catalog.load_all`)."""

from theory.linear_memory import (  # noqa: F401
    approximation,
    checks,
    hankel,
    kernels,
    loss,
    plateau,
)
