"""A training step written the way a user writes it, once for PyTorch and for this repository's
`nn`/`optim` (they share the names): an `nn.Sequential` of layers and activation modules, the
workload's loss from `nn.functional`, `optim.SGD`, `zero_grad()`, `loss.backward()`, `step()`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from common import StepResult
from workloads import ConvSpec, MLPSpec


@dataclass
class Framework:
    """The modules one step needs: `nn` (layers), `functional`, `optim`, and how arrays enter it."""

    nn: Any
    functional: Any
    optim: Any
    as_input: Callable
    """numpy array -> a constant input tensor (integer class targets may stay numpy arrays)."""
    as_target_indices: Callable


def build_model(framework: Framework, spec: MLPSpec | ConvSpec):
    """nn.Sequential of the workload's layers (parameters in the floor's order)."""
    nn = framework.nn
    if isinstance(spec, ConvSpec):
        c1, c2 = spec.channels
        return nn.Sequential(
            nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(c2 * (spec.image // 4) ** 2, spec.classes),
        )
    sizes = spec.layer_sizes
    layers = []
    for index, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(fan_in, fan_out))
        if index < len(sizes) - 2:
            layers.append(nn.ReLU() if spec.activation == "relu" else nn.Tanh())
    return nn.Sequential(*layers)


def loss_function(framework: Framework, spec: MLPSpec | ConvSpec, model) -> Callable:
    """loss(output, targets): F.cross_entropy, F.mse_loss, or micrograd's hinge loss plus its L2
    term over every parameter, written with tensor ops."""
    functional = framework.functional
    name = getattr(spec, "loss", "cross_entropy")
    if name == "cross_entropy":
        base = functional.cross_entropy
    elif name == "mse":
        base = functional.mse_loss
    else:
        def base(output, targets):
            return functional.relu(1 - targets * output).mean()
    l2 = getattr(spec, "l2", 0.0)
    if not l2:
        return base

    def with_l2(output, targets):
        return base(output, targets) + l2 * sum((p * p).sum() for p in model.parameters())
    return with_l2


def load_parameters(model, params: list, as_tensor: Callable) -> None:
    """Load the problem's initial parameters (floor order) with load_state_dict."""
    names = [name for name, _ in model.named_parameters()]
    if len(names) != len(params):
        raise ValueError(f"the model has {len(names)} parameters, the problem {len(params)}")
    model.load_state_dict({name: as_tensor(p.copy()) for name, p in zip(names, params, strict=True)})


@dataclass
class TrainingStep:
    """One SGD step of `model` on a fixed batch; calling it returns (loss, grads) in floor order."""

    model: Any
    loss: Callable
    optimizer: Any
    x: Any
    targets: Any

    def __post_init__(self) -> None:
        # listed once: the grads a step returns for checking are not a walk over the modules
        self.parameters = list(self.model.parameters())

    def loss_tensor(self, x, targets):
        """zero_grad, forward, loss, backward, step; the loss tensor (what a trace records)."""
        self.optimizer.zero_grad()
        loss = self.loss(self.model(x), targets)
        loss.backward()
        self.optimizer.step()
        return loss

    def __call__(self) -> StepResult:
        self.optimizer.zero_grad()
        loss = self.loss(self.model(self.x), self.targets)
        loss.backward()
        grads = [p.grad for p in self.parameters]
        self.optimizer.step()
        return loss.item(), grads


def make_training_step(framework: Framework, problem) -> TrainingStep:
    """The model loaded with the problem's parameters, its loss, optim.SGD and the batch."""
    spec = problem.spec
    model = build_model(framework, spec)
    load_parameters(model, problem.params, framework.as_input)
    optimizer = framework.optim.SGD(model.parameters(), lr=spec.lr)
    if getattr(spec, "loss", "cross_entropy") == "cross_entropy":
        targets = framework.as_target_indices(problem.targets)
    else:
        targets = framework.as_input(problem.targets)
    return TrainingStep(model, loss_function(framework, spec, model), optimizer,
                        framework.as_input(problem.x), targets)
