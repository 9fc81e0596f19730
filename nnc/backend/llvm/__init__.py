"""llvm package of nnc."""
