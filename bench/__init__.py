"""Benchmarks for the portal: ``python -m bench`` (``make bench``). See ``bench/README.md``."""
