"""Logging simulations to TensorBoard: ``Logger``, a thin wrapper around tensorboardX's ``SummaryWriter``.

tensorboardX is the optional package of the ``tensorboard`` extra (``pip install 'nnc-sim[tensorboard]'``);
creating a ``Logger`` without it raises an error naming the extra. Import it as scripts written for the
reference do (``from ANNarchy.extensions.tensorboard import Logger`` becomes
``from nnc.extensions.tensorboard import Logger``).
"""

from nnc.extensions.tensorboard.logger import Logger

__all__ = ["Logger"]
