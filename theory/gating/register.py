"""Registration of the gating derivations and checks (imported by :func:`theory.catalog.load_all`)."""

from theory.gating import checks, classical_checks, classical_dmft, dmft, fixed_points  # noqa: F401  # noqa: F401
from theory.gating import chaos_checks, jacobian, lyapunov_dmft, spectrum  # noqa: F401,E402
import theory.sweeps  # noqa: F401,E402  (registers the `theory sweep` subcommand)
from theory.gating import adjoint  # noqa: F401,E402
