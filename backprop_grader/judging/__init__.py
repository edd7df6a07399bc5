"""Stage 4, judging in the grader's own process: verdicts (one array against a value computed here), and
the judge of a run (which arrays count, requirements between tests, scores)."""
