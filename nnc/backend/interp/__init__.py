"""The NumPy interpreter: the reference engine (the oracle) that the native engines are tested against.

It implements the same :class:`nnc.runtime.engine.Engine` protocol as the LLVM engine and runs the
module after the passes statement by statement over whole arrays, in float64 or float32 as the
module says.
"""
