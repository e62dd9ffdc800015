"""Connectors: how the data assets give up (and erase) one subject's data. See ``base``."""
