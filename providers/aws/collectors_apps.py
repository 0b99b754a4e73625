"""AWS collectors of compute, application, integration, analytics, AI and logging services.

Same conventions as :mod:`providers.aws.collectors`: one function per service, each resource
yielded as an AWS Config-shaped item, tags from the listing when it has them and from the region's
tag index otherwise. Calls that would return secrets are avoided where a listing is enough: Glue
jobs are listed by name (``ListJobs``; ``GetJobs`` would return their arguments), and what a
listing returns beyond the fields the analysis reads is dropped as it is collected
(``providers/aws/fields.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

from providers.aws.items import ConfigItem, Scope, arn_of, item, optional, pages, token_pages


def collect_lambda(scope: Scope) -> Iterator[ConfigItem]:
    """Functions (environment variables are dropped at once: they often hold secrets)."""
    for fn in pages(scope.client("lambda"), "list_functions", "Functions"):
        yield item(scope, "AWS::Lambda::Function", fn["FunctionName"], fn, arn=fn["FunctionArn"])


def collect_ecs(scope: Scope) -> Iterator[ConfigItem]:
    """Clusters and their services (task definitions, which hold environments, are not read)."""
    ecs = scope.client("ecs")
    arns = list(pages(ecs, "list_clusters", "clusterArns"))
    for start in range(0, len(arns), 100):  # DescribeClusters takes at most 100 clusters per call
        for cluster in ecs.describe_clusters(clusters=arns[start:start + 100], include=["TAGS"]).get("clusters") or ():
            yield item(scope, "AWS::ECS::Cluster", cluster["clusterName"], cluster, arn=cluster["clusterArn"],
                       tags=cluster.get("tags") or {})
    for cluster_arn in arns:
        services = list(pages(ecs, "list_services", "serviceArns", cluster=cluster_arn))
        for start in range(0, len(services), 10):  # DescribeServices takes at most 10 services per call
            for svc in ecs.describe_services(cluster=cluster_arn, services=services[start:start + 10],
                                             include=["TAGS"]).get("services") or ():
                yield item(scope, "AWS::ECS::Service", svc["serviceName"], svc, arn=svc["serviceArn"],
                           tags=svc.get("tags") or {})


def collect_eks(scope: Scope) -> Iterator[ConfigItem]:
    eks = scope.client("eks")
    for name in pages(eks, "list_clusters", "clusters"):
        cluster = (optional(eks.describe_cluster, "ResourceNotFoundException", name=name) or {}).get("cluster")
        if cluster:
            yield item(scope, "AWS::EKS::Cluster", name, cluster, arn=cluster.get("arn"),
                       tags=cluster.get("tags") or {})


def collect_ecr(scope: Scope) -> Iterator[ConfigItem]:
    for repo in pages(scope.client("ecr"), "describe_repositories", "repositories"):
        yield item(scope, "AWS::ECR::Repository", repo["repositoryName"], repo, arn=repo["repositoryArn"])


def collect_apprunner(scope: Scope) -> Iterator[ConfigItem]:
    client = scope.client("apprunner")
    for svc in token_pages(client.list_services, "ServiceSummaryList"):
        yield item(scope, "AWS::AppRunner::Service", svc["ServiceId"], svc, arn=svc.get("ServiceArn"),
                   name=svc.get("ServiceName"))


def collect_beanstalk(scope: Scope) -> Iterator[ConfigItem]:
    for env in pages(scope.client("elasticbeanstalk"), "describe_environments", "Environments",
                     IncludeDeleted=False):
        yield item(scope, "AWS::ElasticBeanstalk::Environment", env["EnvironmentId"], env,
                   arn=env.get("EnvironmentArn"), name=env.get("EnvironmentName"))


def collect_autoscaling(scope: Scope) -> Iterator[ConfigItem]:
    for group in pages(scope.client("autoscaling"), "describe_auto_scaling_groups", "AutoScalingGroups"):
        yield item(scope, "AWS::AutoScaling::AutoScalingGroup", group["AutoScalingGroupName"], group,
                   arn=group.get("AutoScalingGroupARN"), tags=group.get("Tags") or {})


def collect_load_balancers(scope: Scope) -> Iterator[ConfigItem]:
    """Application, network and gateway load balancers (v2) and classic load balancers."""
    for lb in pages(scope.client("elbv2"), "describe_load_balancers", "LoadBalancers"):
        yield item(scope, "AWS::ElasticLoadBalancingV2::LoadBalancer", lb["LoadBalancerName"], lb,
                   arn=lb["LoadBalancerArn"])
    for lb in pages(scope.client("elb"), "describe_load_balancers", "LoadBalancerDescriptions"):
        name = lb["LoadBalancerName"]
        yield item(scope, "AWS::ElasticLoadBalancing::LoadBalancer", name, lb,
                   arn=arn_of(scope, "elasticloadbalancing", f"loadbalancer/{name}"))


def collect_apigateway(scope: Scope) -> Iterator[ConfigItem]:
    """REST APIs (v1) and HTTP/WebSocket APIs (v2); API keys are never listed."""
    for api in pages(scope.client("apigateway"), "get_rest_apis", "items"):
        yield item(scope, "AWS::ApiGateway::RestApi", api["id"], api, name=api.get("name"),
                   arn=f"arn:{scope.partition}:apigateway:{scope.region}::/restapis/{api['id']}",
                   tags=api.get("tags") or {})
    for api in pages(scope.client("apigatewayv2"), "get_apis", "Items"):
        yield item(scope, "AWS::ApiGatewayV2::Api", api["ApiId"], api, name=api.get("Name"),
                   arn=f"arn:{scope.partition}:apigateway:{scope.region}::/apis/{api['ApiId']}",
                   tags=api.get("Tags") or {})


def collect_events(scope: Scope) -> Iterator[ConfigItem]:
    client = scope.client("events")
    for bus in token_pages(client.list_event_buses, "EventBuses"):
        yield item(scope, "AWS::Events::EventBus", bus["Name"], bus, arn=bus.get("Arn"))


def collect_stepfunctions(scope: Scope) -> Iterator[ConfigItem]:
    for machine in pages(scope.client("stepfunctions"), "list_state_machines", "stateMachines"):
        yield item(scope, "AWS::StepFunctions::StateMachine", machine["name"], machine,
                   arn=machine["stateMachineArn"])


def collect_ses(scope: Scope) -> Iterator[ConfigItem]:
    client = scope.client("sesv2")
    for identity in token_pages(client.list_email_identities, "EmailIdentities"):
        name = identity["IdentityName"]
        yield item(scope, "AWS::SES::EmailIdentity", name, identity, arn=arn_of(scope, "ses", f"identity/{name}"))


def collect_cognito(scope: Scope) -> Iterator[ConfigItem]:
    """User pools (their app clients, which hold secrets, are not read)."""
    for pool in pages(scope.client("cognito-idp"), "list_user_pools", "UserPools", MaxResults=60):
        yield item(scope, "AWS::Cognito::UserPool", pool["Id"], pool,
                   arn=arn_of(scope, "cognito-idp", f"userpool/{pool['Id']}"), name=pool.get("Name"))


def collect_cloudtrail(scope: Scope) -> Iterator[ConfigItem]:
    """Trails whose home is this region (a multi-region trail is listed once, in its home region)."""
    for trail in scope.client("cloudtrail").describe_trails(includeShadowTrails=False).get("trailList") or ():
        yield item(scope, "AWS::CloudTrail::Trail", trail["Name"], trail, arn=trail.get("TrailARN"),
                   region=trail.get("HomeRegion"))


def collect_logs(scope: Scope) -> Iterator[ConfigItem]:
    for group in pages(scope.client("logs"), "describe_log_groups", "logGroups"):
        arn = str(group.get("arn") or "").removesuffix(":*") or None
        yield item(scope, "AWS::Logs::LogGroup", group["logGroupName"], group, arn=arn)


def collect_cloudwatch(scope: Scope) -> Iterator[ConfigItem]:
    for alarm in pages(scope.client("cloudwatch"), "describe_alarms", "MetricAlarms"):
        yield item(scope, "AWS::CloudWatch::Alarm", alarm["AlarmName"], alarm, arn=alarm.get("AlarmArn"))


def collect_cloudformation(scope: Scope) -> Iterator[ConfigItem]:
    """Stacks (parameters and outputs, which may hold secrets, are dropped at once)."""
    for stack in pages(scope.client("cloudformation"), "describe_stacks", "Stacks"):
        yield item(scope, "AWS::CloudFormation::Stack", stack["StackName"], stack, arn=stack.get("StackId"),
                   tags=stack.get("Tags") or {})


def collect_glue(scope: Scope) -> Iterator[ConfigItem]:
    glue = scope.client("glue")
    for db in pages(glue, "get_databases", "DatabaseList"):
        yield item(scope, "AWS::Glue::Database", db["Name"], db, arn=arn_of(scope, "glue", f"database/{db['Name']}"))
    for name in pages(glue, "list_jobs", "JobNames"):
        yield item(scope, "AWS::Glue::Job", name, {"Name": name}, arn=arn_of(scope, "glue", f"job/{name}"))


def collect_athena(scope: Scope) -> Iterator[ConfigItem]:
    for group in pages(scope.client("athena"), "list_work_groups", "WorkGroups"):
        yield item(scope, "AWS::Athena::WorkGroup", group["Name"], group,
                   arn=arn_of(scope, "athena", f"workgroup/{group['Name']}"))


#: EMR clusters that still exist (https://docs.aws.amazon.com/emr/latest/APIReference/API_ListClusters.html).
EMR_ACTIVE = ["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING", "TERMINATING"]


def collect_emr(scope: Scope) -> Iterator[ConfigItem]:
    for cluster in pages(scope.client("emr"), "list_clusters", "Clusters", ClusterStates=EMR_ACTIVE):
        yield item(scope, "AWS::EMR::Cluster", cluster["Id"], cluster,
                   arn=arn_of(scope, "elasticmapreduce", f"cluster/{cluster['Id']}"), name=cluster.get("Name"))


def collect_sagemaker(scope: Scope) -> Iterator[ConfigItem]:
    sagemaker = scope.client("sagemaker")
    for nb in pages(sagemaker, "list_notebook_instances", "NotebookInstances"):
        yield item(scope, "AWS::SageMaker::NotebookInstance", nb["NotebookInstanceName"], nb,
                   arn=nb.get("NotebookInstanceArn"))
    for model in pages(sagemaker, "list_models", "Models"):
        yield item(scope, "AWS::SageMaker::Model", model["ModelName"], model, arn=model.get("ModelArn"))
    for endpoint in pages(sagemaker, "list_endpoints", "Endpoints"):
        yield item(scope, "AWS::SageMaker::Endpoint", endpoint["EndpointName"], endpoint,
                   arn=endpoint.get("EndpointArn"))
    for domain in pages(sagemaker, "list_domains", "Domains"):
        yield item(scope, "AWS::SageMaker::Domain", domain["DomainId"], domain, arn=domain.get("DomainArn"),
                   name=domain.get("DomainName"))


def collect_bedrock(scope: Scope) -> Iterator[ConfigItem]:
    """Agents and knowledge bases (the data-bearing parts of Bedrock)."""
    agent = scope.client("bedrock-agent")
    for summary in pages(agent, "list_agents", "agentSummaries"):
        agent_id = summary["agentId"]
        yield item(scope, "AWS::Bedrock::Agent", agent_id, summary, arn=arn_of(scope, "bedrock", f"agent/{agent_id}"),
                   name=summary.get("agentName"))
    for kb in pages(agent, "list_knowledge_bases", "knowledgeBaseSummaries"):
        kb_id = kb["knowledgeBaseId"]
        yield item(scope, "AWS::Bedrock::KnowledgeBase", kb_id, kb,
                   arn=arn_of(scope, "bedrock", f"knowledge-base/{kb_id}"), name=kb.get("name"))
