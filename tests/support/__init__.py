"""Helpers shared by the test modules, one module per subject; fixtures are registered in tests/conftest.py."""
