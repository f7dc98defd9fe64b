"""Patterns feed each other: each action from a pipeline stage writes what its shown code writes, refuses bad choices
without writing, and the pattern it creates reopens in a fresh process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pixeltable as pxt
import pytest

from pxwidgets.errors import InvalidParameterError, InvalidRequestError
from pxwidgets.patterns import ProgressiveRefinement, compose
from pxwidgets.patterns.consensus import MultiModelConsensus
from pxwidgets.patterns.incremental import IncrementalEvaluation
from pxwidgets.patterns.versioned import VersionedExperiment
from pxwidgets.tables.internals import table_version
from tests.support.compose import build, catalog_shape

REPO = Path(__file__).resolve().parents[2]
VALUES: dict[str, tuple[str, dict[str, Any]]] = {
    'consensus': ('preds', {'models': ['boxes', 'boxes_b'], 'input_column': 'img', 'ground_truth': None}),
    'evaluation': ('preds', {'prediction': 'pred_b', 'ground_truth': 'label', 'window': '1h'}),
    'cascade': ('preds', {'levels': ['paragraph', 'window'], 'window_size': 16, 'embedding': 'wordllama'}),
    'experiment': ('band', {'name': '', 'confident__value': 0.5, 'band__then': 'high'}),
}


@pytest.fixture(scope='module')
def pair(pxt_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """Two directories with the same pipeline: one for the actions, one for the shown code run by hand."""
    dirs = (f'ca_{uuid.uuid4().hex[:8]}', f'cb_{uuid.uuid4().hex[:8]}')
    for d in dirs:
        pxt.create_dir(d)
        build(d, tmp_path_factory.mktemp(d))
    yield dirs
    for d in dirs:
        pxt.drop_dir(d, force=True, if_not_exists='ignore')


def _values(action: str, d: str) -> tuple[str, dict[str, Any]]:
    stage, values = VALUES[action]
    if action == 'experiment':
        values = {**values, 'name': f'{d}/exp'}
    return stage, values


def _state(d: str) -> tuple[dict[str, Any], int]:
    return catalog_shape(d), table_version(pxt.get_table(f'{d}/preds'))


def test_forms_offer_only_compatible_columns(pair: tuple[str, str]) -> None:
    forms = {f.action: f for f in compose.actions(f'{pair[0]}/preds', 'preds')}
    assert all(f.available for f in forms.values())
    models = forms['consensus'].picks[0]
    groups = {o['value']: o['group'] for o in models.options}
    assert groups['boxes'] == groups['boxes_b'] == 'detections'
    assert groups['pred_a'] == groups['label'] == 'labels'
    assert 'score' not in groups and 'ts' not in groups and 'doc' not in groups  # floats, times, media: no model
    assert models.default == ['pred_a', 'pred_b']  # the truth-like column is not preselected
    ev = {p.name: p for p in forms['evaluation'].params}
    assert set(ev['prediction'].choices) == {'pred_a', 'pred_b', 'label', 'title', 'note'}
    assert ev['timestamp'].choices == ('ts',) and ev['ground_truth'].default == 'label'
    casc = {p.name: p for p in forms['cascade'].params}
    assert casc['content_column'].default == 'doc' and 'score' not in casc['content_column'].choices
    exp = {p.name: p for p in forms['experiment'].params}
    assert exp['confident__value'].default == 0.3 and exp['band__then'].default == 'hi'
    # a stage whose own column is a model output preselects its kind
    only_exp = {f.action: f for f in compose.actions(f'{pair[0]}/preds', 'confident')}
    assert [p.name for p in only_exp['experiment'].params if '__' in p.name] == ['confident__op', 'confident__value']


@pytest.mark.parametrize('action', ['consensus', 'evaluation', 'cascade', 'experiment'])
def test_action_writes_what_its_code_writes(pair: tuple[str, str], action: str) -> None:
    a, b = pair
    stage, values = _values(action, a)
    preview = compose.preview(f'{a}/preds', stage, action, values)
    before = _state(a)
    assert _state(a) == before  # a preview writes nothing
    progress: list[str] = []
    made = compose.create(f'{a}/preds', stage, action, values, on_progress=lambda d, t, m: progress.append(m))
    assert progress
    assert made.preview.code == preview.code
    # the shown code, run by hand on the twin pipeline, writes the same catalog
    exec(preview.code.replace(f"'{a}/", f"'{b}/"), {})
    assert catalog_shape(a) == catalog_shape(b)
    if action == 'experiment':
        runs = [VersionedExperiment.open(f'{d}/exp').get(1) for d in pair]
        assert runs[0].status == runs[1].status == 'ok'
        assert runs[0].params == {**runs[1].params, 'pipeline': f'{a}/preds'}
        assert runs[0].params['confident__value'] == 0.5 and runs[0].params['band__then'] == 'high'
        rows = pxt.get_table(runs[0].result).select(band=pxt.get_table(runs[0].result).band).collect()['band']
        assert set(rows) <= {'high', 'lo'} and 'high' in rows


def _refused(d: str, stage: str, action: str, values: dict[str, Any], params: set[str]) -> None:
    before = _state(d)
    for call in (compose.preview, compose.create):
        with pytest.raises(InvalidParameterError) as info:
            call(f'{d}/preds', stage, action, values)
        assert {e['param'] for e in info.value.details['params']} == params, info.value.details
    assert _state(d) == before


@pytest.mark.parametrize(
    ('action', 'values', 'params'),
    [
        ('consensus', {'models': ['pred_a']}, {'models'}),
        ('consensus', {'models': ['pred_a', 'boxes']}, {'models'}),
        ('consensus', {'models': ['boxes', 'boxes_b'], 'input_column': None, 'ground_truth': None}, {'input_column'}),
        (
            'consensus',
            {'models': ['boxes', 'boxes_b'], 'input_column': 'doc', 'ground_truth': 'label'},
            {'input_column', 'ground_truth'},
        ),
        ('consensus', {'models': ['pred_a', 'pred_b'], 'ground_truth': 'pred_a'}, {'ground_truth'}),
        ('consensus', {'models': ['pred_a', 'pred_b'], 'name': 'pred'}, {'models'}),
        ('consensus', {'models': ['pred_a', 'score']}, {'models'}),
        ('evaluation', {'prediction': 'pred_a', 'ground_truth': 'title'}, {'ground_truth'}),
        ('evaluation', {'prediction': 'pred_a', 'window': 'a fortnight'}, {'window'}),
        ('evaluation', {'prediction': 'pred_a', 'window': '5 rows'}, {'order'}),
        ('evaluation', {'prediction': 'score'}, {'prediction'}),
        ('cascade', {'levels': []}, {'levels'}),
        ('cascade', {'levels': ['window'], 'window_size': 4}, {'window_size'}),
        ('cascade', {'content_column': 'title', 'key_column': None}, {'key_column'}),
        ('experiment', {'confident__value': 'high'}, {'confident__value'}),
        ('experiment', {'confident__op': '~'}, {'confident__op'}),
        ('experiment', {'name': 'not a path'}, {'name'}),
    ],
)
def test_bad_choices_are_refused_and_nothing_is_written(
    pair: tuple[str, str], action: str, values: dict[str, Any], params: set[str]
) -> None:
    fresh = {} if action == 'experiment' else {'name': 'fresh'}  # the creation tests took the default names
    _refused(pair[0], 'preds', action, {**fresh, **values}, params)


def test_taken_names_are_refused(pair: tuple[str, str]) -> None:
    d = pair[1]
    MultiModelConsensus(f'{d}/preds', name='taken').add_models({'pred_a': 'pred_a', 'pred_b': 'pred_b'})
    _refused(d, 'preds', 'consensus', {'name': 'taken'}, {'name'})
    pxt.create_table(f'{d}/shelf', {'x': pxt.Int})
    _refused(d, 'preds', 'cascade', {'name': 'shelf'}, {'name'})
    IncrementalEvaluation(f'{d}/preds', 'pred_a', 'label', 'ts', name='seen')
    _refused(d, 'preds', 'evaluation', {'name': 'seen'}, {'name'})
    VersionedExperiment(f'{d}/old_exp')
    _refused(d, 'preds', 'experiment', {'name': f'{d}/old_exp'}, {'name'})


def test_actions_that_do_not_apply_say_why(pair: tuple[str, str], tmp_path: Path) -> None:
    d = pair[1]
    t = pxt.create_table(f'{d}/plain', {'x': pxt.Float, 'y': pxt.Float})
    t.insert([{'x': 1.0, 'y': 2.0}])
    p = ProgressiveRefinement(t)
    t.add_computed_column(z=t.x + t.y)  # a hand-made stage: nothing records how to rebuild it
    forms = {f.action: f for f in compose.actions(p, 'z')}
    assert not any(f.available for f in forms.values())
    assert 'two model columns' in str(forms['consensus'].reason)
    assert 'made without a registry transform: z' in str(forms['experiment'].reason)
    before = table_version(t)
    with pytest.raises(InvalidRequestError, match='does not apply'):
        compose.create(p, 'z', 'experiment', {})
    with pytest.raises(InvalidRequestError, match='Unknown action'):
        compose.preview(p, 'z', 'drop_everything', {})
    assert table_version(t) == before


def test_created_patterns_reopen_in_a_fresh_process(pair: tuple[str, str]) -> None:
    a = pair[0]
    lines = {
        'consensus': f"[m.name for m in MultiModelConsensus.open('{a}/preds').models]",
        'evaluation': f"IncrementalEvaluation.open('{a}/preds', 'eval').spec.prediction",
        'cascade': f"sorted(SemanticIndexCascade.open('{a}/preds_cascade').level_names)",
        'experiment': f"[r.status for r in VersionedExperiment.open('{a}/exp').runs()]",
    }
    script = (
        textwrap.dedent(
            f"""
        import json
        from pxwidgets.patterns import MultiModelConsensus, IncrementalEvaluation, SemanticIndexCascade
        from pxwidgets.patterns import VersionedExperiment
        out = {{k: None for k in {list(lines)!r}}}
        """
        )
        + '\n'.join(f'out[{k!r}] = {v}' for k, v in lines.items())
        + '\nprint(json.dumps(out))\n'
    )
    # the patterns exist only if the parametrized creation test ran first in this session
    missing = [k for k in lines if not _exists(a, k)]
    for action in missing:
        stage, values = _values(action, a)
        compose.create(f'{a}/preds', stage, action, values)
    env = {**os.environ, 'PYTHONPATH': str(REPO)}
    done = subprocess.run(
        [sys.executable, '-c', script], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out == {
        'consensus': ['boxes', 'boxes_b'],
        'evaluation': 'pred_b',
        'cascade': ['paragraphs', 'windows_16'],
        'experiment': ['ok'],
    }


def _exists(d: str, action: str) -> bool:
    if action == 'consensus':
        return bool(MultiModelConsensus(f'{d}/preds').models)
    if action == 'evaluation':
        return 'eval_correct' in pxt.get_table(f'{d}/preds').columns()
    if action == 'cascade':
        return pxt.get_table(f'{d}/preds_cascade/documents', if_not_exists='ignore') is not None
    return VersionedExperiment.exists(f'{d}/exp')


def test_rebuild_pipeline_refuses_unknown_parameters(pair: tuple[str, str]) -> None:
    from pxwidgets.patterns.compose import rebuild_pipeline

    with pytest.raises(InvalidParameterError, match='confident__nope'):
        rebuild_pipeline(f'{pair[1]}/never', pipeline=f'{pair[1]}/preds', confident__nope=1)
    assert f'{pair[1]}/never' not in pxt.list_dirs(pair[1])
    assert compose.run_params(ProgressiveRefinement.open(f'{pair[1]}/preds'), 'confident') == {
        'confident__op': '>',
        'confident__value': 0.3,
    }
