"""Trained verdict classifiers (JSON weights; see research/train_verdict.py), shipped as package data."""
