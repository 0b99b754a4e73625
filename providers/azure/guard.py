"""The read-only guard of the Azure live collector: a policy inside every azure-core pipeline.

Every Azure client the collector builds carries :class:`ReadOnlyGuard` twice: as a *per-call*
policy (the first policy a request meets, so a write made through a client's own methods is
refused before any other policy runs) and as a *per-retry* policy (after azure-core's
``RetryPolicy``, so that requests made by policies further down the pipeline, such as
azure-mgmt-core's ``ARMAutoResourceProviderRegistrationPolicy`` which answers a
``MissingSubscriptionRegistration`` error by POSTing ``…/providers/<RP>/register``, are checked
too). Nothing reaches the transport without passing the guard.

Allowed: ``GET``, and ``POST`` to exactly ``/providers/Microsoft.ResourceGraph/resources``, the
Resource Graph query operation, which reads (learn.microsoft.com/rest/api/azureresourcegraph/
resourcegraph/resources/resources, checked 2026-11-30). Everything else (``PUT``, ``PATCH``,
``DELETE``, ``HEAD``, ``OPTIONS``, any other ``POST``, such as ``listKeys`` which would return
secrets) raises :class:`ReadOnlyViolation`, which no retry policy catches, so the collection
stops loudly. Access tokens are obtained by azure-identity through its own pipeline, not through
these clients, so the token endpoint never meets this guard.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy

from providers.base import CollectionError

#: The only read operation Azure exposes as a POST that the collector uses.
RESOURCE_GRAPH_QUERY_PATH = "/providers/microsoft.resourcegraph/resources"


class ReadOnlyViolation(CollectionError):
    """A request that is not a read reached an Azure client of the live collector."""


def is_read(method: str, url: str) -> bool:
    """Whether ``method url`` is a read the collector may send."""
    verb = method.upper()
    if verb == "GET":
        return True
    if verb != "POST":
        return False
    # An exact match (not a suffix test), so ``/x/../providers/…`` or a longer path is refused.
    return unquote(urlsplit(url).path).lower().rstrip("/") == RESOURCE_GRAPH_QUERY_PATH


def check(method: str, url: str) -> None:
    """Raise :class:`ReadOnlyViolation` unless ``method url`` is a read."""
    if not is_read(method, url):
        raise ReadOnlyViolation(
            f"refused {method.upper()} {urlsplit(url).path}: sovscan only reads from Azure "
            "(GET, and POST to the Resource Graph query); this request would change something "
            "or return secrets, so the collection stopped before sending it")


class ReadOnlyGuard(SansIOHTTPPolicy[Any, Any]):
    """azure-core policy that refuses any request that is not a read (see module docstring)."""

    def on_request(self, request: PipelineRequest[Any]) -> None:
        http = request.http_request
        check(http.method, http.url)
