"""Stage 5, saying the result: the text and Gradescope report, PrairieLearn's results, a class's CSV,
per-student feedback, the class report and page, learner text made inert, and atomic writes."""
