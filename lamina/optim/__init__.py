"""lamina.optim: torch.optim's optimizers and learning-rate schedulers."""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["lr_scheduler", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "SGD"]
