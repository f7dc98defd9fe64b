"""The recordings the harness replays (tests/js/recordings/): one per panel, and what makes one stale.

That every recorded request, reply and error fits its command's declared TypedDicts is checked with the other
contract checks (tests/protocol/test_contract_agreement.py); that a recording still matches what its panel answers,
by the protocol scenario that wrote it (tests/support/recording.py). Re-record:
``PXW_RECORD=1 python -m pytest tests/protocol -p no:cacheprovider``.
"""

from __future__ import annotations

import base64
import json

import pytest
from pxw_harness import RECORDINGS

from pxwidgets.panels import PANELS
from tests.support.recording import differences


@pytest.mark.parametrize('panel', sorted(PANELS))
def test_every_panel_has_a_recording(panel: str) -> None:
    path = RECORDINGS / f'{PANELS[panel].rsplit(".", 1)[-1]}.json'
    assert path.exists(), f'no recording for {panel}: add a test_harness_scenario to tests/protocol and re-record'
    scenarios = json.loads(path.read_text())
    assert scenarios and all(s['panel'] == panel and s['entries'] for s in scenarios.values())
    kinds = {e['kind'] for s in scenarios.values() for e in s['entries']}
    assert len(kinds) >= 3, f'{panel}: a scenario should record the panel at work, not one command ({kinds})'
    for entry in (e for s in scenarios.values() for e in s['entries']):
        assert ('reply' in entry) != ('error' in entry), entry['kind']
        for b in entry.get('buffers', []):
            assert base64.b64decode(b, validate=True)


def test_a_changed_reply_makes_the_recording_stale() -> None:
    stored = json.loads((RECORDINGS / 'stage_builder.json').read_text())['main']
    fresh = json.loads(json.dumps(stored))
    assert differences(stored, fresh) == []
    fresh['entries'][0]['reply']['nodes'][0]['rows'] += 1
    (problem,) = differences(stored, fresh)
    assert problem.startswith('reply differs: ["graph", {}, 0]: $.reply.nodes[0].rows')
    fresh['entries'].pop()
    assert any(p.startswith('no longer sent: ["rows"') for p in differences(stored, fresh))
    fresh['traits']['selected'] = 'frames'
    assert any(p.startswith('initial traits') for p in differences(stored, fresh))
