"""ANN-to-SNN conversion: ``ANNtoSNNConverter`` turns a trained Keras model into a spiking network.

Keras files are read with h5py (the ``keras`` extra, ``pip install 'nnc-sim[keras]'``); TensorFlow is
not needed. Import it as scripts written for the reference do
(``from ANNarchy.extensions.ann_to_snn_conversion import ANNtoSNNConverter`` becomes
``from nnc.extensions.ann_to_snn_conversion import ANNtoSNNConverter``).
"""

from nnc.extensions.ann_to_snn_conversion.converter import ANNtoSNNConverter
from nnc.extensions.ann_to_snn_conversion.models import (
    CPN,
    IB,
    PSO,
    IaF,
    IaF_Acc,
    IaF_ReadOut,
    IaF_TTKS,
    available_read_outs,
)

__all__ = [
    "CPN",
    "IB",
    "PSO",
    "ANNtoSNNConverter",
    "IaF",
    "IaF_Acc",
    "IaF_ReadOut",
    "IaF_TTKS",
    "available_read_outs",
]
