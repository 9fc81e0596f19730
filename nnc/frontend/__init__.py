"""frontend package of nnc."""
