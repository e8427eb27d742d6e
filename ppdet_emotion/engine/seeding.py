"""Seeding every random number generator training uses."""
import random

import numpy as np
import paddle


def seed_everything(seed):
    """Seed Python, NumPy and Paddle (config key ``seed``) for repeatable runs."""
    random.seed(seed)
    np.random.seed(seed)
    paddle.seed(seed)
