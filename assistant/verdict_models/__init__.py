"""Trained verdict classifiers (JSON weights; see evals/train_verdict.py), shipped as package data."""
