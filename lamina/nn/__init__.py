"""lamina.nn: torch.nn's modules, parameters, losses, functional forms and initialisers."""

from . import functional, init
from .activation import LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .container import ModuleDict, ModuleList, Sequential
from .dropout import Dropout
from .flatten import Flatten
from .linear import Bilinear, Identity, Linear
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .module import Module
from .parameter import Parameter

__all__ = ["functional", "init", "Module", "Parameter", "Identity", "Linear", "Bilinear",
           "Sequential", "ModuleList", "ModuleDict", "ReLU", "Tanh", "Sigmoid", "Softmax",
           "LogSoftmax", "Dropout", "Flatten", "MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss",
           "BCELoss", "BCEWithLogitsLoss"]
