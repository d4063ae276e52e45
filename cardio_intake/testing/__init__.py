"""Test and benchmark support shipped with the package (generated hostile inputs)."""
