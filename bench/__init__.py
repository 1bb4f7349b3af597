"""Benchmarks of the bank-sync jobs stack, run with ``python -m bench`` (``make bench``).

Every figure is measured next to its baseline in the same run, on throw-away databases and
real processes started here, and reported as a ratio or a difference.
"""
