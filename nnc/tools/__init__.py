"""Command-line tools of nnc beyond dump-ir (nnc opt, nnc run)."""
