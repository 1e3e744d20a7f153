"""RNN theory workbench: SymPy derivations, compiled solvers and finite-width checks."""
__version__ = "0.1.0"
