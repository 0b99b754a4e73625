"""The read-only guard of the Google Cloud collector, inside the client libraries' HTTP pipeline.

sovscan talks to Google Cloud through the official clients with ``transport="rest"``. Each REST
transport sends every RPC through one ``google.auth.transport.requests.AuthorizedSession`` (a
``requests.Session``). :func:`guarded_transport` builds such a transport and wraps every adapter
mounted on its session in :class:`ReadOnlyAdapter`, the last step before bytes leave the process:
a request whose HTTP method is not ``GET`` raises :class:`ReadOnlyViolation` there, so a write
never reaches the network, whatever client method was called.

Why ``GET`` alone is enough: the REST mapping of a Google API (``google.api.http`` annotations,
https://google.aip.dev/127, checked 2026-11-30) sends standard ``Get``/``List`` methods as ``GET``
(https://google.aip.dev/131, https://google.aip.dev/132), and custom methods that only read may
use ``GET`` (https://google.aip.dev/136); every write is ``POST``, ``PATCH``, ``PUT`` or ``DELETE``.
Each RPC the collector makes is ``GET`` in the libraries' own transcoding rules (the test suite
checks them): Cloud Asset ``ListAssets`` (``GET /v1/{parent=*/*}/assets``), Resource Manager v3
``GetProject`` (``GET /v3/{name=projects/*}``), ``ListProjects`` (``GET /v3/projects``),
``SearchProjects`` (``GET /v3/projects:search``) and ``ListFolders`` (``GET /v3/folders``). So no
``POST`` is allowed at all: :data:`READ_ONLY_POSTS` is deliberately empty. Read-only RPCs that are
``POST`` in REST (``getIamPolicy``, ``testIamPermissions``, ``analyzeIamPolicy``…) are refused too,
as the collector has no use for them.

Every session a transport holds is guarded, not only the main one: a transport of an API with
long-running operations creates an operations client (``transport.operations_client``) with a
REST transport and an ``AuthorizedSession`` of its own, through which ``DeleteOperation`` and
``CancelOperation`` would be sent. :func:`guarded_transport` creates that client at once and guards
its session too, and refuses to build a transport whose sessions it cannot find.

OAuth token refreshes go through a separate session of ``AuthorizedSession`` (to Google's token
endpoint, not to a Cloud API) and are not affected.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
import requests.adapters

from providers.base import CollectionError

#: HTTP methods sent to Google Cloud APIs.
ALLOWED_METHODS = frozenset({"GET"})
#: ``(method, path)`` pairs of read-only RPCs that REST sends as POST and that the collector may
#: call. None: every RPC it uses is a GET (see the module docstring).
READ_ONLY_POSTS: frozenset[tuple[str, str]] = frozenset()


class ReadOnlyViolation(CollectionError):
    """A request that could change something in the cloud was about to be sent, and was refused."""


def check_request(method: str | None, url: str | None) -> None:
    """Raise :class:`ReadOnlyViolation` unless the request is a read."""
    verb = (method or "").upper()
    if verb in ALLOWED_METHODS:
        return
    path = urlsplit(url or "").path
    if (verb, path) in READ_ONLY_POSTS:
        return
    raise ReadOnlyViolation(
        f"refused {verb or 'a request without a method'} {url}: sovscan only reads from Google Cloud "
        "(GET); this is a bug in sovscan, please report it")


class ReadOnlyAdapter(requests.adapters.BaseAdapter):
    """Wraps a ``requests`` transport adapter and refuses anything that is not a read."""

    def __init__(self, inner: Any):
        super().__init__()
        self.inner = inner

    def send(self, request: requests.PreparedRequest, stream: bool = False,
             timeout: float | tuple[float | None, float | None] | None = None, verify: bool | str = True,
             cert: str | tuple[str, str] | None = None,
             proxies: dict[str, str] | None = None) -> requests.Response:
        check_request(request.method, request.url)
        response: requests.Response = self.inner.send(request, stream=stream, timeout=timeout, verify=verify,
                                                      cert=cert, proxies=proxies)
        return response

    def close(self) -> None:
        self.inner.close()


def guard_session(session: Any) -> None:
    """Wrap every adapter of a ``requests.Session`` (keeping mTLS or retry adapters it holds)."""
    adapters: Mapping[str, Any] = session.adapters
    if not adapters:
        raise CollectionError("the Google client's HTTP session has no transport adapter to guard")
    for prefix, adapter in list(adapters.items()):
        if not isinstance(adapter, ReadOnlyAdapter):
            session.mount(prefix, ReadOnlyAdapter(adapter))


T = TypeVar("T")


def guarded_transport(transport_class: Callable[..., T]) -> Callable[..., T]:
    """A ``transport=`` callable for a GAPIC client: builds its REST transport, then guards it.

    The client calls it with the credentials, host and client info it resolved, exactly as it
    would call the transport class.
    """

    def build(**kwargs: Any) -> T:
        transport = transport_class(**kwargs)
        guard_transport(transport)
        return transport

    return build


def _session_of(transport: Any) -> requests.Session:
    # The REST transports keep their AuthorizedSession in ``_session`` (google-cloud-asset,
    # google-cloud-resource-manager, google-api-core ``operations_v1/transports/rest.py``). Fail
    # closed if that changes.
    session = getattr(transport, "_session", None)
    if not isinstance(session, requests.Session):
        raise CollectionError(f"cannot install the read-only guard on {type(transport).__name__}: "
                              "the client library changed; sovscan refuses to run unguarded")
    return session


def guard_transport(transport: Any) -> None:
    """Guard a REST transport's session and, if it has one, its operations client's session."""
    guard_session(_session_of(transport))
    if isinstance(getattr(type(transport), "operations_client", None), property):
        operations = transport.operations_client  # created now, so that it is created guarded
        inner = getattr(operations, "transport", None) or getattr(operations, "_transport", None)
        guard_session(_session_of(inner))
