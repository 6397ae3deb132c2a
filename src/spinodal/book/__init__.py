"""The executable book: the chapter runner, the figures and the computed sentences and tables.

The top layer; only the command line imports it.
"""
