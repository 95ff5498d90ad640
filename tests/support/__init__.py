"""Reusable test helpers (real servers, no mocks) shared by the test tiers."""
