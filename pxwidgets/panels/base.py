"""The base of every pxwidgets panel: request/response commands, progress, errors, a clean close.

A panel subclass declares its commands with :func:`command`; the JavaScript side calls them with
``rpc.request(kind, payload)`` (``js/lib/rpc.ts``) and gets exactly one reply: the handler's result, or an
``{error}`` built from the exception it raised. Handlers may report progress for long work.

Example:
    >>> class Echo(Panel):
    ...     _esm = 'export default { render() {} }'
    ...
    ...     @command('echo')
    ...     def _echo(self, payload: dict, progress: ProgressReporter) -> dict:
    ...         return {'said': payload['text']}
"""

from __future__ import annotations

import base64
import logging
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar, cast

import anywidget
import traitlets

from pxwidgets.errors import CancelledError, InvalidRequestError, PxWidgetsError
from pxwidgets.panels.contract import ErrorDetails, ErrorInfo

log = logging.getLogger(__name__)

Reply: TypeAlias = Any | tuple[Any, list[bytes]]
Handler: TypeAlias = Callable[..., Reply]
F = TypeVar('F', bound=Handler)

_COMMAND_ATTR = '_pxw_command'


@dataclass(frozen=True)
class CommandSpec:
    """A declared command: its request kind, whether it runs in the background, and its message shapes.

    ``request`` and ``reply`` are TypedDicts, declared once in Python: the TypeScript types are generated from them
    (``scripts/contract_ts.py``), and ``tests/protocol/test_contract_agreement.py`` checks real replies against them.
    """

    kind: str
    background: bool = False
    request: type | None = None
    reply: type | None = None


def command(
    kind: str, *, background: bool = False, request: type | None = None, reply: type | None = None
) -> Callable[[F], F]:
    """Declare a panel method as the handler of request ``kind``.

    The method is called as ``handler(payload, progress)`` and returns a JSON-able payload, or a
    ``(payload, buffers)`` tuple. With ``background=True`` it runs on a worker thread so the kernel stays
    responsive (other requests are answered meanwhile) and its progress reaches the panel as it goes; such work
    should call ``progress(...)`` often: a Cancel click makes the next call raise ``CancelledError``.

    Args:
        kind: The request kind the JavaScript sends.
        background: Run on the panel's worker thread.
        request: The TypedDict of the payload (the TypeScript type is generated from it).
        reply: The TypedDict of the reply payload (ditto).
    """

    def mark(fn: F) -> F:
        setattr(fn, _COMMAND_ATTR, CommandSpec(kind, background, request, reply))
        return fn

    return mark


def command_specs(panel_class: type) -> dict[str, CommandSpec]:
    """Every command a panel class declares, by kind (its base classes' included).

    Example:
        >>> sorted(command_specs(TableBrowser))[:2]  # doctest: +SKIP
        ['catalog', 'count']
    """
    specs: dict[str, CommandSpec] = {}
    for klass in reversed(panel_class.__mro__):
        for fn in vars(klass).values():
            spec = getattr(fn, _COMMAND_ATTR, None)
            if isinstance(spec, CommandSpec):
                specs[spec.kind] = spec
    return specs


class ProgressReporter:
    """Sends progress for one request to the panel, at most every ``min_interval`` seconds (and always the last)."""

    def __init__(self, send: Callable[[dict[str, Any]], None], request_id: str, min_interval: float = 0.25) -> None:
        self._send = send
        self._id = request_id
        self._min_interval = min_interval
        self._last = 0.0
        self.cancelled = threading.Event()

    def __call__(self, done: int, total: int | None = None, message: str = '') -> None:
        """Report progress; raises ``CancelledError`` once the user has cancelled this request."""
        self.raise_if_cancelled()
        self.report(done, total, message)

    def report(self, done: int, total: int | None = None, message: str = '') -> None:
        """Report progress without stopping (for work that is already done and only being described)."""
        now = time.monotonic()
        if now - self._last < self._min_interval and (total is None or done < total):
            return
        self._last = now
        self._send({'type': 'progress', 'id': self._id, 'done': done, 'total': total, 'message': message})

    def raise_if_cancelled(self) -> None:
        """Stop here if the user clicked Cancel (long loops call this between steps)."""
        if self.cancelled.is_set():
            raise CancelledError('Cancelled.', hint='What was finished before the cancel stands.')


class Heartbeat:
    """Keeps long work visibly alive: re-sends the current step with its elapsed time every ``interval`` seconds.

    Pixeltable adds a computed column or builds an index in one call with no per-row hook; without this the panel
    would show the step before it for the whole call. ``update(done, total, message)`` (or calling the heartbeat) is
    the work's own progress: it raises ``CancelledError`` after a Cancel click while work remains, never once the work
    is done (``done >= total``). The running Pixeltable call itself cannot be stopped midway: it finishes, and the
    next step stops.

    Example:
        >>> with Heartbeat(progress, 'Adding stage') as beat:  # doctest: +SKIP
        ...     pipeline.add_stage('faces', transform='detect_faces', on_progress=beat)
    """

    def __init__(self, progress: ProgressReporter, message: str = 'Working', interval: float = 0.5) -> None:
        self._progress = progress
        self._step: tuple[int, int | None, str] = (0, None, message)
        self._since = time.monotonic()
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name='pxwidgets-heartbeat', daemon=True)

    def __enter__(self) -> Heartbeat:
        self._since = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def update(self, done: int, total: int | None, message: str) -> None:
        self._step = (done, total, message)
        self._since = time.monotonic()
        if total and done >= total:
            self._progress.report(done, total, message)  # finished work is only described
        else:
            self._progress(done, total, message)

    __call__ = update

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            done, total, message = self._step
            text = f'{message} ({time.monotonic() - self._since:.1f} s)'
            try:  # nothing done yet: an indeterminate bar rather than a bar stuck at 0
                self._progress(done, total if done else None, text)
            except CancelledError:
                self._step = (done, total, 'Cancelling after the step that is running')


MAX_SAFE_INTEGER = 2**53 - 1
"""The largest integer JavaScript sends exactly; a larger one cannot come from the panel."""


def payload_problem(value: Any, depth: int = 0) -> str | None:
    """What no command can take, wherever it sits in a payload: text the database cannot store (NUL characters,
    lone surrogates), integers beyond JavaScript's safe range, nesting deeper than 32 levels. ``None`` if none.

    Example:
        >>> payload_problem({'query': 'a' + chr(0)})
        'text may not contain NUL characters'
    """
    if depth > 32:
        return 'the payload is nested too deeply'
    if isinstance(value, str):
        if '\x00' in value:
            return 'text may not contain NUL characters'
        try:
            value.encode('utf-8')
        except UnicodeEncodeError:
            return 'text must be valid Unicode (no lone surrogates)'
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SAFE_INTEGER:
        return f'integers must lie within ±{MAX_SAFE_INTEGER}'
    elif isinstance(value, dict):
        for key, item in value.items():
            problem = payload_problem(key, depth + 1) or payload_problem(item, depth + 1)
            if problem:
                return problem
    elif isinstance(value, list | tuple):
        for item in value:
            problem = payload_problem(item, depth + 1)
            if problem:
                return problem
    return None


def required_text(payload: Mapping[str, Any], key: str) -> str:
    """``payload[key]`` if it is a non-empty string; else ``InvalidRequestError``.

    Example:
        >>> required_text({'level': 'sentences'}, 'level')
        'sentences'
    """
    value = payload.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidRequestError(f'Bad request: {key!r} must be a non-empty string.')
    return value


def error_info(exc: BaseException) -> ErrorInfo:
    """Turn an exception into the ``{message, code, hint}`` the panel shows (never a traceback)."""
    if isinstance(exc, PxWidgetsError):
        info: ErrorInfo = {'message': exc.message, 'code': exc.code}
        if exc.hint:
            info['hint'] = exc.hint
        if exc.details:
            info['details'] = cast(ErrorDetails, exc.details)  # open: each error adds its own facts
        return info
    import pixeltable as pxt

    if isinstance(exc, pxt.Error):
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return {'message': first_line, 'code': 'pixeltable'}
    log.error('pxwidgets panel command failed:\n%s', ''.join(traceback.format_exception(exc)))
    return {'message': f'{type(exc).__name__}: {exc}', 'code': 'internal'}


def ok_reply(
    request_id: str, payload: Any, buffers: list[bytes], *, inline: bool = False
) -> tuple[dict[str, Any], list[bytes]]:
    """A successful response and the binary buffers to send with it.

    With ``inline`` (the request asked for it: its front end drops binary buffers) they travel in the message as
    base64 instead (``inline_buffers``).

    Example:
        >>> msg, buffers = ok_reply('r1', {'rows': []}, [b'jpeg'], inline=True)
        >>> msg['inline_buffers'], buffers
        (['anBlZw=='], [])
    """
    msg: dict[str, Any] = {'type': 'response', 'id': request_id, 'ok': True, 'payload': payload}
    if not (inline and buffers):
        return msg, buffers
    msg['inline_buffers'] = [base64.b64encode(bytes(b)).decode('ascii') for b in buffers]
    return msg, []


class Panel(anywidget.AnyWidget):
    """An anywidget with request/response commands. Subclasses set ``_esm``/``_css`` and declare commands."""

    last_error = traitlets.Unicode('').tag(sync=True)
    """The message of the most recent failed command (also shown in the panel's error area)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._handlers: dict[str, tuple[Callable[..., Reply], bool]] = {}
        for klass in reversed(type(self).__mro__):
            for name, fn in vars(klass).items():
                spec = getattr(fn, _COMMAND_ATTR, None)
                if isinstance(spec, CommandSpec):
                    self._handlers[spec.kind] = (getattr(self, name), spec.background)
        self._workers: ThreadPoolExecutor | None = None
        self._running: dict[str, ProgressReporter] = {}
        self.on_msg(self._on_custom_msg)

    # ---- dispatch -----------------------------------------------------------------------------------------------

    def handle_request(self, kind: str, payload: dict[str, Any] | None = None, request_id: str = 'local') -> Any:
        """Run command ``kind`` as the panel would, and return its reply message (for tests and scripting).

        Example:
            >>> reply = panel.handle_request('page', {'offset': 0, 'limit': 10})  # doctest: +SKIP
            >>> reply['ok']  # doctest: +SKIP
            True
        """
        sent: list[tuple[dict[str, Any], list[bytes]]] = []
        self._dispatch(
            {'type': 'request', 'id': request_id, 'kind': kind, 'payload': payload or {}},
            lambda msg, bufs: sent.append((msg, bufs)),
            run_inline=True,
        )
        msg, bufs = next((m, b) for m, b in sent if m['type'] == 'response')
        return {**msg, 'buffers': bufs}

    def _on_custom_msg(self, _widget: Any, content: Any, buffers: list[bytes] | None) -> None:
        if not isinstance(content, dict) or content.get('type') not in ('request', 'cancel'):
            return
        if content['type'] == 'cancel':
            reporter = self._running.get(str(content.get('id')))
            if reporter is not None:
                reporter.cancelled.set()
            return
        self._dispatch(content, self._send_message, run_inline=False)

    def _send_message(self, msg: dict[str, Any], buffers: list[bytes]) -> None:
        if self.comm is not None:
            self.send(msg, buffers=buffers or None)

    def _dispatch(
        self, request: dict[str, Any], send: Callable[[dict[str, Any], list[bytes]], None], *, run_inline: bool
    ) -> None:
        request_id = str(request.get('id', ''))
        kind = request.get('kind')
        payload = request.get('payload') or {}
        entry = self._handlers.get(kind) if isinstance(kind, str) else None
        if entry is None or not isinstance(payload, dict):
            what = f'unknown command {kind!r}' if entry is None else 'the payload must be an object'
            send(self._error_reply(request_id, PxWidgetsError(f'Bad request: {what}.')), [])
            return
        problem = payload_problem(payload)
        if problem:
            send(self._error_reply(request_id, InvalidRequestError(f'Bad request: {problem}.')), [])
            return
        handler, background = entry
        reporter = ProgressReporter(lambda m: send(m, []), request_id)

        def run() -> None:
            self._running[request_id] = reporter
            try:
                result = handler(payload, reporter)
            except BaseException as exc:
                self.last_error = error_info(exc)['message']
                send(self._error_reply(request_id, exc), [])
                return
            finally:
                self._running.pop(request_id, None)
            reply, buffers = result if isinstance(result, tuple) else (result, [])
            send(*ok_reply(request_id, reply, buffers, inline=request.get('inline') is True))

        if background and not run_inline:
            if self._workers is None:
                self._workers = ThreadPoolExecutor(max_workers=1, thread_name_prefix='pxwidgets-panel')
            self._workers.submit(run)
        else:
            run()

    @staticmethod
    def _error_reply(request_id: str, exc: BaseException) -> dict[str, Any]:
        return {'type': 'response', 'id': request_id, 'ok': False, 'error': error_info(exc)}

    # ---- lifecycle ----------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Cancel running work, stop the worker thread and close the widget's comm."""
        for reporter in list(getattr(self, '_running', {}).values()):
            reporter.cancelled.set()
        if getattr(self, '_workers', None) is not None:
            self._workers.shutdown(wait=False, cancel_futures=True)  # type: ignore[union-attr]
            self._workers = None
        super().close()
