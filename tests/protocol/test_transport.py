"""The transport fallback for front ends that drop binary buffers: a request with ``inline`` gets them as base64."""

from __future__ import annotations

import base64
from typing import Any

from pxwidgets.panels.base import Panel, ProgressReporter, Reply, command

THUMBS = [b'\xff\xd8jpeg-1', b'\xff\xd8jpeg-2']


class Thumbs(Panel):
    _esm = 'export default { render() {} }'

    @command('page')
    def _page(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        return {'rows': [{'kind': 'image', 'buffer': 0}, {'kind': 'image', 'buffer': 1}]}, list(THUMBS)


def answer(request: dict[str, Any]) -> list[tuple[dict[str, Any], list[bytes]]]:
    """Every message the panel sends for ``request``, as it goes to the comm (message, binary buffers)."""
    panel = Thumbs()
    sent: list[tuple[dict[str, Any], list[bytes]]] = []
    panel._send_message = lambda msg, bufs: sent.append((msg, bufs))  # type: ignore[method-assign]
    panel._on_custom_msg(panel, request, None)
    return sent


def test_buffers_travel_as_binary_by_default() -> None:
    [(msg, buffers)] = answer({'type': 'request', 'id': 'r1', 'kind': 'page', 'payload': {}})
    assert msg['ok'] and 'inline_buffers' not in msg
    assert buffers == THUMBS


def test_an_inline_request_gets_its_buffers_as_base64_in_the_message_and_none_as_binary() -> None:
    [(msg, buffers)] = answer({'type': 'request', 'id': 'r2', 'kind': 'page', 'payload': {}, 'inline': True})
    assert msg['ok'] and msg['id'] == 'r2'
    assert buffers == []
    assert [base64.b64decode(b) for b in msg['inline_buffers']] == THUMBS
    assert msg['payload']['rows'][1]['buffer'] == 1  # the payload's references are unchanged


def test_inline_must_be_exactly_true() -> None:
    [(msg, buffers)] = answer({'type': 'request', 'id': 'r3', 'kind': 'page', 'payload': {}, 'inline': 'yes'})
    assert 'inline_buffers' not in msg and buffers == THUMBS
