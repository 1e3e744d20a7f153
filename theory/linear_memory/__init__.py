"""linear_memory: see `theory.catalog.THEORIES` and the spec in `shared/spec`."""
