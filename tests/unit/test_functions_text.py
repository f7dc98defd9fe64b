"""Offline text helpers: the saved spaCy sentencizer and MiniLM sentence embeddings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pixeltable as pxt
import spacy

from pxwidgets.functions import embed_text, sentencizer_dir
from pxwidgets.functions.embeddings import EMBEDDING_DIM
from pxwidgets.patterns import ProgressiveRefinement


def test_sentencizer_is_saved_once(tmp_path: Path) -> None:
    path = sentencizer_dir(tmp_path)
    assert path.parent == tmp_path and path.name.startswith('sentencizer-en-')
    stamp = (path / 'config.cfg').stat().st_mtime_ns
    assert sentencizer_dir(tmp_path) == path
    assert (path / 'config.cfg').stat().st_mtime_ns == stamp
    assert [p for p in tmp_path.iterdir() if p.name.startswith('.')] == []  # no half-written leftovers
    nlp = spacy.load(path)
    assert [s.text for s in nlp('One here. Two there! Three?').sents] == ['One here.', 'Two there!', 'Three?']


def test_embeddings(pxt_dir: str) -> None:
    t = pxt.create_table(f'{pxt_dir}/texts', {'text': pxt.String})
    t.insert([{'text': 'A cat sits on the mat.'}, {'text': 'A kitten rests on a rug.'}, {'text': 'Stock prices fell.'}])
    p = ProgressiveRefinement(t)
    p.add_stage('embedding', transform='embed_text')
    vectors = np.stack(t.select(t.embedding).collect()['embedding'])
    assert vectors.shape == (3, EMBEDDING_DIM)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > similarity[0, 2] + 0.2  # the two cat sentences are closer than the stock one
    assert t.get_metadata()['columns']['embedding']['computed_with'].startswith('embed_text(')
    assert embed_text.self_path == 'pxwidgets.functions.embeddings.embed_text'
