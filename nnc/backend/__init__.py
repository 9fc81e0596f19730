"""backend package of nnc."""
