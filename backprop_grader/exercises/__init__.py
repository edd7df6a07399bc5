"""Stage 2, what is asked: every exercise and its hidden tests, built from the step language (steps.py)
and judged with judging/verdicts.py. EXERCISES maps an exercise's id ("04") to it."""
from backprop_grader.exercises.basics import EXERCISES

__all__ = ["EXERCISES"]
