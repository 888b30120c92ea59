"""Size limits that keep every step's time and memory proportional to what it is given."""

# Files above this size are left out of measuring and the repo map, and no edit may write one:
# parsing a 50 MB module costs tens of GB of memory.
MAX_FILE_BYTES = 2 * 1024 * 1024
