"""The tests in three parts: ``lib/`` (the library), ``book/`` (the book's apparatus,
registry and notebooks), ``site/`` (the built HTML, JupyterLab, the PDF).

Being a rootdir ``conftest.py``, this file puts ``tests/`` on ``sys.path``, so the
shared Hypothesis strategies import as ``from strategies import ...`` from any part.
"""
