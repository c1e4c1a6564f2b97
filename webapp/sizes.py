"""How many bytes a cached value holds, so that caches can be bounded in bytes as well as entries.

A count alone bounds nothing: 512 results are 10 MB of small demos or 400 MB of large ones.
"""

from __future__ import annotations

import pickle

# In memory, a model result (dicts, lists and floats) takes 3 to 8 times its pickled size
# (tracemalloc, at every demo's maximum parameters): 4 keeps the estimate within a factor of two.
PICKLE_TO_MEMORY = 4


def result_size(value) -> int:
    """An estimate of the memory a simulation result holds; pickling costs ~1% of simulating it."""
    return PICKLE_TO_MEMORY * len(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
