"""Gated RNNs (seed 002, Krishnamurthy, Can & Schwab, PRX 12, 011011, 2022).

The classical random RNN (Sompolinsky, Crisanti & Sommers 1988) is the ungated limit
α_z = α_r = 0 and lives here: :mod:`classical_model`, :mod:`classical_simulation`,
:mod:`classical_dmft`, :mod:`classical_checks`.
"""
