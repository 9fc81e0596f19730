"""ptx package of nnc."""
