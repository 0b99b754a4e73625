"""The per-file border: every broken or hostile file is one line naming it (exit 2 alone, a warning in a folder).

Cases are those an attacker's review found crashing, aborting a folder scan or passing silently:
wrong JSON types deep in importers, saved-inventory lines of the wrong shape, negative sizes,
unreadable files, FIFOs, devices, dangling links, unreadable folders, a description taken for a
name.
"""

from __future__ import annotations

import copy
import errno
import gzip
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import providers.base
from providers.export import FORMAT_VERSION
from scanner.cli import app
from scanner.inventory import load_inventory

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "fixtures"
runner = CliRunner()


def _json(name: str) -> Any:
    path = FIX / name
    with (gzip.open(path, "rt") if name.endswith(".gz") else path.open()) as fh:
        return json.load(fh)


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    doc = copy.deepcopy(doc)
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


def _saved(*lines: str) -> bytes:
    header = {"sovscan_inventory": FORMAT_VERSION, "provider": "aws", "collected_at": "2026-11-30T00:00:00+00:00",
              "tool_version": "0.1.0", "source": "live:aws:2026-11-30T00:00:00+00:00", "scope": {}}
    return gzip.compress("\n".join([json.dumps(header), *lines]).encode() + b"\n")


def _files() -> dict[str, Callable[[], bytes]]:
    plan, state = _json("terraform/show_plan.json"), _json("terraform/show_state.json")
    snap = _json("aws/config_snapshot_euc1.json.gz")
    first_change = ("resource_changes", 0, "change", "actions")
    status = ("configurationItems", 0, "configurationItemStatus")
    end = '{"end": {"records": 0, "accounts": 0, "gaps": 0}}'
    return {
        "config-status.json": lambda: json.dumps(_set(snap, status, [])).encode(),
        "plan-provider-config.json": lambda: json.dumps(_set(plan, ("configuration", "provider_config"), [1])).encode(),
        "plan-actions.json": lambda: json.dumps(_set(plan, first_change, [[]])).encode(),
        "plan-resource-changes.json": lambda: json.dumps(_set(plan, ("resource_changes",), 5)).encode(),
        "show-child-modules.json": lambda: json.dumps(
            _set(state, ("values", "root_module", "child_modules"), 5)).encode(),
        "show-resources.json": lambda: json.dumps(_set(state, ("values", "root_module", "resources"), 5)).encode(),
        "saved-account.ndjson.gz": lambda: _saved('{"account": []}', end),
        "saved-gap.ndjson.gz": lambda: _saved('{"gap": null}', end),
        "saved-end.ndjson.gz": lambda: _saved('{"end": [[1, 2, 3]]}'),
        "saved-extra-key.ndjson.gz": lambda: _saved(
            '{"account": {"id": "1", "provider": "aws", "name": "n", "parent": null, "extra": 1}}', end),
    }


@pytest.mark.parametrize("name", list(_files()))
def test_a_value_of_the_wrong_type_is_one_line_naming_the_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(_files()[name]())
    r = runner.invoke(app, ["run", "-i", str(path), "--format", "json"])
    assert r.exit_code == 2, (r.exit_code, r.stderr)
    assert r.stderr.count("\n") == 1 and r.stderr.startswith(f"sovscan: error: {path}")
    assert "Traceback" not in r.stderr


def test_a_folder_scan_reads_the_good_files_beside_broken_ones(tmp_path: Path) -> None:
    for name, make in _files().items():
        (tmp_path / name).write_bytes(make())
    (tmp_path / "good.json.gz").write_bytes((FIX / "aws" / "config_snapshot_euc1.json.gz").read_bytes())
    r = runner.invoke(app, ["run", "-i", str(tmp_path), "--format", "json"])
    assert r.exit_code == 0, r.stderr
    result = json.loads(r.stdout)
    assert [s["path"] for s in result["sources"]] == [str(tmp_path / "good.json.gz")]
    warned = [line for line in r.stderr.splitlines() if line.startswith("sovscan: warning: skipped")]
    assert len(warned) == len(_files())
    refused = [w for w in result["coverage"]["warnings"] if "file not read" in w]
    assert len(refused) == len(_files())


def test_fifos_devices_dangling_links_and_links_to_folders_are_skipped_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.json")  # opening it for reading would wait for a writer forever
    (tmp_path / "zero.json").symlink_to("/dev/zero")  # reading it would never end
    (tmp_path / "dangling.json").symlink_to(tmp_path / "gone.json")
    (tmp_path / "elsewhere").symlink_to(tmp_path.parent)
    (tmp_path / "good.json.gz").write_bytes((FIX / "aws" / "config_snapshot_euc1.json.gz").read_bytes())
    warnings: list[str] = []
    inv = load_inventory([tmp_path], warnings.append)
    assert [s.path for s in inv.sources] == [str(tmp_path / "good.json.gz")]
    skipped = {g.source: g.message for g in inv.gaps if g.reason == "bad-file"}
    assert skipped == {
        str(tmp_path / "dangling.json"): "skipped: dangling symbolic link",
        str(tmp_path / "elsewhere"): "skipped: symbolic link to a folder, not followed",
        str(tmp_path / "fifo.json"): "skipped: not a regular file (a FIFO)",
        str(tmp_path / "zero.json"): "skipped: not a regular file (a character device)",
    }
    assert len(warnings) == 4
    for name in ("fifo.json", "zero.json", "dangling.json"):
        r = runner.invoke(app, ["run", "-i", str(tmp_path / name), "--format", "json"])
        assert r.exit_code == 2 and r.stderr.count("\n") == 1, r.stderr


def _deny(paths: set[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``paths`` unreadable whoever runs the tests (root reads a chmod 000 file or folder)."""
    real_open, real_scandir = os.open, os.scandir

    def refuse(target: Any) -> None:
        if Path(target) in paths:
            raise PermissionError(errno.EACCES, "Permission denied", str(target))

    def denied_open(target: Any, *args: Any, **kwargs: Any) -> int:
        refuse(target)
        return real_open(target, *args, **kwargs)

    def denied_scandir(target: Any = ".") -> Any:
        refuse(target)
        return real_scandir(target)

    monkeypatch.setattr(providers.base.os, "open", denied_open)
    monkeypatch.setattr(os, "scandir", denied_scandir)


def test_an_unreadable_file_or_folder_is_reported_and_the_rest_read(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    good = (FIX / "aws" / "config_snapshot_euc1.json.gz").read_bytes()
    (tmp_path / "a-good.json.gz").write_bytes(good)
    (tmp_path / "b-locked.json.gz").write_bytes(good)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.json.gz").write_bytes(good)
    os.chmod(tmp_path / "b-locked.json.gz", 0)
    os.chmod(tmp_path / "sub", 0)
    _deny({tmp_path / "b-locked.json.gz", tmp_path / "sub"}, monkeypatch)
    warnings: list[str] = []
    inv = load_inventory([tmp_path], warnings.append)
    assert [s.path for s in inv.sources] == [str(tmp_path / "a-good.json.gz")]
    messages = {g.source: g.message for g in inv.gaps if g.reason == "bad-file"}
    assert "cannot be read (Permission denied)" in messages[str(tmp_path / "b-locked.json.gz")]
    assert messages[str(tmp_path / "sub")] == "skipped: folder cannot be read (Permission denied)"
    assert len(warnings) == 2
    r = runner.invoke(app, ["run", "-i", str(tmp_path / "b-locked.json.gz"), "--format", "json"])
    assert r.exit_code == 2 and "cannot be read (Permission denied)" in r.stderr and r.stderr.count("\n") == 1
    os.chmod(tmp_path / "sub", 0o755)


def test_negative_sizes_are_unknown_and_recorded_never_a_math_error(tmp_path: Path) -> None:
    # allocatedStorage -1 reached log10 in the lock-in score: "math domain error".
    snap = _json("aws/config_snapshot_euc1.json.gz")
    rds = {"version": "1.3", "configurationItemStatus": "OK", "resourceType": "AWS::RDS::DBInstance",
           "resourceId": "db-1", "resourceName": "patients", "awsRegion": "eu-central-1",
           "awsAccountId": "111122223333", "ARN": "arn:aws:rds:eu-central-1:111122223333:db:patients",
           "configuration": {"allocatedStorage": -1, "engine": "postgres"}, "tags": {}}
    snap["configurationItems"] = [rds]
    (tmp_path / "rds.json").write_text(json.dumps(snap))
    az = [{"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/disks/d1", "name": "d1",
           "type": "Microsoft.Compute/disks", "location": "westeurope", "resourceGroup": "g",
           "subscriptionId": "s", "tenantId": "t", "properties": {"diskSizeGB": -3.5}}]
    (tmp_path / "az.json").write_text(json.dumps(az))
    r = runner.invoke(app, ["run", "-i", str(tmp_path / "rds.json"), "-i", str(tmp_path / "az.json"),
                            "--format", "json"])
    assert r.exit_code == 0, r.stderr
    result = json.loads(r.stdout)
    sizes = {res["name"]: res["migration"]["data_gb"] for res in result["resources"]}
    assert sizes["patients"] is None and sizes["d1"] is None
    gaps = [w for w in result["coverage"]["warnings"] if "negative or unusable size" in w]
    assert len(gaps) == 2 and {g.split(":")[0] for g in gaps} == {str(tmp_path / "rds.json"), str(tmp_path / "az.json")}


def test_a_description_never_becomes_a_display_name(tmp_path: Path) -> None:
    state = {"version": 4, "terraform_version": "1.9.0", "serial": 1, "lineage": "x", "outputs": {}, "resources": [
        {"mode": "managed", "type": "aws_security_group", "name": "web",
         "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
         "instances": [{"attributes": {"id": "sg-1", "arn": "arn:aws:ec2:eu-west-3:111122223333:security-group/sg-1",
                                       "description": "admin password is Qz7x", "region": "eu-west-3"}}]}]}
    (tmp_path / "s.tfstate").write_text(json.dumps(state))
    r = runner.invoke(app, ["run", "-i", str(tmp_path / "s.tfstate"), "--format", "json"])
    assert r.exit_code == 0, r.stderr
    assert "Qz7x" not in r.stdout
    assert [res["name"] for res in json.loads(r.stdout)["resources"]] == ["aws_security_group.web"]
