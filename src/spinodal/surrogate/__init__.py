"""The conditioned CRNN: architecture, physics losses, training, checkpoints and inference.

Imports physics, io and the root only.
"""
