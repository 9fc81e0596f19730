"""extensions package of nnc."""
