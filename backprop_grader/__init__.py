"""The autograder: hidden tests on freshly drawn inputs, run in a sandbox, judged in the parent.

See README.md in this directory for the design (threat model, flow). Entry point: `backprop-grade`.
"""
