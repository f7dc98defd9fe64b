"""The request/response machinery every panel shares: replies, errors, progress, background work, close."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from pxwidgets.errors import InvalidRequestError
from pxwidgets.panels.base import Panel, ProgressReporter, Reply, command


class Demo(Panel):
    _esm = 'export default { render() {} }'

    @command('echo')
    def _echo(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        return {'said': payload.get('text')}, [b'\x00\x01']

    @command('refuse')
    def _refuse(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        raise InvalidRequestError('Not like that.', hint='Like this.')

    @command('crash')
    def _crash(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        raise KeyError('boom')

    @command('count', background=True)
    def _count(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        for i in range(int(payload['to'])):
            if progress.cancelled.is_set():
                return {'stopped_at': i}
            progress(i + 1, int(payload['to']), 'counting')
            time.sleep(0.05)
        return {'done': True, 'thread': threading.current_thread().name}


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> tuple[Demo, list[tuple[dict[str, Any], list[bytes]]]]:
    panel = Demo()
    messages: list[tuple[dict[str, Any], list[bytes]]] = []
    monkeypatch.setattr(panel, '_send_message', lambda msg, bufs: messages.append((msg, bufs)))
    return panel, messages


def wait_for_response(messages: list[tuple[dict[str, Any], list[bytes]]], rid: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for msg, _ in messages:
            if msg['type'] == 'response' and msg['id'] == rid:
                return msg
        time.sleep(0.01)
    raise AssertionError(f'no response to {rid}')


def test_reply_carries_payload_and_buffers() -> None:
    reply = Demo().handle_request('echo', {'text': 'hi'}, request_id='r1')
    assert reply == {'type': 'response', 'id': 'r1', 'ok': True, 'payload': {'said': 'hi'}, 'buffers': [b'\x00\x01']}


def test_refusal_becomes_message_and_hint() -> None:
    panel = Demo()
    reply = panel.handle_request('refuse')
    assert reply['error'] == {'message': 'Not like that.', 'code': 'invalid', 'hint': 'Like this.'}
    assert panel.last_error == 'Not like that.'


def test_unexpected_exception_is_reported_without_traceback() -> None:
    reply = Demo().handle_request('crash')
    assert reply['ok'] is False and reply['error']['code'] == 'internal'
    assert reply['error']['message'] == "KeyError: 'boom'"


def test_unknown_command() -> None:
    assert 'unknown command' in Demo().handle_request('nope')['error']['message']


def test_background_command_reports_progress_and_keeps_answering(sent: Any) -> None:
    panel, messages = sent
    panel._on_custom_msg(panel, {'type': 'request', 'id': 'long', 'kind': 'count', 'payload': {'to': 12}}, None)
    panel._on_custom_msg(panel, {'type': 'request', 'id': 'quick', 'kind': 'echo', 'payload': {'text': 'x'}}, None)
    quick = wait_for_response(messages, 'quick')  # answered while the long one runs
    long = wait_for_response(messages, 'long')
    assert quick['payload'] == {'said': 'x'}
    assert long['payload']['done'] and long['payload']['thread'].startswith('pxwidgets-panel')
    progress = [m for m, _ in messages if m['type'] == 'progress' and m['id'] == 'long']
    assert progress and progress[-1]['done'] == 12 and progress[-1]['total'] == 12
    order = [m['id'] for m, _ in messages if m['type'] == 'response']
    assert order.index('quick') < order.index('long')


def test_cancel_stops_background_work(sent: Any) -> None:
    panel, messages = sent
    panel._on_custom_msg(panel, {'type': 'request', 'id': 'c', 'kind': 'count', 'payload': {'to': 200}}, None)
    time.sleep(0.2)
    panel._on_custom_msg(panel, {'type': 'cancel', 'id': 'c'}, None)
    reply = wait_for_response(messages, 'c')
    assert 0 < reply['payload']['stopped_at'] < 200


def test_close_is_clean(sent: Any) -> None:
    panel, _ = sent
    panel._on_custom_msg(panel, {'type': 'request', 'id': 'c', 'kind': 'count', 'payload': {'to': 3}}, None)
    panel.close()
    assert panel.comm is None


class Steps(Panel):
    _esm = 'export default { render() {} }'

    def __init__(self) -> None:
        super().__init__()
        self.steps_done = 0

    @command('steps', background=True)
    def _steps(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        for i in range(200):
            progress(i, 200, 'working')  # raises CancelledError once the user has cancelled
            self.steps_done += 1
            time.sleep(0.02)
        return {'done': self.steps_done}


def test_cancel_stops_work_at_its_next_progress_step_with_a_cancelled_reply(monkeypatch: pytest.MonkeyPatch) -> None:
    panel = Steps()
    messages: list[tuple[dict[str, Any], list[bytes]]] = []
    monkeypatch.setattr(panel, '_send_message', lambda msg, bufs: messages.append((msg, bufs)))
    panel._on_custom_msg(panel, {'type': 'request', 'id': 's', 'kind': 'steps', 'payload': {}}, None)
    time.sleep(0.2)
    panel._on_custom_msg(panel, {'type': 'cancel', 'id': 's'}, None)
    reply = wait_for_response(messages, 's')
    assert reply['ok'] is False and reply['error']['code'] == 'cancelled'
    stopped = panel.steps_done
    assert 0 < stopped < 200
    time.sleep(0.1)
    assert panel.steps_done == stopped  # nothing runs after the reply
