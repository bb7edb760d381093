"""nn: layers, losses, init and serialization on top of autograd_core, with PyTorch's names.

    import nn
    import nn.functional as F
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    loss = F.cross_entropy(model(x), targets)

Submodules: nn.functional, nn.init, nn.utils, and (when present) nn.data, nn.datasets, nn.reference,
which are imported on first access so `import nn` works without them.
"""

from __future__ import annotations

import importlib
from typing import Any

# ---- app11: nn's frames are library code, not the user's (autograd_core.graph) ----
import os as _os

from autograd_core.graph import register_library_location as _register_library_location

_register_library_location(_os.path.dirname(_os.path.abspath(__file__)))
# ---- end app11 ----

from . import functional, init, utils
from .activations import GELU, Identity, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh
from .containers import ModuleDict, ModuleList, Sequential
from .layers import (MLP, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, Dropout, Embedding, Flatten, LayerNorm,
                     Linear, MaxPool2d, Residual)
from .losses import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss, NLLLoss,
                     SmoothL1Loss)
from .module import IncompatibleKeys, Module, Parameter
from .monitor import GradientWarning, TrainingMonitor
from .serialization import SerializationError, load, load_metadata, save
from . import onnx_export  # registers how each layer is written by autograd_core.onnx.export

# ---- nn10: issue-10 activations, layers and losses ----
from .activations import (CELU, ELU, GLU, SELU, Hardshrink, Hardsigmoid, Hardswish, Hardtanh, LogSigmoid,
                          Mish, PReLU, ReLU6, SiLU, Softmin, Softshrink, Softsign, Tanhshrink, Threshold)
from .layers import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool1d, AdaptiveMaxPool2d, AvgPool1d,
                     Conv1d, ConvTranspose1d, ConvTranspose2d, GroupNorm, InstanceNorm1d, InstanceNorm2d,
                     MaxPool1d, Unflatten, Upsample)
from .losses import CosineEmbeddingLoss, KLDivLoss, MarginRankingLoss, PoissonNLLLoss

# ---- seq12: recurrent layers, attention and the transformer encoder ----------------------------------
from .attention import MultiheadAttention
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from .transformer import TransformerEncoder, TransformerEncoderLayer

__all__ = [
    "AvgPool2d", "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d", "Conv2d", "CrossEntropyLoss",
    "Dropout", "Embedding", "Flatten", "GELU", "HuberLoss", "Identity", "IncompatibleKeys", "L1Loss",
    "LayerNorm", "LeakyReLU", "Linear", "LogSoftmax", "MLP", "MSELoss", "MaxPool2d", "Module", "ModuleDict",
    "ModuleList", "NLLLoss", "Parameter", "ReLU", "Residual", "SerializationError", "Sequential", "Sigmoid",
    "SmoothL1Loss", "Softmax", "Softplus", "Tanh", "functional", "init", "load", "load_metadata", "save",
    "utils",
]
__all__ += [  # nn10
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AvgPool1d", "CELU",
    "Conv1d", "ConvTranspose1d", "ConvTranspose2d", "CosineEmbeddingLoss", "ELU", "GLU", "GroupNorm",
    "Hardshrink", "Hardsigmoid", "Hardswish", "Hardtanh", "InstanceNorm1d", "InstanceNorm2d", "KLDivLoss",
    "LogSigmoid", "MarginRankingLoss", "MaxPool1d", "Mish", "PReLU", "PoissonNLLLoss", "ReLU6", "SELU",
    "SiLU", "Softmin", "Softshrink", "Softsign", "Tanhshrink", "Threshold", "Unflatten", "Upsample",
    # seq12
    "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "MultiheadAttention", "TransformerEncoderLayer",
    "TransformerEncoder",
]

_LAZY_SUBMODULES = ("data", "datasets", "reference")


def __getattr__(name: str) -> Any:
    """Imports nn.data, nn.datasets and nn.reference on first access (they are optional)."""
    if name in _LAZY_SUBMODULES:
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module 'nn' has no attribute '{name}' "
                                 f"(nn/{name}.py is not present)") from None
    raise AttributeError(f"module 'nn' has no attribute '{name}'")
