"""AWS Config records that arrive one at a time: bare configuration items and notifications.

``aws-config-item`` reads configuration items on their own (``rdk sample-ci``, a saved
``get-resource-config-history`` item, ``jq '.configurationItems[]'`` output): one object, a JSON
list, or one per line. ``aws-config-notification`` reads what Config pushes: the change
notification an SNS topic or SQS queue delivers, the event a custom Config rule's function
receives (``invokingEvent``), an EventBridge event from ``aws.config``, or an SNS envelope of one
of them. Several versions of one resource are reduced to the latest (``latest_versions``), which
history files and dumps need too.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from providers.aws.reading import config_items, open_checked
from providers.base import InputFile, Shape, iter_json_items, iter_ndjson, load_json
from providers.common import maybe_json
from scanner.model import Gap, Item

# --- sniffing -----------------------------------------------------------------------------------

#: Keys that name the resource of a configuration item (either spelling) and keys only an item has.
_ITEM_ID_KEYS = frozenset({"ARN", "arn", "resourceId"})
_ITEM_KEYS = frozenset({"configurationItemCaptureTime", "configurationItemStatus", "configurationItemVersion",
                        "configurationStateId", "awsAccountId", "accountId"})


def _is_config_item(keys: frozenset[str]) -> bool:
    return "resourceType" in keys and bool(keys & _ITEM_ID_KEYS) and bool(keys & _ITEM_KEYS)


def sniff_config_item(shape: Shape) -> bool:
    """One configuration item (API or delivery spelling), a JSON list of them, or one per line."""
    return shape.container in ("object", "array", "ndjson") and _is_config_item(shape.keys)


#: Keys of a Config notification (SNS/SQS message body) beside its item or summary.
_NOTIFICATION_KEYS = frozenset({"messageType", "configurationItemDiff", "notificationCreationTime",
                                "recordVersion"})


def sniff_config_notification(shape: Shape) -> bool:
    """A Config change notification, the event a Config rule receives, an EventBridge event from
    ``aws.config``, or an SNS envelope of one of them (one, a JSON list, or one per line)."""
    if shape.container not in ("object", "array", "ndjson"):
        return False
    keys = shape.keys
    if keys & {"configurationItem", "configurationItemSummary"} and keys & _NOTIFICATION_KEYS:
        return True
    if "invokingEvent" in keys and keys & {"configRuleName", "configRuleArn", "resultToken"}:
        return True
    if "detail" in keys and shape.first.get("source") == "aws.config":
        return True
    return "Message" in keys and shape.first.get("Type") == "Notification" and "TopicArn" in keys



# --- reading ------------------------------------------------------------------------------------

def _capture_time(ci: Any) -> float:
    """``configurationItemCaptureTime`` as seconds (ISO text in files and the CLI, epoch in some SDKs)."""
    value = ci.get("configurationItemCaptureTime") if isinstance(ci, dict) else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) / (1000.0 if value > 1e11 else 1.0)  # milliseconds in some dumps
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return 0.0
    return 0.0


def _identity(ci: Any) -> Any:
    if not isinstance(ci, dict):
        return id(ci)
    arn = ci.get("ARN") or ci.get("arn")
    if isinstance(arn, str) and arn:
        return arn
    return (ci.get("awsAccountId") or ci.get("accountId"), ci.get("awsRegion"), ci.get("resourceType"),
            ci.get("resourceId"))


def latest_versions(items: Iterable[Any]) -> tuple[list[Any], int]:
    """The latest item of each resource (by capture time, ties to the later one) and how many were older."""
    latest: dict[Any, Any] = {}
    total = 0
    for ci in items:
        total += 1
        ident = _identity(ci)
        old = latest.get(ident)
        if old is None or _capture_time(ci) >= _capture_time(old):
            latest[ident] = ci
    return list(latest.values()), total - len(latest)


def _records(inp: InputFile, shape: Shape, comments: list[int]) -> Iterator[Any]:
    """The records of a file holding one object, a JSON list of objects, or one object per line."""
    if shape.container == "array":
        yield from iter_json_items(inp, "item")
    elif shape.container == "ndjson":
        for _, record in iter_ndjson(inp, on_comment=comments.append):
            yield record
    else:
        yield load_json(inp)


def read_config_item(inp: InputFile) -> Iterator[Item]:
    """Read bare configuration items (``rdk sample-ci``, a saved ``get-resource-config-history``
    item, ``jq '.configurationItems[]'`` output): one, a JSON list, or one per line."""
    shape, _ = open_checked(inp, sniff_config_item, "an AWS Config configuration item")
    comments: list[int] = []
    records = list(_records(inp, shape, comments)) if not inp.is_large() else _records(inp, shape, comments)
    if isinstance(records, list):
        records, superseded = latest_versions(records)
    else:
        superseded = 0
    yield from config_items(records, inp.display)
    if superseded:
        yield Gap(inp.display, f"{superseded} earlier configuration item(s) of the same resources were "
                               "superseded by their latest version", "skipped")
    yield from comment_gaps(inp, comments)


def notification_items(record: Any) -> tuple[list[Any], str | None]:
    """The configuration items a notification carries, and what it lacks (or None).

    Shapes (AWS Config Developer Guide, "Example Configuration Item Change Notifications",
    "Example Oversized Configuration Item Change Notification"; "Example Events for AWS Config
    Rules"; "Monitoring AWS Config with Amazon EventBridge", checked 2026-12-04):
    ``{"configurationItem": {...}, "messageType": ...}``; a rule's event, whose
    ``invokingEvent`` is that notification as a JSON string; an EventBridge event whose ``detail``
    is that notification; an SNS envelope whose ``Message`` is one of them as a JSON string.
    """
    if not isinstance(record, dict):
        return [], "not a JSON object"
    if isinstance(record.get("Message"), str) and record.get("Type") == "Notification":
        record = maybe_json(record["Message"])
    elif "invokingEvent" in record:
        record = maybe_json(record["invokingEvent"])
    elif isinstance(record.get("detail"), dict):
        record = record["detail"]
    if not isinstance(record, dict):
        return [], "the message is not a JSON object"
    item = record.get("configurationItem")
    if isinstance(item, dict):
        return [item], None
    summary = record.get("configurationItemSummary")
    if isinstance(summary, dict):
        return [summary], "oversized"
    message = record.get("messageType")
    return [], f"a {message} names no resource" if isinstance(message, str) else "no configuration item"


def read_config_notification(inp: InputFile) -> Iterator[Item]:
    """Read Config notifications and rule events: each carries one configuration item."""
    shape, _ = open_checked(inp, sniff_config_notification, "an AWS Config notification or rule event")
    comments: list[int] = []
    items: list[Any] = []
    oversized = 0
    empty: Counter[str] = Counter()
    for record in _records(inp, shape, comments):
        found, lacking = notification_items(record)
        items.extend(found)
        if lacking == "oversized":
            oversized += 1
        elif lacking is not None:
            empty[lacking] += 1
    latest, superseded = latest_versions(items)
    yield from config_items(latest, inp.display)
    if oversized:
        yield Gap(inp.display, f"{oversized} oversized notification(s) carry only a summary of the item (no tags, "
                               "no configuration): its relations and keys are unknown; give the full item from "
                               "s3DeliverySummary.s3BucketLocation", "partial")
    if superseded:
        yield Gap(inp.display, f"{superseded} earlier configuration item(s) of the same resources were "
                               "superseded by their latest version", "skipped")
    for reason, count in sorted(empty.items()):
        yield Gap(inp.display, f"{count} notification(s) skipped: {reason}", "skipped")
    yield from comment_gaps(inp, comments)


def comment_gaps(inp: InputFile, comments: list[int]) -> Iterator[Gap]:
    """One warning naming the comment lines skipped in a file of one JSON object per line."""
    if comments:
        shown = ", ".join(str(n) for n in comments[:10]) + (", …" if len(comments) > 10 else "")
        yield Gap(inp.display, f"{len(comments)} comment line(s) skipped (line {shown}: starts with '#', "
                               "which JSON has no place for)", "skipped")
