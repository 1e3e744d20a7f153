"""Registration of the kernel_limit derivations and checks (imported by :func:`theory.catalog.load_all`)."""
