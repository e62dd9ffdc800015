"""One module per benchmark case, each exposing ``CASE = Case(...)``; found by ``bench.runner.discover``."""
