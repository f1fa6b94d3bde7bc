r"""The settings each task trains with by default: model configs and training configs.

Why the copy defaults are what they are (measured with ``python -m ntm_lib bench``, see README):

- **Feed-forward tanh controller, 100 units.** With no recurrent state of its own, the
  controller must keep everything in memory, which is what the task is about; it trains as fast
  as an LSTM controller here, costs fewer operations per step and leaves weightings a reader can
  interpret (the NTM paper, section 4, makes the same point). tanh rather than ReLU: with ReLU,
  one seed in two of our first trials sat at chance (42 bit errors per sequence) for 20,000
  sequences, most likely dead units; with tanh the same seed solved copy in 6,400 sequences.
- **N = 128, M = 20, one read and one write head, shifts -1..+1, constant memory 1e-6**: the
  NTM paper's copy sizes and Collier & Beel's (2018) memory initialisation.
- **Adam, learning rate 3e-3, batch 16, global-norm clip 10.** Batches of 16 cost little more
  per step than batches of 1 on a CPU (the per-step time is dominated by fixed overhead), so
  they give ~10x the throughput; a higher learning rate than Collier & Beel's 1e-3 makes up for
  the fewer updates, and the tighter clip (10 rather than 50) keeps that rate stable.
"""

from __future__ import annotations

from typing import Any

from .baselines import LSTMConfig
from .ntm import NTMConfig
from .tasks import TASKS
from .training import TrainConfig

# task name -> model kind -> (model config, training config)
RECIPES: dict[str, dict[str, tuple[Any, TrainConfig]]] = {
    "copy": {
        "ntm": (NTMConfig(input_size=9, output_size=8), TrainConfig()),
        "lstm": (LSTMConfig(input_size=9, output_size=8), TrainConfig(learning_rate=1e-3)),
    },
}


def recipe(task: str, model: str) -> tuple[Any, Any, TrainConfig]:
    """(task instance, model config, training config) for ``task`` and ``model``."""
    if task not in RECIPES:
        raise ValueError(f"unknown task {task!r}; expected one of {sorted(RECIPES)}")
    if model not in RECIPES[task]:
        raise ValueError(f"no recipe for model {model!r} on {task}; expected one of {sorted(RECIPES[task])}")
    model_config, train_config = RECIPES[task][model]
    return TASKS[task](), model_config, train_config
