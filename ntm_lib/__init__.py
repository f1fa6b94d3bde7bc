r"""ntm_lib: Neural Turing Machines (and the DNC) in PyTorch, batched and tested.

Notation used in every docstring and shape comment:

    B  batch size              T  time steps
    N  memory slots            M  word size (width of a memory row)
    R  read heads              W  write heads          H  all heads (R + W)
    C  controller units        S  shift radius (heads shift by -S..S: 2S + 1 offsets)
"""

from . import interventions, recipes
from .baselines import LSTMBaseline, LSTMConfig
from .checkpoints import CheckpointError, load_checkpoint, save_checkpoint
from .dnc import DNC, DNCConfig, DNCState, DNCTrace
from .ntm import NTM, NTMConfig, NTMState, NTMTrace
from .pretrained import load_pretrained, pretrained_history
from .tasks import TASKS, Batch, CopyTask
from .training import TrainConfig, train

__version__ = "0.1.0"

__all__ = [
    "NTM", "NTMConfig", "NTMState", "NTMTrace", "DNC", "DNCConfig", "DNCState", "DNCTrace",
    "LSTMBaseline", "LSTMConfig",
    "Batch", "CopyTask", "TASKS", "TrainConfig", "train",
    "CheckpointError", "load_checkpoint", "save_checkpoint", "load_pretrained", "pretrained_history",
]
