"""passes package of nnc."""
