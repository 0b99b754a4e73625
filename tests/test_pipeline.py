"""The provider-neutral core on hand-built inventories: placement, law paths, flows, keys, scores."""

from __future__ import annotations

import pytest

from graphs.schema import EDGES, EdgeKind, NodeKind
from scanner.config import Config
from scanner.inventory import Inventory
from scanner.model import Flow, FlowKind, KeyControl, KeyRef, Resource
from scanner.pipeline import assess
from scanner.result import ScanResult


def _inv(*items: Resource | Flow) -> Inventory:
    inv = Inventory()
    for item in items:
        if isinstance(item, Resource):
            inv.add_resource(item)
        else:
            inv.flows.append(item)
    return inv


def _laws(result: ScanResult, rid: str, foreign_only: bool = True) -> set[tuple[str, str]]:
    a = result.by_id(rid)
    assert a is not None
    return {(h.law, h.trigger) for h in a.hits if h.foreign or not foreign_only}


PHI = Resource(id="arn:aws:s3:::patients", provider="aws", native_type="AWS::S3::Bucket", name="patients",
               account="111122223333", region="eu-west-3", tags={"DataClassification": "PHI"},
               key=KeyRef(KeyControl.PROVIDER))
DR = Resource(id="arn:aws:s3:::dr-copy-use1", provider="aws", native_type="AWS::S3::Bucket", name="dr-copy-use1",
              account="111122223333", region="us-east-1")


def test_us_provider_in_paris_is_reached_by_control_not_location() -> None:
    result = assess(_inv(PHI), Config())
    a = result.by_id(PHI.id)
    assert a is not None
    assert a.country == "FR" and a.locations == ("FR",)
    assert a.classes == ("health",) and a.class_source == "tag:DataClassification"  # the key, never the value
    laws = _laws(result, PHI.id)
    assert ("us-cloud-act", "control") in laws and ("us-fisa-702", "control") in laws
    assert all(trigger != "location" for _, trigger in laws)
    hit = next(h for h in a.hits if h.law == "us-cloud-act")
    # region → operator → … → ultimate US parent → law
    assert hit.via[0] == "region:aws:eu-west-3" and hit.via[-1] == "law:us-cloud-act"
    kinds = [result.graph.nodes[n]["kind"] for n in hit.via]
    assert kinds[0] == "region" and set(kinds[1:-1]) == {"entity"} and kinds[-1] == "law"
    assert result.kb.entities[hit.via[-2].split(":", 1)[1]].country == "US"
    assert a.exposure_level == "critical"
    assert {f.rule for f in result.findings if f.resource == PHI.id} == {"health-data-foreign-law",
                                                                        "provider-held-keys"}


def test_replication_to_us_adds_location_classes_and_transfer_finding() -> None:
    flow = Flow(PHI.id, DR.id, FlowKind.REPLICATION, "test rule", "aws", "us-east-1")
    result = assess(_inv(PHI, DR, flow), Config())
    src = result.by_id(PHI.id)
    dst = result.by_id(DR.id)
    assert src is not None and dst is not None
    assert src.locations == ("FR", "US")
    assert dst.classes == ("health",) and dst.class_source == f"flow:{PHI.id}"
    transfer = [f for f in result.findings if f.rule == "transfer-outside-eea" and f.resource == PHI.id]
    assert [f.severity for f in transfer] == ["medium"]  # US adequacy is partial (DPF)
    assert "US" in transfer[0].message
    # the via path of a law reached through the replica starts at the source and crosses the flow
    through = [h for h in src.hits if h.via[:2] == (PHI.id, DR.id)]
    assert through, src.hits
    assert [f.kind for f in result.flows] == [FlowKind.REPLICATION]


def test_flow_to_unknown_destination_is_a_coverage_warning() -> None:
    flow = Flow(PHI.id, "arn:aws:s3:::elsewhere", FlowKind.REPLICATION, "rule")
    result = assess(_inv(PHI, flow), Config())
    assert any("destination location not in the inventory" in w for w in result.coverage.warnings)
    a = result.by_id(PHI.id)
    assert a is not None and a.locations == ("FR",)


def test_european_provider_in_eu_has_no_foreign_law() -> None:
    res = Resource(id="scaleway:fr-par/bucket", provider="scaleway", native_type="scaleway_object_bucket",
                   name="dossiers-patients", region="fr-par")
    result = assess(_inv(res), Config())
    a = result.by_id(res.id)
    assert a is not None
    assert a.country == "FR" and a.classes == ("health",)
    assert _laws(result, res.id) == set()
    assert a.exposure == 0 and a.exposure_level == "none"
    assert not [f for f in result.findings if f.rule == "health-data-foreign-law"]


def test_chinese_provider_in_frankfurt_is_reached_by_chinese_law() -> None:
    res = Resource(id="alibaba:oss-eu", provider="alibaba", native_type="alicloud_oss_bucket", name="rh-paie",
                   region="eu-central-1")
    result = assess(_inv(res), Config())
    laws = {law for law, _ in _laws(result, res.id)}
    assert "cn-national-intelligence-law" in laws
    a = result.by_id(res.id)
    assert a is not None and a.country == "DE" and "employee" in a.classes


def test_external_keys_mitigate_more_than_customer_keys() -> None:
    def bucket(name: str, control: KeyControl) -> Resource:
        return Resource(id=f"arn:aws:s3:::{name}", provider="aws", native_type="AWS::S3::Bucket", name=name,
                        region="eu-west-3", tags={"data-class": "health"}, key=KeyRef(control, None))

    result = assess(_inv(bucket("a", KeyControl.PROVIDER), bucket("b", KeyControl.CUSTOMER),
                         bucket("c", KeyControl.EXTERNAL)), Config())
    scores = [result.by_id(f"arn:aws:s3:::{n}").exposure for n in "abc"]  # type: ignore[union-attr]
    assert scores[0] > scores[1] > scores[2] > 0


def test_key_resource_refines_key_control() -> None:
    key = Resource(id="arn:aws:kms:eu-west-3:111122223333:key/k", provider="aws", native_type="AWS::KMS::Key",
                   name="k", region="eu-west-3", attributes={"key_control": "customer-external"})
    res = Resource(id="arn:aws:s3:::x", provider="aws", native_type="AWS::S3::Bucket", name="x",
                   region="eu-west-3", key=KeyRef(KeyControl.CUSTOMER, key.id))
    result = assess(_inv(key, res), Config())
    a = result.by_id(res.id)
    assert a is not None and a.key_control == "customer-external"
    assert result.graph.has_edge(res.id, key.id, key=EdgeKind.ENCRYPTED_BY.value)


def test_global_service_is_placed_from_the_knowledge_base() -> None:
    role = Resource(id="arn:aws:iam::111122223333:role/admin", provider="aws", native_type="AWS::IAM::Role",
                    name="admin", region="global")
    result = assess(_inv(role), Config())
    a = result.by_id(role.id)
    assert a is not None and a.placement not in (None, "global")
    assert a.locations and result.coverage.unknown_regions == {}


def test_unknown_region_and_type_are_coverage_not_silence() -> None:
    res = Resource(id="aws:1:zz:x", provider="aws", native_type="AWS::Nope::Thing", name="x", region="zz-nowhere-9")
    result = assess(_inv(res), Config())
    assert result.coverage.unmapped_types == {"AWS::Nope::Thing": 1}
    assert result.coverage.unknown_regions == {"aws:zz-nowhere-9": 1}
    a = result.by_id(res.id)
    assert a is not None and a.lockin is None and a.lockin_level == "unknown"
    assert any(f.rule == "unknown-location" for f in result.findings)


def test_home_country_changes_what_is_foreign() -> None:
    res = Resource(id="arn:aws:s3:::us", provider="aws", native_type="AWS::S3::Bucket", name="us",
                   region="us-east-1")
    us_home = assess(_inv(res), Config(home_country="US"))
    # Only the residual presence tier is left: Amazon's own business in Canada and the UK.
    assert {law for law, trigger in _laws(us_home, res.id) if trigger != "presence"} == set()
    assert {law for law, _ in _laws(us_home, res.id)} <= {"ca-production-orders", "uk-investigatory-powers-act"}
    fr_home = assess(_inv(res), Config(home_country="FR"))
    assert ("us-cloud-act", "control") in _laws(fr_home, res.id)


def test_every_graph_edge_obeys_the_schema() -> None:
    flow = Flow(PHI.id, DR.id, FlowKind.REPLICATION, "rule", "aws", "us-east-1")
    result = assess(_inv(PHI, DR, flow), Config())
    g = result.graph
    for u, v, data in g.edges(data=True):
        spec = EDGES[EdgeKind(data["kind"])]
        assert g.nodes[u]["kind"] in spec.sources and g.nodes[v]["kind"] in spec.targets, (u, v, data)
    assert {g.nodes[n]["kind"] for n in g.nodes} <= {k.value for k in NodeKind}


def test_flow_semantics_are_declared_on_the_kind() -> None:
    copies = {k.value for k in FlowKind if k.copies}
    assert copies == {"replication", "replica", "failover", "backup", "logs", "cdn", "multi-region"}
    assert not FlowKind.PEERING.copies and FlowKind.PEERING.moves_together
    assert FlowKind.CDN.source_moves_first is True and FlowKind.LOGS.source_moves_first is False


@pytest.mark.parametrize("weights,expect_lower", [({"sensitivity": {"health": 0.5}}, True),
                                                  ({"mitigation": {"provider-managed": 0.5}}, True)])
def test_weight_overrides_change_scores(weights: dict[str, object], expect_lower: bool) -> None:
    base = assess(_inv(PHI), Config()).by_id(PHI.id)
    tuned = assess(_inv(PHI), Config(weights=weights)).by_id(PHI.id)  # type: ignore[arg-type]
    assert base is not None and tuned is not None
    assert (tuned.exposure < base.exposure) is expect_lower


def test_a_child_inherits_what_its_parent_holds() -> None:
    """A BigQuery table of a patient-records dataset holds health data too, even with a bland name."""
    dataset = Resource(id="//bigquery.googleapis.com/projects/p/datasets/dossiers_patients", provider="gcp",
                       native_type="bigquery.googleapis.com/Dataset", name="dossiers_patients", region="us")
    table = Resource(id=f"{dataset.id}/tables/t1", provider="gcp", native_type="bigquery.googleapis.com/Table",
                     name="t1")
    result = assess(_inv(dataset, table), Config())
    child = result.by_id(table.id)
    assert child is not None
    assert child.classes == ("health",) and child.class_source == f"parent:{dataset.id}"
    assert (child.country, child.res.attributes["placement_from"]) == ("US", dataset.id)
    assert next(f.rule for f in result.findings if f.resource == table.id) == "health-data-foreign-law"


def test_a_system_child_inherits_nothing() -> None:
    """Azure SQL's master database holds server metadata, not the patient records of its server."""
    server = Resource(id="/subscriptions/s/resourcegroups/rg/providers/microsoft.sql/servers/sql-dpi", provider="azure",
                      native_type="microsoft.sql/servers", name="sql-dpi", region="francecentral",
                      tags={"DataClassification": "PHI"})
    master = Resource(id=f"{server.id}/databases/master", provider="azure",
                      native_type="microsoft.sql/servers/databases", name="master", region="francecentral")
    records = Resource(id=f"{server.id}/databases/dossiers", provider="azure",
                       native_type="microsoft.sql/servers/databases", name="dossiers", region="francecentral")
    result = assess(_inv(server, master, records), Config())
    assert result.by_id(records.id).classes == ("health",)  # type: ignore[union-attr]
    assert result.by_id(master.id).classes == ("unknown",)  # type: ignore[union-attr]
