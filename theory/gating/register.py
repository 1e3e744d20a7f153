"""Registration of the gating derivations and checks (imported by :func:`theory.catalog.load_all`).

Importing :mod:`theory.sweeps` registers the ``theory sweep`` subcommand.
"""

import theory.sweeps  # noqa: F401
from theory.gating import (  # noqa: F401
    adjoint,
    adjoint_dmft,
    chaos_checks,
    checks,
    classical_checks,
    classical_dmft,
    dmft,
    fixed_points,
    gradient_checks,
    jacobian,
    lyapunov_dmft,
    spectrum,
)
