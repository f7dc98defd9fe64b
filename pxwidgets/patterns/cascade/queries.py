"""What a cascade accepts as a query and as a number of hits, with the notes a long or non-Latin query earns.

Example:
    >>> validate_query('  how do I catch an exception?  ')
    ('how do I catch an exception?', [])
    >>> check_k(5)
    5
"""

from __future__ import annotations

from pxwidgets.errors import InvalidRequestError
from pxwidgets.patterns.cascade.errors import InvalidQueryError

MAX_QUERY_CHARS = 4000
"""Longer queries are refused (a search box is not a document; MiniLM reads ~256 word pieces anyway)."""

LONG_QUERY_WORDS = 180
"""Above this many words the note says the model reads only the start of the query."""

MAX_K = 40
"""The most hits per level (pgvector's HNSW search looks at 40 candidates)."""


def validate_query(query: object) -> tuple[str, list[str]]:
    """The query stripped, and notes on how well the levels can read it.

    Raises:
        InvalidQueryError: Not a string, empty, whitespace-only or over ``MAX_QUERY_CHARS`` characters.
    """
    if not isinstance(query, str):
        raise InvalidQueryError(f'A query is a string, not {type(query).__name__}.')
    text = query.strip()
    if not text:
        raise InvalidQueryError('The query is empty.', hint='Type a few words, e.g. "how do I catch an exception?".')
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidQueryError(
            f'The query is {len(text):,} characters long; the limit is {MAX_QUERY_CHARS:,}.',
            hint='Search with the sentence or paragraph that matters; a whole document is not a query.',
        )
    notes = []
    if len(text.split()) > LONG_QUERY_WORDS:
        notes.append(
            f'The query has {len(text.split())} words; sentence-embedding models read only about the first 200, '
            'so the rest does not change the embedding levels (BM25 uses every word).'
        )
    letters = [c for c in text if c.isalpha()]
    if letters and sum(c.isascii() for c in letters) / len(letters) < 0.5:
        notes.append(
            'The query is mostly non-Latin text; the packaged embedding models were trained on English, so '
            'similarity is weak (BM25 still matches identical words).'
        )
    return text, notes


def check_k(k: object) -> int:
    """``k`` if it is an integer from 1 to ``MAX_K``; else ``InvalidRequestError``."""
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
        raise InvalidRequestError(f'k must be an integer from 1 to {MAX_K} (got {k!r}).')
    return k
