"""ir package of nnc."""
