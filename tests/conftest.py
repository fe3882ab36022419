"""Test-wide settings: hypothesis draws the same examples on every run (CI must not flake)."""

from hypothesis import settings

settings.register_profile("dlcore", derandomize=True, deadline=None)
settings.load_profile("dlcore")
