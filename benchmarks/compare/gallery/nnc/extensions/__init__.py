"""``nnc.extensions`` for the reference simulator: its extensions under nnc's import paths."""
