"""Deterministic sample data for the development bank's research platform."""
