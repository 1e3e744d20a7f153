"""Registration of the markov derivations and checks (imported by :func:`theory.catalog.load_all`)."""
