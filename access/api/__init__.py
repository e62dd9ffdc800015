"""The access API under /api/: see access/api/urls.py for the paths (a contract, SPEC.md)."""
