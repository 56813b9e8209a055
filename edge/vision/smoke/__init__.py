"""Ringelmann smoke grading: the CNN classifier (classifier.py), the classical chart-style
estimate it is cross-checked against (ringelmann.py), and the pure event logic (events.py)."""
