"""The phase-field model: constants, spectral operators, elasticity, the free energy and the
equation, its linear theory, the solver, initial states, PFHub validation, and the observables
of a field (the paper's metrics, the divergence criterion).

Imports nothing of spinodal above it (only the root's presets and devices).
"""
