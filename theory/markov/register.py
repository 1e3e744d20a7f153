"""Registration of the markov derivations and checks (imported by :func:`theory.catalog.load_all`)."""

from theory.markov import checks, poisson  # noqa: F401
