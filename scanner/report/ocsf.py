"""OCSF: the findings as Detection Findings (class 2004) and the inventory as Cloud Resources
Inventory Info events (class 5023), one JSON array, for SIEMs and security data lakes.

Events follow OCSF 1.5.0 (the version py-ocsf-models implements) with the cloud profile. A finding
names its resource in ``resources[]`` and ``observables[]`` (type 10, Resource UID), its severity in
``severity_id``, its exposure score as ``risk_score``, and the alternatives that fit as
``remediation``. What OCSF has no attribute for stays in ``unmapped.sovscan``: the rule, the data
classes, the countries holding a copy, and every law that reaches the resource with its tier
(``control``, ``location``, ``presence``), whether it counts in the score, its citation and its path
on the graph (``via``); each law is also an observable of type 99 (Other) named ``law``, so a
query on observables finds every finding a law reaches. Inventory events carry the resource, its
region and account, and the same sovscan facts in ``unmapped.sovscan``. With a baseline only new
findings are written. The array is streamed, one event at a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import IO, Any

import orjson

from scanner import __version__
from scanner.result import Assessed, Finding, ScanResult

OCSF_VERSION = "1.5.0"
DETECTION_FINDING = 2004
INVENTORY_INFO = 5023  # category 5 (Discovery) × 1000 + class 23
SEVERITY_IDS = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
#: OCSF account type ids (account object): AWS account 10; others 99 (Other) with the type named.
ACCOUNT_TYPES = {"aws": (10, "AWS Account"), "azure": (99, "Azure Subscription"), "gcp": (99, "GCP Project")}


def _time(result: ScanResult) -> int:
    """The scan time in milliseconds since the epoch (OCSF ``time``)."""
    when = dt.datetime.fromisoformat(result.generated_at.replace("Z", "+00:00"))
    return int(when.timestamp() * 1000)


def _metadata(result: ScanResult, uid: str) -> dict[str, Any]:
    return {"version": OCSF_VERSION, "uid": uid, "product": {
        "name": "sovscan", "vendor_name": "sovscan contributors", "version": __version__},
        "labels": [f"as_of:{result.as_of}", f"kb_version:{result.kb.version}"]}


def _cloud(a: Assessed) -> dict[str, Any]:
    res = a.res
    cloud: dict[str, Any] = {"provider": res.provider}
    if res.region:
        cloud["region"] = res.region
    if res.account:
        type_id, type_name = ACCOUNT_TYPES.get(res.provider, (99, f"{res.provider} account"))
        cloud["account"] = {"uid": res.account, "name": res.account, "type_id": type_id, "type": type_name}
    return cloud


def _resource(a: Assessed) -> dict[str, Any]:
    res = a.res
    out: dict[str, Any] = {"uid": res.id, "name": res.name, "type": res.native_type,
                           "labels": [f"data_class:{c}" for c in a.classes]}
    if res.region:
        out["region"] = res.region
    partition = res.attributes.get("partition")
    if isinstance(partition, str):
        out["cloud_partition"] = partition
    data: dict[str, Any] = {"service": a.service.type if a.service else None, "placement": a.placement,
                            "country": a.country}
    address = res.tf_address or res.attributes.get("tf_address")
    if address:
        data["tf_address"] = address
    out["data"] = data
    return out


def _sovscan(result: ScanResult, a: Assessed) -> dict[str, Any]:
    laws = result.kb.laws
    return {
        "data_classes": list(a.classes), "locations": list(a.locations), "operator": a.operator,
        "controller_country": a.controller_country, "key_control": a.key_control,
        "exposure": {"score": a.exposure, "level": a.exposure_level},
        "laws": [{"id": h.law, "tier": h.trigger.value, "scored": h.counts, "residual": h.residual,
                  "foreign": h.foreign, "verified": h.verified,
                  "citation": laws[h.law].citation if h.law in laws else None,
                  "basis": h.basis, "via": list(h.via)} for h in a.hits],
    }


def detection_finding(result: ScanResult, f: Finding, time: int) -> dict[str, Any]:
    """One Detection Finding (2004) event."""
    a = result.by_id(f.resource)
    event: dict[str, Any] = {
        "activity_id": 1, "activity_name": "Create",
        "category_uid": 2, "category_name": "Findings",
        "class_uid": DETECTION_FINDING, "class_name": "Detection Finding",
        "type_uid": DETECTION_FINDING * 100 + 1, "type_name": "Detection Finding: Create",
        "severity_id": SEVERITY_IDS.get(f.severity, 0), "severity": f.severity.capitalize(),
        "status_id": 1, "status": "New",
        "time": time,
        "message": f.message,
        "metadata": _metadata(result, f.id),
        "finding_info": {"uid": f.id, "title": f.rule.replace("-", " ").capitalize(), "desc": f.message,
                         "types": [f.rule], "data_sources": ["sovscan"]},
        "observables": [{"name": "resource.uid", "type_id": 10, "type": "Resource UID", "value": f.resource}],
        "unmapped": {"sovscan": {"rule": f.rule}},
    }
    if a is not None:
        event["cloud"] = _cloud(a)
        event["resources"] = [_resource(a)]
        event["risk_score"] = round(a.exposure)
        event["observables"].extend({"name": "law", "type_id": 99, "type": "Other", "value": h.law}
                                    for h in a.hits if h.foreign)
        event["unmapped"]["sovscan"].update(_sovscan(result, a))
        if a.alternatives:
            event["remediation"] = {"desc": "Alternatives that fit this resource's data: "
                                            + ", ".join(alt.name for alt in a.alternatives)}
    else:
        event["cloud"] = {"provider": "unknown"}
    return event


def inventory_info(result: ScanResult, a: Assessed, time: int) -> dict[str, Any]:
    """One Cloud Resources Inventory Info (5023) event for a resource."""
    return {
        "activity_id": 2, "activity_name": "Collect",
        "category_uid": 5, "category_name": "Discovery",
        "class_uid": INVENTORY_INFO, "class_name": "Cloud Resources Inventory Info",
        "type_uid": INVENTORY_INFO * 100 + 2, "type_name": "Cloud Resources Inventory Info: Collect",
        "severity_id": 1, "severity": "Informational",
        "time": time,
        "metadata": _metadata(result, f"inventory:{a.res.id}"),
        "cloud": _cloud(a),
        "resources": [_resource(a)],
        "unmapped": {"sovscan": _sovscan(result, a)},
    }


def events(result: ScanResult) -> Iterator[dict[str, Any]]:
    """Every event: the findings (new ones only, with a baseline), then the inventory."""
    time = _time(result)
    for f in result.new_findings():
        yield detection_finding(result, f, time)
    for a in result.assessed:
        yield inventory_info(result, a, time)


def write_ocsf(result: ScanResult, out: IO[bytes]) -> None:
    out.write(b"[")
    for n, event in enumerate(events(result)):
        out.write(b"\n" if n == 0 else b",\n")
        out.write(orjson.dumps(event))
    out.write(b"\n]\n")
