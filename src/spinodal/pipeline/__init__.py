"""The cached artifacts of a preset (datasets, models, evaluations) that the book reuses.

Imports every layer below it.
"""
