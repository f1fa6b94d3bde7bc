"""Shared test settings: one torch thread (the suite runs on a busy 2-core machine) and a
hypothesis profile without deadlines (timings on a shared machine are noisy) and without an
example database (no files written into the repository)."""

import torch
from hypothesis import settings

torch.set_num_threads(1)

settings.register_profile("ntm_lib", deadline=None, database=None)
settings.load_profile("ntm_lib")
