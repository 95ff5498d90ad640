"""The approval rules: plain dataclasses and functions, no I/O, no framework, no wall clock."""
