"""Files: atomic writes, resumable parts, locks, the HDF5 dataset schema with its generator and
reader, and the provenance written into files and cards.

Imports physics and the root only.
"""
