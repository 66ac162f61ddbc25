"""Sweeps of training settings and layer parameters (Optuna)."""
