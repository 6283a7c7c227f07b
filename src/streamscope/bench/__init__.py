"""``streamscope bench``: render, ingest, latency and memory figures measured side by side.

Timings depend on the machine, so these are tools that print figures, not tests that assert
them; ``tests/system/test_bench.py`` only checks that ``--quick`` runs and prints every section.
"""
