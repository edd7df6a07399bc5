"""Stage 3, running the learner's code isolated: the sandbox (a process with limits, its own uid, its own
view of the file system), the child's world (what it may open), the files of a run (the exercise's copy of
backprop_lib without its answers), the child program, and the protocol of the frames it sends back."""
