"""Adapters: the technology around the pure domain (database, mail, documents, logos, files)."""
