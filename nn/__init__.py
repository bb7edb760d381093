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

from . import functional, init, utils
from .activations import GELU, Identity, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh
from .containers import ModuleDict, ModuleList, Sequential
from .layers import (MLP, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, Dropout, Embedding, Flatten, LayerNorm,
                     Linear, MaxPool2d, Residual)
from .losses import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss, NLLLoss,
                     SmoothL1Loss)
from .module import IncompatibleKeys, Module, Parameter
from .serialization import SerializationError, load, save

# ---- seq12: recurrent layers, attention and the transformer encoder ----------------------------------
from .attention import MultiheadAttention
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from .transformer import TransformerEncoder, TransformerEncoderLayer

__all__ = [
    "AvgPool2d", "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d", "Conv2d", "CrossEntropyLoss",
    "Dropout", "Embedding", "Flatten", "GELU", "HuberLoss", "Identity", "IncompatibleKeys", "L1Loss",
    "LayerNorm", "LeakyReLU", "Linear", "LogSoftmax", "MLP", "MSELoss", "MaxPool2d", "Module", "ModuleDict",
    "ModuleList", "NLLLoss", "Parameter", "ReLU", "Residual", "SerializationError", "Sequential", "Sigmoid",
    "SmoothL1Loss", "Softmax", "Softplus", "Tanh", "functional", "init", "load", "save", "utils",
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
