"""Stage 1, reading a submission: the exercise notebook format (shared with release.py), loading an
.ipynb or .py file without following links, and the locked cells checked against the released copy."""
