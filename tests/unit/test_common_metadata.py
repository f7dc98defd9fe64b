"""Role-keyed catalog metadata: several roles on one object, other keys kept, the first release's format still read."""

from __future__ import annotations

import pixeltable as pxt

from pxwidgets.patterns import ProgressiveRefinement
from pxwidgets.patterns.common.metadata import (
    METADATA_KEY,
    read_role,
    read_roles,
    role_metadata,
    with_role,
    without_role,
)

FIRST_RELEASE = {
    'role': 'progressive_refinement.stage',
    'version': 1,
    'stage': 'shout',
    'kind': 'column',
    'after': 'words',
    'transform': 'upper',
    'params': {'x': 1},
    'output': None,
}
"""What pxwidgets 0.1.0 wrote into a stage's custom_metadata['pxwidgets'] (copied from its stages.py)."""


def test_roles_live_side_by_side_and_leave_the_users_keys_alone() -> None:
    md = {'owner': 'me', METADATA_KEY: {'role': 'progressive_refinement.stage', 'version': 1, 'stage': 's'}}
    md = with_role(md, 'consensus.model', {'model': 'knn'})
    assert md['owner'] == 'me'
    assert read_roles(md) == {'progressive.stage': {'stage': 's'}, 'consensus.model': {'model': 'knn'}}
    assert md[METADATA_KEY]['format'] == 2
    md = without_role(md, 'progressive.stage')
    assert read_roles(md) == {'consensus.model': {'model': 'knn'}}
    assert without_role(md, 'consensus.model') == {'owner': 'me'}
    assert read_role({'pxwidgets': 'garbage'}, 'consensus.model') is None
    assert read_role(None, 'x') is None


def test_a_stage_written_by_the_first_release_is_read(pxt_dir: str) -> None:
    t = pxt.create_table(f'{pxt_dir}/words', {'word': pxt.String})
    t.insert([{'word': 'hi'}])
    t.add_computed_column(shout=t.word.upper(), custom_metadata={METADATA_KEY: dict(FIRST_RELEASE), 'mine': True})
    stage = ProgressiveRefinement.open(f'{pxt_dir}/words').stage('shout')
    assert (stage.managed, stage.transform, dict(stage.params), stage.after) == (True, 'upper', {'x': 1}, 'words')


def test_a_view_that_plays_two_roles_is_still_a_stage(pxt_dir: str) -> None:
    t = pxt.create_table(f'{pxt_dir}/nums', {'n': pxt.Int})
    t.insert([{'n': 1}, {'n': 5}])
    md = with_role(
        role_metadata('progressive.stage', {'stage': 'big', 'kind': 'filter', 'after': 'nums', 'transform': None}),
        'versioned.run',
        {'run': 3},
    )
    pxt.create_view(f'{pxt_dir}/big', t.where(t.n > 2), custom_metadata=md)
    p = ProgressiveRefinement.open(f'{pxt_dir}/nums')
    assert p.stage('big').managed
    assert read_role(pxt.get_table(f'{pxt_dir}/big').get_metadata()['custom_metadata'], 'versioned.run') == {'run': 3}
