"""nnc: a compiler toolchain for neural-network simulation with the ANNarchy 5 API."""

__version__ = "0.1.0"
