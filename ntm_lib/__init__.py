r"""ntm_lib: Neural Turing Machines (and the DNC) in PyTorch, batched and tested.

Notation used in every docstring and shape comment:

    B  batch size              T  time steps
    N  memory slots            M  word size (width of a memory row)
    R  read heads              W  write heads          H  all heads (R + W)
    C  controller units        S  shift vector length, 2 * shift_radius + 1
"""

from .baselines import LSTMBaseline, LSTMConfig
from .ntm import NTM, NTMConfig, NTMState, NTMTrace
from .tasks import Batch, CopyTask

__version__ = "0.1.0"

__all__ = ["NTM", "NTMConfig", "NTMState", "NTMTrace", "LSTMBaseline", "LSTMConfig", "Batch", "CopyTask"]
