"""What a live run keeps and saves: the fields allowlists, tag redaction, the saved-inventory reader.

The decisive test walks every raw record of the repository's fixtures and sample inventories (AWS
Config items and advanced-query results, Azure Resource Graph rows and ARM items, Cloud Assets)
and requires that the transform gives the same items after the allowlist as before (tag values of
secret-looking keys aside): the allowlists keep everything the analysis reads, and nothing else.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from providers.aws.fields import config_item
from providers.azure.fields import arm_row
from providers.base import InputFile
from providers.export import FORMATS, REDACTED, InventoryWriter, is_secret_tag, keep, minimize, redact_tags
from providers.gcp.fields import asset
from providers.live import RawRecord
from providers.registry import raw_transforms
from scanner.model import Account, Gap, Resource

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [ROOT / "tests" / "fixtures", ROOT / "sample_inventories"]


def _documents() -> Iterator[Any]:
    for base in SOURCES:
        for path in sorted(base.rglob("*")):
            if path.suffix not in (".json", ".gz", ".ndjson") or "plugin" in path.parts:
                continue
            try:
                data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
            except (OSError, EOFError):
                continue  # the fixtures of damaged files
            try:
                yield json.loads(data)
            except ValueError:
                for line in data.splitlines():
                    try:
                        yield json.loads(line)
                    except ValueError:
                        continue


def _walk(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)


def _records() -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {"aws-config-item": [], "azure-resource": [], "gcp-asset": []}
    for doc in _documents():
        for obj in _walk(doc):
            if isinstance(obj.get("resourceType"), str) and str(obj["resourceType"]).startswith("AWS::"):
                found["aws-config-item"].append(obj)
            elif isinstance(obj.get("id"), str) and obj["id"].startswith("/subscriptions/") and "type" in obj:
                found["azure-resource"].append(obj)
            elif isinstance(obj.get("name"), str) and obj["name"].startswith("//") and (
                    "assetType" in obj or "asset_type" in obj) and "resource" in obj:  # Assets, not search results
                found["gcp-asset"].append(obj)
    return found


RECORDS = _records()
KEEP = {"aws-config-item": config_item, "azure-resource": arm_row, "gcp-asset": asset}


def _redacted(item: Any) -> Any:
    if isinstance(item, Resource):
        import dataclasses

        tags = {k: REDACTED if is_secret_tag(k) and v else v for k, v in item.tags.items()}
        return dataclasses.replace(item, tags=tags)
    return item


@pytest.mark.parametrize("kind", sorted(KEEP))
def test_the_allowlist_keeps_everything_the_transform_reads(kind: str) -> None:
    records = RECORDS[kind]
    assert len(records) > 20, f"too few {kind} records found in the fixtures"
    transform = raw_transforms()[kind]
    before = [_redacted(i) for i in transform(records, "s")]
    after = list(transform([KEEP[kind](r) for r in records], "s"))
    assert after == before
    assert sum(isinstance(i, Resource) for i in after) > 20


def test_the_allowlist_drops_what_the_analysis_does_not_read() -> None:
    distribution = {
        "resourceType": "AWS::CloudFront::Distribution", "ARN": "arn:aws:cloudfront::1:distribution/E1",
        "awsAccountId": "111122223333", "tags": {"Owner": "web", "AuthToken": "tok-1"},
        "configuration": {"distributionConfig": {"origins": {"items": [{
            "domainName": "b.s3.amazonaws.com", "id": "o1",
            "customHeaders": {"items": [{"headerName": "X-Secret", "headerValue": "hdr-1"}]}}]},
            "logging": {"enabled": True, "bucket": "logs.s3.amazonaws.com", "prefix": "cdn/"},
            "comment": "internal notes"}},
        "supplementaryConfiguration": {"Anything": "else"},
    }
    assert config_item(distribution) == {
        "resourceType": "AWS::CloudFront::Distribution", "ARN": "arn:aws:cloudfront::1:distribution/E1",
        "awsAccountId": "111122223333", "tags": {"Owner": "web", "AuthToken": REDACTED},
        "configuration": {"distributionConfig": {"origins": {"items": [{"domainName": "b.s3.amazonaws.com"}]},
                                                 "logging": {"enabled": True, "bucket": "logs.s3.amazonaws.com"}}},
        "supplementaryConfiguration": {},
    }
    function = {"resourceType": "AWS::Lambda::Function", "ARN": "arn:aws:lambda:eu-west-3:1:function:f",
                "configuration": {"functionName": "f", "kmsKeyArn": "arn:k", "environment": {"variables": {"P": "x"}},
                                  "code": {"location": "https://s3/…"}}}
    assert config_item(function)["configuration"] == {"kmsKeyArn": "arn:k"}


@pytest.mark.parametrize(("key", "secret"), [
    ("password", True), ("DB_PASSWORD", True), ("db-passwd", True), ("client_secret", True), ("ApiKey", True),
    ("api-key", True), ("x-auth-token", True), ("Credentials", True), ("private_key", True), ("key", True),
    ("ssh-key", True), ("kms-key", True), ("pwd", True),
    ("DataClassification", False), ("Owner", False), ("keyvault", False), ("monkey", False), ("Environment", False),
    ("CostCenter", False), ("Name", False),
])
def test_secret_tag_keys(key: str, secret: bool) -> None:
    assert is_secret_tag(key) is secret


def test_tag_redaction_in_every_shape() -> None:
    assert redact_tags({"password": "p", "env": "prod", "token": ""}) == {"password": REDACTED, "env": "prod",
                                                                          "token": ""}
    assert redact_tags([{"Key": "api_key", "Value": "v"}, {"Key": "env", "Value": "e"}]) == [
        {"Key": "api_key", "Value": REDACTED}, {"Key": "env", "Value": "e"}]
    assert redact_tags([{"key": "secret", "value": "v", "tag": "secret=v"}]) == [
        {"key": "secret", "value": REDACTED, "tag": f"secret={REDACTED}"}]
    assert redact_tags(["token=abc", "env=prod"]) == [f"token={REDACTED}", "env=prod"]
    assert json.loads(redact_tags('{"Password": "x"}')) == {"Password": REDACTED}


def test_keep() -> None:
    spec = {"a": True, "b": {"c": True}, "rules": {"*": {"status": True}}, "**": {"deep": True}}
    value = {"A": 1, "b": [{"c": 2, "d": 3}], "rules": {"r1": {"status": "on", "x": 1}},
             "e": {"f": {"deep": 4, "g": 5}}, "h": [{"deep": 6}, {"i": 7}], "j": 8}
    assert keep(value, spec) == {"A": 1, "b": [{"c": 2}], "rules": {"r1": {"status": "on"}}, "e": {"f": {"deep": 4}},
                                 "h": [{"deep": 6}, {}]}
    assert json.loads(keep('{"c": 1, "d": 2}', {"c": True})) == {"c": 1}
    assert keep("not json", {"c": True}) == "[withheld]"


# --- writer and reader ------------------------------------------------------------------------------------

def _write(tmp_path: Path, finish: bool = True) -> Path:
    path = tmp_path / "inv.jsonl.gz"
    writer = InventoryWriter(path, "aws", {"regions": ["eu-west-3"]})
    for item in minimize([Account("111122223333", "aws", "prod"),
                          RawRecord("aws-config-item", {"resourceType": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::b",
                                                        "awsAccountId": "111122223333", "awsRegion": "eu-west-3",
                                                        "tags": {"db_password": "hunter2"}}),
                          Gap("aws-live", "account 1, region x, service y: access denied", "access-denied")]):
        writer.write(item)
    assert not path.exists()  # only under its temporary name until it ends
    if finish:
        writer.finish()
    else:
        writer.abort("interrupted (Ctrl-C) after 1 record(s)")
    return path


def _read(path: Path) -> list[Any]:
    return list(FORMATS[0].read(InputFile(path, path.name)))


def test_a_finished_inventory_reads_back_complete(tmp_path: Path) -> None:
    path = _write(tmp_path)
    text = gzip.decompress(path.read_bytes()).decode()
    assert "hunter2" not in text and json.loads(text.splitlines()[-1]) == {
        "end": {"records": 1, "accounts": 1, "gaps": 1, "complete": True}}
    items = _read(path)
    assert [type(i).__name__ for i in items] == ["Account", "Resource", "Gap"]
    assert items[1].tags == {"db_password": REDACTED}


def test_an_aborted_inventory_reads_back_with_an_incomplete_gap(tmp_path: Path) -> None:
    items = _read(_write(tmp_path, finish=False))
    gap = items[-1]
    assert gap.reason == "interrupted" and "stopped early (interrupted (Ctrl-C) after 1 record(s))" in gap.message


@pytest.mark.parametrize(("line", "message"), [
    ({"account": []}, "an account line needs"), ({"gap": None}, "a gap line needs"), ({"end": [[1, 2, 3]]},
                                                                                      "the end line needs"),
    ({"kind": "aws-config-item", "record": [1]}, "a record line needs"), ({"kind": "k", "record": {}, "x": 1},
                                                                         "expected one JSON object per line"),
    ({"weird": 1}, "unknown line"), ([1], "expected one JSON object per line"),
])
def test_wrong_lines_are_one_clear_error(tmp_path: Path, line: Any, message: str) -> None:
    path = tmp_path / "bad.jsonl.gz"
    lines = [{"sovscan_inventory": 2, "source": "live:aws:x"}, line, {"end": {"records": 0, "accounts": 0, "gaps": 0,
                                                                              "complete": True}}]
    path.write_bytes(gzip.compress(b"".join(json.dumps(x).encode() + b"\n" for x in lines)))
    from providers.base import InventoryFormatError

    with pytest.raises(InventoryFormatError, match=message) as err:
        _read(path)
    assert ":2:1" in str(err.value)


def test_a_version_1_file_is_read_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "v1.jsonl.gz"
    lines = [{"sovscan_inventory": 1, "source": "live:gcp:x"}, {"end": {"records": 0, "accounts": 0, "gaps": 0}}]
    path.write_bytes(gzip.compress(b"".join(json.dumps(x).encode() + b"\n" for x in lines)))
    [gap] = _read(path)
    assert gap.reason == "warning" and "did not record whether" in gap.message
