"""Tests of the built book (run after `jupyter-book build`; see conftest.py)."""
