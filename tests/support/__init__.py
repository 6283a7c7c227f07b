"""Helpers shared by the test modules, one copy each.

``tests/`` is on ``sys.path`` (pytest's ``pythonpath`` option), so a test imports these as
``from support.server import serve``. Fixtures built on them live in ``tests/conftest.py``.
"""
