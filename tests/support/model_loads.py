"""A stand-in for a sentence-transformer column: a UDF whose return type needs its "model", and counts the loads.

``pixeltable.functions.huggingface.sentence_transformer`` declares a conditional return type that loads the model to
learn the embedding's dimension; Pixeltable calls it whenever it rebuilds the column's expression, i.e. whenever the
table is opened with ``pxt.get_table``. ``loading_embed`` does the same, cheaply, and counts it in :data:`LOADS`.
"""

from __future__ import annotations

import numpy as np
import pixeltable as pxt
from pixeltable import type_system as ts

LOADS = {'n': 0}
"""How many times this process "loaded the model" (the conditional return type ran)."""

DIM = 4


@pxt.udf
def loading_embed(text: str, *, model_id: str) -> pxt.Array[(DIM,), pxt.Float]:  # type: ignore[misc]
    """A 4-number "embedding" of a text (its length, vowels, spaces, digits)."""
    return np.array(
        [len(text), sum(c in 'aeiou' for c in text), text.count(' '), sum(c.isdigit() for c in text)],
        dtype=np.float32,
    )


@loading_embed.conditional_return_type
def _(model_id: str) -> ts.ArrayType:
    LOADS['n'] += 1  # a real embedding function loads its model here
    return ts.ArrayType((DIM,), dtype=ts.FloatType(), nullable=False)
