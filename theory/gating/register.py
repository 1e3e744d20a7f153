"""Registration of the gating derivations and checks (imported by :func:`theory.catalog.load_all`).

Importing :mod:`theory.sweeps` registers the ``theory sweep`` subcommand.
"""

import theory.sweeps  # noqa: F401
from theory.gating.chaos import checks as chaos_checks  # noqa: F401
from theory.gating.chaos import jacobian, lyapunov_dmft, spectrum  # noqa: F401
from theory.gating.classical import checks as classical_checks  # noqa: F401
from theory.gating.classical import dmft as classical_dmft  # noqa: F401
from theory.gating.dmft import checks as dmft_checks  # noqa: F401
from theory.gating.dmft import equations, fixed_points  # noqa: F401
from theory.gating.gradients import adjoint, adjoint_dmft  # noqa: F401
from theory.gating.gradients import checks as gradient_checks  # noqa: F401
