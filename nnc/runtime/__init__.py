"""runtime package of nnc."""
