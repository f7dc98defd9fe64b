"""StageBuilder's "Use this stage" commands without a browser: the actions of a stage, a preview that writes nothing,
creation with progress, refusals with per-field details and nothing written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pixeltable as pxt
import pytest

from pxwidgets import StageBuilder
from pxwidgets.patterns.consensus import MultiModelConsensus
from tests.protocol.test_stage_builder_protocol import ok, run_background
from tests.support.compose import build, catalog_shape


@pytest.fixture
def builder(pxt_dir: str, tmp_path: Path) -> StageBuilder:
    build(pxt_dir, tmp_path)
    return StageBuilder(f'{pxt_dir}/preds')


def test_actions_of_a_stage(builder: StageBuilder) -> None:
    reply = ok(builder.handle_request('compose_actions', {'stage': 'preds'}))
    by_action = {a['action']: a for a in reply['actions']}
    assert list(by_action) == ['consensus', 'evaluation', 'cascade', 'experiment']
    assert all(a['available'] for a in by_action.values())
    models = by_action['consensus']['picks'][0]
    assert models['name'] == 'models' and models['default'] == ['pred_a', 'pred_b'] and models['minimum'] == 2
    assert {p['name'] for p in by_action['evaluation']['params']} >= {'prediction', 'ground_truth', 'timestamp'}
    band = ok(builder.handle_request('compose_actions', {'stage': 'band'}))
    exp = next(a for a in band['actions'] if a['action'] == 'experiment')
    assert [p['name'] for p in exp['params'] if '__' in p['name']][:2] == ['confident__op', 'confident__value']


def test_preview_writes_nothing_and_shows_the_code(builder: StageBuilder, pxt_dir: str) -> None:
    before = catalog_shape(pxt_dir)
    reply = ok(builder.handle_request('compose_preview', {'stage': 'preds', 'action': 'consensus', 'values': {}}))
    assert (
        'pxw.MultiModelConsensus(' in reply['code']
        and "c.add_models({'pred_a': 'pred_a', 'pred_b': 'pred_b'})" in (reply['code'])
    )
    assert reply['values']['kind'] == 'labels' and reply['open_code'].startswith('pxw.ConsensusGrid(')
    assert catalog_shape(pxt_dir) == before


def test_create_reports_progress_and_matches_the_python_call(builder: StageBuilder, pxt_dir: str) -> None:
    values = {'models': ['pred_a', 'pred_b'], 'ground_truth': 'label'}
    response, progress = run_background(
        builder, 'compose_create', {'stage': 'preds', 'action': 'consensus', 'values': values}
    )
    assert response['ok'], response.get('error')
    assert progress and all(p['id'] == response['id'] for p in progress)
    payload = response['payload']
    assert 'add_computed_column' in payload['pixeltable_code']
    assert {n['id'] for n in payload['graph']['nodes']} >= {'preds', 'confident', 'band'}
    c = MultiModelConsensus.open(f'{pxt_dir}/preds')
    assert [m.name for m in c.models] == ['pred_a', 'pred_b'] and c.ground_truth == 'label'


@pytest.mark.parametrize(
    ('action', 'values', 'field'),
    [
        ('consensus', {'models': ['pred_a', 'boxes']}, 'models'),
        ('evaluation', {'prediction': 'pred_a', 'ground_truth': 'title'}, 'ground_truth'),
        ('cascade', {'levels': []}, 'levels'),
        ('experiment', {'confident__value': 'x'}, 'confident__value'),
    ],
)
def test_refusals_carry_per_field_details_and_write_nothing(
    builder: StageBuilder, pxt_dir: str, action: str, values: dict[str, Any], field: str
) -> None:
    before = catalog_shape(pxt_dir)
    version = pxt.get_table(f'{pxt_dir}/preds').get_metadata()['version']
    for kind in ('compose_preview', 'compose_create'):
        reply = builder.handle_request(kind, {'stage': 'preds', 'action': action, 'values': values})
        assert not reply['ok']
        assert reply['error']['code'] == 'invalid_parameter'
        assert field in {e['param'] for e in reply['error']['details']['params']}
    assert catalog_shape(pxt_dir) == before
    assert pxt.get_table(f'{pxt_dir}/preds').get_metadata()['version'] == version


def test_bad_requests(builder: StageBuilder) -> None:
    assert builder.handle_request('compose_actions', {'stage': 'nope'})['error']['code'] == 'not_found'
    bad = builder.handle_request('compose_preview', {'stage': 'preds', 'action': 'explode', 'values': {}})
    assert 'Unknown action' in bad['error']['message']
    bad = builder.handle_request('compose_preview', {'stage': 'preds', 'action': 'consensus', 'values': [1]})
    assert bad['error']['code'] == 'invalid'
