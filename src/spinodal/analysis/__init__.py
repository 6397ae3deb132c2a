"""Measuring models: evaluation against the phase field, stability of the learned map, benchmarks,
and the inverse problem (the misfit from a microstructure).

Imports the layers below (physics, io, surrogate) and the root.
"""
