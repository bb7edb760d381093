"""Every implementation of every workload, and `build_runner` to get one step of one of them.

numpy_impl (the floor), torch_impl ("torch", "torch nn"), autograd_core_impl (raw, traced,
checkpoint, nn, nn traced), mygrad_impl, hips_autograd_impl. A runner is a zero-argument callable
returning one step's (loss, [gradient of each parameter, floor order]).
"""

from collections.abc import Callable

from common import StepResult, Unavailable
from implementations import autograd_core_impl as agc
from implementations import hips_autograd_impl as hips
from implementations import mygrad_impl as mygrad
from implementations import numpy_impl as floor
from implementations import torch_impl as torch
from workloads import ChainSpec, ConvSpec, MLPSpec, SequenceProblem, SequenceSpec

IMPLEMENTATION_LABELS = {
    "numpy": "numpy floor",
    "torch": "torch eager",
    "torch nn": "torch nn (eager)",
    "mygrad": "MyGrad (no mem guard)",
    "hips autograd": "HIPS autograd",
    "autograd_core": "autograd_core",
    "autograd_core nn": "autograd_core nn",
    "autograd_core traced": "autograd_core traced",
    "autograd_core nn traced": "autograd_core nn traced",
    "autograd_core checkpoint": "autograd_core + checkpoint",
}
TABLE_IMPLEMENTATIONS = ("numpy", "torch", "autograd_core", "autograd_core nn", "autograd_core traced",
                         "autograd_core nn traced")
"""The columns of the main table (as before the peers were added)."""
PEER_IMPLEMENTATIONS = ("torch nn", "mygrad", "hips autograd")
FLOOR = "numpy"

RUNNERS: dict[tuple[str, type], Callable] = {
    ("numpy", ChainSpec): floor.numpy_chain_runner,
    ("numpy", MLPSpec): floor.numpy_mlp_runner,
    ("numpy", ConvSpec): floor.numpy_conv_runner,
    ("torch", ChainSpec): torch.torch_chain_runner,
    ("torch", MLPSpec): torch.torch_mlp_runner,
    ("torch nn", ChainSpec): torch.torch_chain_runner,
    ("torch nn", MLPSpec): torch.torch_nn_runner,
    ("torch nn", ConvSpec): torch.torch_nn_runner,
    ("mygrad", ChainSpec): mygrad.mygrad_chain_runner,
    ("mygrad", MLPSpec): mygrad.mygrad_mlp_runner,
    ("mygrad", ConvSpec): mygrad.mygrad_conv_runner,
    ("hips autograd", ChainSpec): hips.hips_chain_runner,
    ("hips autograd", MLPSpec): hips.hips_mlp_runner,
    ("autograd_core", ChainSpec): agc.autograd_core_chain_runner,
    ("autograd_core", MLPSpec): agc.autograd_core_mlp_runner,
    ("autograd_core nn", MLPSpec): agc.autograd_core_nn_runner,
    ("autograd_core nn", ConvSpec): agc.autograd_core_nn_runner,
    ("autograd_core traced", ChainSpec): agc.autograd_core_traced_chain_runner,
    ("autograd_core traced", MLPSpec): agc.autograd_core_traced_mlp_runner,
    ("autograd_core nn traced", MLPSpec): agc.autograd_core_nn_traced_runner,
    ("autograd_core nn traced", ConvSpec): agc.autograd_core_nn_traced_runner,
    ("autograd_core checkpoint", MLPSpec): agc.autograd_core_checkpoint_runner,
}

NOT_APPLICABLE = {
    ("hips autograd", ConvSpec): "HIPS autograd has no convolution layer",
    ("hips autograd", SequenceSpec): "HIPS autograd has no LSTM or attention layers",
    ("mygrad", SequenceSpec): "MyGrad has no LSTM or attention layers",
}


def build_runner(implementation: str, problem) -> Callable[[], StepResult]:
    """A zero-argument callable running one step of `problem` with `implementation`."""
    spec_type = type(problem.spec)
    reason = NOT_APPLICABLE.get((implementation, spec_type))
    if reason:
        raise Unavailable(reason)
    if isinstance(problem, SequenceProblem):
        if implementation not in problem.implementations:
            raise Unavailable("not applicable to this workload")
        return problem.step(implementation)
    builder = RUNNERS.get((implementation, spec_type))
    if builder is None:
        raise Unavailable("not applicable to this workload")
    return builder(problem)
