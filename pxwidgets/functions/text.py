"""Text helpers that run offline: a spaCy sentencizer saved to the pxwidgets cache for Pixeltable's splitters.

Pixeltable's ``document_splitter(..., separators='sentence')`` and ``string_splitter`` load a spaCy model by name
(``en_core_web_sm``, which needs a download). A blank English pipeline with spaCy's rule-based sentencizer needs none;
it is saved once to a directory whose path is passed as ``spacy_model=``.

Example:
    >>> from pixeltable.functions.document import document_splitter
    >>> from pxwidgets.functions.text import sentencizer_dir
    >>> it = document_splitter(docs.doc, separators='sentence', spacy_model=str(sentencizer_dir()))  # doctest: +SKIP
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

CACHE_ENV_VAR = 'PXW_CACHE_DIR'
"""Environment variable that overrides the pxwidgets cache location (``~/.cache/pxwidgets`` otherwise)."""


def cache_root() -> Path:
    """The root of the pxwidgets cache: ``$PXW_CACHE_DIR`` if set, else ``~/.cache/pxwidgets`` (not created).

    Example:
        >>> isinstance(cache_root(), Path)
        True
    """
    override = os.environ.get(CACHE_ENV_VAR, '').strip()
    return Path(override).expanduser() if override else Path.home() / '.cache' / 'pxwidgets'


def sentencizer_dir(cache_dir: Path | None = None) -> Path:
    """A saved spaCy pipeline (blank English + rule-based sentencizer), created on first use.

    The directory name carries the spaCy version, so an upgrade writes a fresh one. It is written to a temporary
    directory and renamed into place, so a crash never leaves a half-written model behind.

    Args:
        cache_dir: Where to keep it; defaults to ``<cache root>/spacy``.

    Returns:
        The directory, usable as ``spacy_model=str(path)``.

    Example:
        >>> (sentencizer_dir() / 'config.cfg').is_file()
        True
    """
    import spacy

    parent = cache_dir if cache_dir is not None else cache_root() / 'spacy'
    target = parent / f'sentencizer-en-{spacy.__version__}'
    if (target / 'config.cfg').is_file():
        return target
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix='.sentencizer-', dir=parent))
    try:
        nlp = spacy.blank('en')
        nlp.add_pipe('sentencizer')
        nlp.to_disk(tmp)
        try:
            tmp.rename(target)
        except OSError:
            if not (target / 'config.cfg').is_file():  # another process did not win the race: a real failure
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
