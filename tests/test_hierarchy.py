"""Children take their parent's placement; configuration sub-resources are folded into their parent."""

from __future__ import annotations

from scanner.hierarchy import parent_id, settle_children
from scanner.inventory import Inventory
from scanner.kb.loader import default_kb
from scanner.model import Flow, FlowKind, Gap, Resource

KB = default_kb()
P = "//bigquery.googleapis.com/projects/p"


def _inv(*resources: Resource, flows: tuple[Flow, ...] = ()) -> Inventory:
    inv = Inventory()
    for res in resources:
        inv.resources[res.id] = res
    inv.flows.extend(flows)
    return inv


def test_parent_ids_from_paths_or_from_the_importer() -> None:
    table = Resource(f"{P}/datasets/d/tables/t", "gcp", "bigquery.googleapis.com/Table", "t")
    assert parent_id(table) == f"{P}/datasets/d"
    azure = "/subscriptions/s/resourcegroups/g/providers/microsoft.sql/servers/a"
    assert parent_id(Resource(f"{azure}/databases/b", "azure", "microsoft.sql/servers/databases", "b")) == azure
    assert parent_id(Resource("arn:aws:s3:::b", "aws", "AWS::S3::Bucket", "b")) is None
    assert parent_id(Resource("/subscriptions/s", "azure", "microsoft.resources/subscriptions", "s")) is None
    config = Resource("aws:::aws_s3_bucket_metric:b:m", "aws", "aws_s3_bucket_metric", "m",
                      attributes={"parent": "arn:aws:s3:::b"})
    assert parent_id(config) == "arn:aws:s3:::b"


def test_a_child_without_location_takes_its_nearest_placed_ancestor() -> None:
    app = Resource("//appengine.googleapis.com/apps/p", "gcp", "appengine.googleapis.com/Application", "p",
                   region="europe-west1", source="cai.ndjson")
    service = Resource("//appengine.googleapis.com/apps/p/services/s", "gcp", "appengine.googleapis.com/Service", "s",
                       source="cai.ndjson")
    version = Resource("//appengine.googleapis.com/apps/p/services/s/versions/v", "gcp",
                       "appengine.googleapis.com/Version", "v", source="cai.ndjson")
    inv = _inv(version, service, app)  # the version before its service: the walk goes up two levels
    settle_children(inv, KB)
    got = {r.id: (r.region, r.attributes.get("placement_from")) for r in inv.resources.values()}
    assert got == {app.id: ("europe-west1", None), service.id: ("europe-west1", app.id),
                   version.id: ("europe-west1", app.id)}
    assert [(g.source, g.reason) for g in inv.gaps] == [("cai.ndjson", "inherited")]


def test_a_child_with_its_own_location_keeps_it_and_a_look_alike_is_not_a_parent() -> None:
    dataset = Resource(f"{P}/datasets/d", "gcp", "bigquery.googleapis.com/Dataset", "d", region="eu")
    own = Resource(f"{P}/datasets/d/tables/t", "gcp", "bigquery.googleapis.com/Table", "t", region="us")
    # a bucket is no table's parent even when the path looks nested
    bucket = Resource("//storage.googleapis.com/projects/_/buckets/x", "gcp", "storage.googleapis.com/Bucket", "x",
                      region="eu")
    odd = Resource("//storage.googleapis.com/projects/_/buckets/x/tables/t", "gcp", "bigquery.googleapis.com/Table",
                   "t2")
    inv = _inv(dataset, own, bucket, odd)
    settle_children(inv, KB)
    assert inv.resources[own.id].region == "us" and inv.resources[odd.id].region is None
    assert inv.gaps == []


def test_configuration_sub_resources_are_folded_and_their_flows_move_to_the_parent() -> None:
    bucket = Resource("arn:aws:s3:::b", "aws", "aws_s3_bucket", "b", region="eu-west-3", source="s.tfstate")
    inventory_cfg = Resource("aws:::aws_s3_bucket_inventory:b:i", "aws", "aws_s3_bucket_inventory", "i",
                             source="s.tfstate", attributes={"parent": "arn:aws:s3:::b"})
    orphan = Resource("aws:::aws_s3_bucket_metric:gone:m", "aws", "aws_s3_bucket_metric", "m", source="s.tfstate",
                      attributes={"parent": "arn:aws:s3:::gone"})
    flows = (Flow(inventory_cfg.id, "arn:aws:s3:::reports", FlowKind.LOGS, "inventory destination"),
             Flow(orphan.id, "arn:aws:s3:::reports", FlowKind.LOGS, "metrics export"))
    inv = _inv(bucket, inventory_cfg, orphan, flows=flows)
    settle_children(inv, KB)
    assert set(inv.resources) == {bucket.id}
    assert [(f.source, f.target) for f in inv.flows] == [(bucket.id, "arn:aws:s3:::reports")]
    assert inv.gaps == [Gap("s.tfstate", "2 configuration sub-resource(s) that hold no data of their own were folded "
                                         "into the resource they configure: aws_s3_bucket_inventory (1), "
                                         "aws_s3_bucket_metric (1); 1 of them configure a resource that is not in "
                                         "the inventory", "folded")]


def test_every_parent_and_fold_in_the_knowledge_base_names_a_known_type() -> None:
    children = [s for s in KB.services.values() if s.parent]
    assert len(children) >= 15
    for svc in children:
        parent = KB.service(svc.provider, svc.parent or "")
        assert parent is not None and parent is not svc, svc.type
        if svc.fold:
            assert not svc.data_bearing and svc.effort == 0, svc.type
