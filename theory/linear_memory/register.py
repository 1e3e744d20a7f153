"""Registration of the linear_memory derivations and checks (imported by :func:`theory.catalog.load_all`)."""
