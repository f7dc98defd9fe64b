"""Every ``@command`` of every panel, fuzzed with hypothesis: payloads derived from its declared request TypedDict,
mixed with hostile ones (wrong types, missing and extra keys, huge, negative and non-finite numbers, unicode, very
long, SQL-looking and markup strings).

For every example: the reply is either a structured error (``ErrorInfo``, never the ``internal`` code that marks an
unhandled exception, nothing logged as an error) or a reply of the declared shape that is strict JSON; a refused
command leaves every table's version and metadata, every directory and the pending operations of the catalog as
they were. Commands are found through ``command_specs``, so a command added later is fuzzed too (and a command
without a declared request shape fails here).

Examples per command: ``PXW_FUZZ_EXAMPLES`` (default 12; derandomized, so a run is reproducible). Set
``PXW_FUZZ_EXAMPLES=200 PXW_FUZZ_RANDOM=1`` for a deeper, randomised search.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import typing
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pxwidgets.panels import PANELS
from pxwidgets.panels.base import Panel, command_specs
from pxwidgets.panels.contract import ErrorInfo
from pxwidgets.panels.pattern_hub import PANEL_OF_KIND
from pxwidgets.patterns.catalog_new import NEW_KINDS
from pxwidgets.patterns.common.registry import default_registry
from pxwidgets.patterns.consensus.rows import FILTERS, ORDERS
from pxwidgets.patterns.incremental import THRESHOLD_PARAMS
from tests.fuzz.strategies import FIGURES, payloads
from tests.support.catalog import Catalog, catalog_state
from tests.support.contract import conforms

EXAMPLES = int(os.environ.get('PXW_FUZZ_EXAMPLES', '12'))
RANDOM = os.environ.get('PXW_FUZZ_RANDOM') == '1'


def _panel_class(name: str) -> Any:
    return getattr(importlib.import_module(PANELS[name]), name)


def _variants(catalog: Catalog) -> dict[str, Callable[[], Panel]]:
    """How to open each fuzzed panel on the catalog (a panel in PANELS without an entry here fails the suite)."""
    from pxwidgets import (
        CascadeSearch,
        ConsensusGrid,
        DriftDashboard,
        ExperimentTimeline,
        PatternHub,
        StageBuilder,
        TableBrowser,
    )

    queries = [{'query': 'repeat a block', 'relevant': ['loops']}, {'query': 'an exception', 'relevant': ['errors']}]
    return {
        'TableBrowser': lambda: TableBrowser(catalog.mixed, page_size=5),
        'StageBuilder': lambda: StageBuilder(catalog.photos),
        'ConsensusGrid': lambda: ConsensusGrid(catalog.digits),
        'CascadeSearch': lambda: CascadeSearch(catalog.cascade, queries=queries, k=3),
        'DriftDashboard': lambda: DriftDashboard(catalog.preds, auto_refresh=False),
        'ExperimentTimeline': lambda: ExperimentTimeline(catalog.experiment),
        'ExperimentTimeline[table]': lambda: ExperimentTimeline(catalog.mixed),
        'PatternHub': lambda: PatternHub(catalog.root, poll_seconds=0),
    }


VARIANTS = (*PANELS, 'ExperimentTimeline[table]')


def _known(variant: str, catalog: Catalog) -> list[str]:
    """Real names of the catalog, mixed into every string field so that commands get past their first check."""
    registry = default_registry()
    common = ['all', 'image', 'title', 'n', 'score', 'meta', 'checked', '==', 'contains', 'is_null', '>']
    per_panel = {
        'TableBrowser': [catalog.mixed, catalog.photos, f'{catalog.photos}/small', catalog.root],
        'StageBuilder': ['photos', 'small', 'faces', 'frames', *(t.name for t in registry.entries())],
        'ConsensusGrid': ['hand', 'guess', 'consensus', 'truth', *FILTERS, *ORDERS, 'cat', 'dog'],
        'CascadeSearch': ['sections', 'sentences', 'section', 'sentence', 'paragraph', 'window', 'loops', 'errors'],
        'DriftDashboard': ['1h', '15min', '10 rows', 'psi', 'js', 'ks', 'first', 'range', 'bucket', 'snapshot']
        + [p.name for p in THRESHOLD_PARAMS.params],
        'ExperimentTimeline': ['cleanup', 'promote', 'unpromote', 'promote_drop', 'drop_version', 'flagged', 'share'],
        'ExperimentTimeline[table]': ['revert', 'inserted', 'deleted', 'changed', f'{catalog.root}/snap'],
        'PatternHub': [catalog.root, catalog.mixed, catalog.preds, catalog.digits, 'c1', *PANEL_OF_KIND, *NEW_KINDS],
    }
    return common + per_panel[variant]


def _cases() -> list[tuple[str, str]]:
    out = []
    for variant in VARIANTS:
        cls = _panel_class(variant.split('[')[0])
        out += [(variant, kind) for kind in sorted(command_specs(cls))]
    return out


# ---- the declarations the fuzzer derives its payloads from ---------------------------------------------------------


@pytest.mark.parametrize('panel', sorted(PANELS))
def test_every_command_declares_its_request_and_reply(panel: str) -> None:
    specs = command_specs(_panel_class(panel))
    assert specs, f'{panel} declares no command'
    undeclared = [
        kind
        for kind, spec in specs.items()
        if not (typing.is_typeddict(spec.request) and typing.is_typeddict(spec.reply))
    ]
    assert not undeclared, f'{panel}: commands without a declared request/reply TypedDict: {undeclared}'


def test_every_panel_is_opened_by_the_fuzzer(small_catalog: Catalog) -> None:
    missing = set(PANELS) - set(_variants(small_catalog))
    assert not missing, f'panels the fuzz suite does not open yet (add them to _variants): {sorted(missing)}'


# ---- the fuzzing -------------------------------------------------------------------------------------------------


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def logged_errors() -> Iterator[_Errors]:
    handler = _Errors()
    logger = logging.getLogger('pxwidgets')
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


_OPENED: dict[str, Panel] = {}


def _panel(variant: str, catalog: Catalog) -> Panel:
    if variant not in _OPENED:
        _OPENED[variant] = _variants(catalog)[variant]()
    return _OPENED[variant]


def check_reply(panel: Panel, kind: str, payload: Any) -> bool:
    """Send ``payload`` as the browser would, check the one reply and what it left in the catalog; True if served."""
    spec = command_specs(type(panel))[kind]
    before = catalog_state()
    reply = panel.handle_request(kind, payload)  # type: ignore[arg-type]  # hostile payloads are not dicts at times
    assert reply['type'] == 'response', reply
    if reply['ok']:
        problems = conforms(reply['payload'], spec.reply)
        assert not problems, f'{kind}: reply does not fit {spec.reply.__name__}: {problems[:5]}'
        json.dumps(reply['payload'], allow_nan=False)  # strict JSON: the browser's JSON.parse rejects NaN
        return True
    error = reply['error']
    assert not conforms(error, ErrorInfo), conforms(error, ErrorInfo)
    assert error['code'] != 'internal', f'{kind}: an unhandled exception reached the kernel: {error["message"]}'
    assert 'Traceback' not in error['message']
    json.dumps(error, allow_nan=False)
    after = catalog_state()
    assert after == before, f'{kind} was refused ({error["code"]}: {error["message"][:200]}) but wrote to the catalog'
    return False


@pytest.mark.parametrize(('variant', 'kind'), _cases())
def test_fuzz_command(variant: str, kind: str, small_catalog: Catalog, logged_errors: _Errors) -> None:
    panel = _panel(variant, small_catalog)
    spec = command_specs(type(panel))[kind]
    known = _known(variant, small_catalog)
    count = served = 0

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=not RANDOM,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(payload=payloads(spec.request, known))
    def run(payload: Any) -> None:
        nonlocal count, served
        count += 1
        served += check_reply(panel, kind, payload)
        assert not logged_errors.records, logged_errors.records[-1].getMessage()[:2000]

    run()
    FIGURES[f'{variant}.{kind}'] = (count, served)


@pytest.mark.parametrize('variant', VARIANTS)
def test_fuzz_envelope(variant: str, small_catalog: Catalog, logged_errors: _Errors) -> None:
    """Messages that are not a well-formed request: unknown kinds, non-object payloads, no id."""
    panel = _panel(variant, small_catalog)
    sent: list[dict[str, Any]] = []

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=not RANDOM, database=None)
    @given(
        message=st.fixed_dictionaries(
            {'type': st.just('request')},
            optional={
                'id': st.one_of(st.text(max_size=5), st.integers(), st.none()),
                'kind': st.one_of(st.text(max_size=12), st.integers(), st.none(), st.lists(st.text(), max_size=2)),
                'payload': st.one_of(st.none(), st.lists(st.integers(), max_size=2), st.text(max_size=5)),
            },
        )
    )
    def run(message: dict[str, Any]) -> None:
        sent.clear()
        panel._dispatch(message, lambda msg, bufs: sent.append(msg), run_inline=True)
        assert len(sent) == 1 and sent[0]['ok'] in (True, False)
        if not sent[0]['ok']:
            assert sent[0]['error']['code'] != 'internal', sent[0]['error']

    run()
