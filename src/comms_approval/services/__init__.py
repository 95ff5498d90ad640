"""Use cases: each opens a unit of work, applies domain rules, appends audit events and commits."""
