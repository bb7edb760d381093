"""Optimizers and learning-rate schedulers with PyTorch's names, defaults and update rules."""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]

# ---- app11: optim's frames are library code, not the user's (autograd_core.graph) ----
import os as _os  # noqa: E402

from autograd_core.graph import register_library_location as _register_library_location  # noqa: E402

_register_library_location(_os.path.dirname(_os.path.abspath(__file__)))
# ---- end app11 ----
