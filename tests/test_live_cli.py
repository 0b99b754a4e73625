"""`sovscan run --provider` end to end, with a provider plugin installed through a real entry point.

``tests/fixtures/plugin`` holds a distribution (``sovscan-fakecloud``: a package and its
``.dist-info`` with an ``entry_points.txt`` in the ``sovscan.providers`` group) put on ``sys.path``:
importlib.metadata finds it exactly as it finds an installed wheel, and the registry loads it.
Its collector replays a Cloud Asset export and fails on request (``--fake-fail``). Covered: saved
inventories re-read identically, all-or-marked (an injected failure, an interrupt), ``--strict``,
credentials and missing-SDK errors as one line, options of other clouds refused, the option groups
of ``--help``, a broken plugin as one warning.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from providers import registry
from scanner.cli import app

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PLUGIN = FIXTURES / "plugin"
BROKEN = FIXTURES / "plugin_broken"
runner = CliRunner()


@pytest.fixture
def plugin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.syspath_prepend(str(PLUGIN))
    registry.reset()
    yield
    for name in [m for m in sys.modules if m.startswith("sovscan_fakecloud")]:
        del sys.modules[name]
    registry.reset()


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]


def _run(*args: str) -> object:
    return runner.invoke(app, ["run", *args])


def test_the_plugin_is_in_the_registry_with_its_parts(plugin: None) -> None:
    found = registry.provider("fakecloud")
    assert (found.distribution, found.live, found.title) == ("sovscan-fakecloud", "sovscan_fakecloud.live",
                                                             "Fake Cloud")
    assert [p.name for p in registry.registry().live()] == ["aws", "azure", "gcp", "fakecloud"]
    assert "fakecloud-export" in [f.name for f in registry.file_formats()]
    assert "fakecloud-thing" in registry.raw_transforms()
    assert registry.problems() == ()


def test_saved_inventory_reads_back_identically(plugin: None, tmp_path: Path) -> None:
    saved = tmp_path / "inventory.jsonl.gz"
    live = _run("--provider", "fakecloud", "--fake-tenant", "alpha,beta", "--fake-token", "tok-123",
                "--export-inventory", str(saved), "-f", "json", "--as-of", "2026-11-30")
    assert live.exit_code == 0, live.stderr
    offline = _run("-i", str(saved), "-f", "json", "--as-of", "2026-11-30")
    assert offline.exit_code == 0, offline.stderr
    a, b = json.loads(live.stdout), json.loads(offline.stdout)
    assert a["resources"] and a["resources"] == b["resources"]
    assert a["flows"] == b["flows"] and a["findings"] == b["findings"] and a["summary"] == b["summary"]
    assert a["coverage"] == b["coverage"]
    assert any("access denied" in w for w in a["coverage"]["warnings"])
    assert "fakecloud:t1" in {r["id"] for r in a["resources"]}  # the plugin's own transform
    assert [s["format"] for s in a["sources"]] == ["live-fakecloud"]
    assert [s["format"] for s in b["sources"]] == ["sovscan-inventory"]
    lines = _lines(saved)
    header, trailer = lines[0], lines[-1]
    assert header["sovscan_inventory"] == 2 and header["provider"] == "fakecloud"
    # The scope says what was asked, never the secret option.
    assert header["scope"] == {"fake-tenant": ["alpha", "beta"]}
    assert "tok-123" not in gzip.decompress(saved.read_bytes()).decode()
    assert trailer["end"] == {"records": len(lines) - 4, "accounts": 1, "gaps": 1, "complete": True}
    # The plugin's allowlist: a field it does not declare never reaches the file; a secret-looking
    # tag's value is withheld.
    thing = next(line["record"] for line in lines if line.get("kind") == "fakecloud-thing")
    assert thing == {"id": "t1", "name": "thing one", "region": "europe-west1",
                     "tags": {"owner": "hr", "db_password": "[redacted]"}}


def test_an_injected_failure_leaves_a_file_marked_incomplete(plugin: None, tmp_path: Path) -> None:
    saved = tmp_path / "inventory.jsonl.gz"
    r = _run("--provider", "fakecloud", "--fake-fail", "midway", "--export-inventory", str(saved), "-f", "json")
    assert r.exit_code == 2 and "stopped answering" in r.stderr and "Traceback" not in r.stderr
    trailer = _lines(saved)[-1]["end"]
    assert trailer["complete"] is False and "stopped answering" in trailer["reason"]
    assert trailer["records"] == 4
    # Read back: the result says it is incomplete; --strict exits 3 after writing the output.
    reread = _run("-i", str(saved), "-f", "json")
    assert reread.exit_code == 0, reread.stderr
    warnings = json.loads(reread.stdout)["coverage"]["warnings"]
    assert any("saved inventory is incomplete" in w and "stopped answering" in w for w in warnings)
    strict = _run("-i", str(saved), "-f", "json", "--strict")
    assert strict.exit_code == 3 and "incomplete" in strict.stderr and json.loads(strict.stdout)["resources"]
    table = _run("-i", str(saved), "-f", "table")
    assert "incomplete: 1 gap (" in table.stdout
    markdown = _run("-i", str(saved), "-f", "md")
    assert "> **incomplete: 1 gap (" in markdown.stdout.split("## The numbers that matter")[0]
    for lang, caveat in (("en", "Incomplete collection."), ("fr", "Collecte incomplète.")):
        html = _run("-i", str(saved), "-f", "html", "--lang", lang)
        assert html.exit_code == 0, html.stderr
        head = html.stdout.split("</header>")[0]
        assert caveat in head and "incomplete: 1 gap (" in head


def test_an_interrupt_leaves_a_file_marked_incomplete_and_one_line(plugin: None, tmp_path: Path) -> None:
    saved = tmp_path / "inventory.jsonl.gz"
    r = _run("--provider", "fakecloud", "--fake-fail", "interrupt", "--export-inventory", str(saved))
    assert r.exit_code == 130
    assert r.stderr.strip().count("\n") == 0 and "interrupted" in r.stderr and "complete: false" in r.stderr
    trailer = _lines(saved)[-1]["end"]
    assert trailer["complete"] is False and trailer["reason"].startswith("interrupted (Ctrl-C)")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]  # renamed into place


def test_strict_exits_3_on_an_incomplete_collection(plugin: None) -> None:
    r = _run("--provider", "fakecloud", "--strict", "-f", "json")
    assert r.exit_code == 3 and "incomplete" in r.stderr
    assert json.loads(r.stdout)["resources"]  # the output is still written


def test_cut_saved_inventory_is_refused(plugin: None, tmp_path: Path) -> None:
    saved = tmp_path / "inventory.jsonl.gz"
    assert _run("--provider", "fakecloud", "--export-inventory", str(saved), "-f", "json").exit_code == 0
    lines = gzip.decompress(saved.read_bytes()).splitlines(keepends=True)
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(gzip.compress(b"".join(lines[:-1])))
    r = _run("-i", str(cut), "-f", "json")
    assert r.exit_code == 2 and "incomplete (no end line)" in r.stderr and "Traceback" not in r.stderr
    short = tmp_path / "short.jsonl.gz"
    short.write_bytes(gzip.compress(b"".join([*lines[:3], lines[-1]])))
    r = _run("-i", str(short), "-f", "json")
    assert r.exit_code == 2 and "records, the file holds 1" in r.stderr


def test_missing_credentials_is_one_line_exit_2(plugin: None) -> None:
    r = _run("--provider", "fakecloud", "--fake-fail", "credentials", "-f", "json")
    assert r.exit_code == 2
    assert r.stderr.strip().count("\n") == 0 and "fake login" in r.stderr


def test_a_missing_sdk_names_what_to_install(plugin: None, monkeypatch: pytest.MonkeyPatch) -> None:
    r = _run("--provider", "fakecloud", "--fake-fail", "sdk", "-f", "json")
    assert r.exit_code == 2 and r.stderr.strip().count("\n") == 0, r.stderr
    assert "sovscan_fakecloud_sdk_not_installed" in r.stderr and "sovscan-fakecloud" in r.stderr
    # A built-in provider names its extra.
    # As if sovscan[aws] were not installed: no boto3 or botocore, and the modules that import them
    # not loaded yet.
    for sdk in ("boto3", "botocore"):
        monkeypatch.setitem(sys.modules, sdk, None)
    for name in [m for m in sys.modules if m.startswith("providers.aws.")]:
        if name.rsplit(".", 1)[-1] in ("live", "sessions", "errors", "guard", "services", "items", "collectors",
                                       "collectors_apps"):
            monkeypatch.delitem(sys.modules, name)
    r = _run("--provider", "aws", "-f", "json")
    assert r.exit_code == 2 and r.stderr.strip().count("\n") == 0, r.stderr
    assert "pip install 'sovscan[aws]'" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--provider", "aws", "--tenant", "t"], "--tenant is an option of --provider azure; it does not apply to "
                                             "--provider aws"),
    (["--provider", "fakecloud", "--regions", "eu-west-3"], "--regions is an option of --provider aws"),
    (["--provider", "gcp", "--fake-tenant", "a"], "--fake-tenant is an option of --provider fakecloud"),
    (["-i", str(FIXTURES / "gcp" / "cai-export.ndjson"), "--project", "p"],
     "--project is an option of live collection: add --provider gcp"),
    (["-i", str(FIXTURES / "gcp" / "cai-export.ndjson"), "--max-workers", "4"], "add --provider"),
    (["--provider", "fakecloud", "--fake-tenant", "al-pha"], "letters and digits only"),
    (["--provider", "aws", "--regions", "eu west 3"], "is not an AWS region name"),
    (["--provider", "aws", "--role-name", "R"], "add --org-accounts"),
    (["--provider", "aws", "--aggregator", "agg"], "add --via config"),
    (["--provider", "azure", "--subscription", "not-a-guid"], "is not a subscription id"),
    (["--provider", "gcp", "--organization", "acme"], "is not a numeric id"),
])
def test_options_that_do_not_apply_are_errors(plugin: None, args: list[str], message: str) -> None:
    r = _run(*args, "-f", "json")
    assert r.exit_code == 2 and message in r.stderr and r.stderr.strip().count("\n") == 0, r.stderr


def test_help_groups_options_per_provider_with_examples(plugin: None) -> None:
    for command in ("run", "plan"):
        text = runner.invoke(app, [command, "--help"]).stdout
        aws = text.index("Amazon Web Services live collection (--provider aws):")
        azure = text.index("Microsoft Azure live collection (--provider azure):")
        gcp = text.index("Google Cloud live collection (--provider gcp):")
        fake = text.index("Fake Cloud live collection (--provider fakecloud):")
        assert aws < azure < gcp < fake
        assert aws < text.index("--org-accounts") < azure < text.index("--subscription") < gcp
        assert gcp < text.index("--project") < fake < text.index("--fake-tenant")
        assert "--provider aws|azure|gcp|fakecloud" in text
        prefix = "sovscan run" if command == "run" else "sovscan plan --target …"
        assert f"{prefix} --provider gcp --organization 123456789012\n" in text
        assert f"{prefix} --provider fakecloud --fake-tenant alpha\n" in text


def test_export_needs_a_provider(tmp_path: Path) -> None:
    r = _run("-i", str(FIXTURES / "gcp" / "cai-export.ndjson"), "--export-inventory", str(tmp_path / "x.gz"))
    assert r.exit_code == 2 and "--provider" in r.stderr


def test_plan_on_a_live_run(plugin: None) -> None:
    r = runner.invoke(app, ["plan", "--provider", "fakecloud", "--target", "ovhcloud,scaleway,open-source",
                            "-f", "json"])
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    moved = [res for u in doc["units"] for res in u["resources"]]
    assert moved and {res["provider"] for res in moved} <= {"gcp", "fakecloud"}
    assert doc["before"]["exposure"] > doc["after"]["exposure"]
    both = runner.invoke(app, ["plan", "--provider", "gcp", "--snapshot", "1", "--target", "ovhcloud"])
    assert both.exit_code == 2 and "--snapshot" in both.stderr


def test_a_plugin_format_is_read_offline(plugin: None, tmp_path: Path) -> None:
    export = tmp_path / "things.json"
    export.write_text(json.dumps({"fakecloud_export": [{"id": "x", "name": "x", "region": "r"}]}))
    r = _run("-i", str(export), "-f", "json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert [(s["format"], s["provider"]) for s in doc["sources"]] == [("fakecloud-export", "fakecloud")]


def _sovscan(args: list[str], paths: list[Path]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*map(str, paths), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "scanner.cli", *args], capture_output=True, text=True, env=env,
                          timeout=120, check=False)


def test_sovscan_run_uses_an_installed_plugin_and_reports_a_broken_one(tmp_path: Path) -> None:
    """A fresh process, as a user runs it: the plugin found through its entry point, a broken one reported once."""
    result = _sovscan(["run", "--provider", "fakecloud", "--fake-tenant", "alpha", "-f", "json"], [PLUGIN, BROKEN])
    assert result.returncode == 0, result.stderr
    assert "fakecloud:t1" in {r["id"] for r in json.loads(result.stdout)["resources"]}
    warnings = [line for line in result.stderr.splitlines() if "plugin" in line]
    assert len(warnings) == 1 and warnings[0].startswith("sovscan: warning: provider plugin 'broken'")
    assert "sovscan_broken_missing" in warnings[0]


def test_a_live_run_that_reads_nothing_exits_2_saying_why(plugin: None, monkeypatch: pytest.MonkeyPatch) -> None:
    import sovscan_fakecloud.live as fake

    from providers.live import RawRecord
    from scanner.model import Gap

    def nothing(options: object) -> Iterator[RawRecord | Gap]:
        yield Gap("live:fakecloud", "project p (all locations), Cloud Asset API: API disabled", "api-disabled")

    monkeypatch.setattr(fake, "collect", nothing)
    r = _run("--provider", "fakecloud", "-f", "json")
    assert r.exit_code == 2 and r.stderr.strip().count("\n") == 0, r.stderr
    assert "the live collection from fakecloud read no resource (incomplete: 1 gap (project p" in r.stderr
    assert "docs/permissions" in r.stderr


def test_help_imports_no_sdk() -> None:
    code = ("import sys; from typer.testing import CliRunner; from scanner.cli import app; "
            "r = CliRunner().invoke(app, ['run', '--help']); assert r.exit_code == 0; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'azure', 'google')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip() == "[]"
