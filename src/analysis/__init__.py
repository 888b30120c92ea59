"""Reading a target's source without running it: the code scan and the repository map."""
