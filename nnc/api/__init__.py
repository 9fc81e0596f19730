"""api package of nnc."""
