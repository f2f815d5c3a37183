#!/usr/bin/env python3
"""Creates and inspects AWS resources in moto for the tests (with boto3).

  aws_fixture.py ENDPOINT setup NAME         a cluster, VPC, ALB + target group + listener, a service NAME on
                                             revision 1 of family NAME, a hosted zone, a Cloud Map namespace and
                                             service, and an alarm NAME-5xx in OK; prints their ids as JSON
  aws_fixture.py ENDPOINT set-alarm NAME STATE [REASON]
  aws_fixture.py ENDPOINT flap-alarm NAME REASON       ALARM, then at once back to OK (a flap between two looks)
  aws_fixture.py ENDPOINT service CLUSTER SERVICE      DescribeServices output for one service
  aws_fixture.py ENDPOINT task-definitions FAMILY      every revision's ARN and images
  aws_fixture.py ENDPOINT records ZONE_ID              the zone's record sets
  aws_fixture.py ENDPOINT state NAME                   a digest of NAME's mutable resources, for "nothing changed" checks
"""
import json
import sys
import time

import boto3
import botocore.exceptions


class Retrying:
    """A boto3 client whose calls are retried when moto's threaded server, under the load of the whole
    suite, answers one with a body that is not XML/JSON (botocore's ResponseParserError); seen in CI on
    CreateTargetGroup. The fixture's calls are creates with fixed names or reads, safe to repeat."""

    def __init__(self, inner):
        self._inner = inner

    def __getattr__(self, attribute):
        target = getattr(self._inner, attribute)
        if not callable(target):
            return target

        def call(*args, **kwargs):
            for attempt in range(4):
                try:
                    return target(*args, **kwargs)
                except botocore.exceptions.ResponseParserError:
                    if attempt == 3:
                        raise
                    time.sleep(0.3 * (attempt + 1))
        return call


def client(endpoint, name):
    return Retrying(boto3.client(name, endpoint_url=endpoint, region_name="us-east-1",
                                 aws_access_key_id="test", aws_secret_access_key="test"))


def setup(endpoint, name):
    ecs = client(endpoint, "ecs")
    ec2 = client(endpoint, "ec2")
    elb = client(endpoint, "elbv2")
    r53 = client(endpoint, "route53")
    sd = client(endpoint, "servicediscovery")
    cw = client(endpoint, "cloudwatch")
    ecs.create_cluster(clusterName=name)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.%d.0/24" % i,
                                 AvailabilityZone="us-east-1" + "ab"[i])["Subnet"]["SubnetId"] for i in range(2)]
    sg = ec2.create_security_group(GroupName=name + "-sg", Description="t", VpcId=vpc)["GroupId"]
    lb = elb.create_load_balancer(Name=name + "-lb", Subnets=subnets, SecurityGroups=[sg])["LoadBalancers"][0]
    tg = elb.create_target_group(Name=name + "-tg", Protocol="HTTP", Port=80, VpcId=vpc,
                                 TargetType="ip")["TargetGroups"][0]
    canary_tg = elb.create_target_group(Name=name + "-ctg", Protocol="HTTP", Port=80, VpcId=vpc,
                                        TargetType="ip")["TargetGroups"][0]
    listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                   DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
    td = ecs.register_task_definition(
        family=name, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "app", "image": "registry.example.com/%s:v1" % name, "essential": True,
                               "portMappings": [{"containerPort": 8080, "protocol": "tcp"}]}])["taskDefinition"]
    ecs.create_service(
        cluster=name, serviceName=name, taskDefinition=td["taskDefinitionArn"], desiredCount=2,
        launchType="FARGATE",
        loadBalancers=[{"targetGroupArn": tg["TargetGroupArn"], "containerName": "app", "containerPort": 8080}],
        networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [sg],
                                                      "assignPublicIp": "DISABLED"}})
    zone = r53.create_hosted_zone(Name=name + ".example.com", CallerReference=name)["HostedZone"]["Id"]
    op = sd.create_public_dns_namespace(Name="sd-" + name + ".example.com")["OperationId"]
    ns_id = sd.get_operation(OperationId=op)["Operation"]["Targets"]["NAMESPACE"]
    svc = sd.create_service(Name="web", NamespaceId=ns_id,
                            DnsConfig={"DnsRecords": [{"Type": "A", "TTL": 60}]})["Service"]
    sd.register_instance(ServiceId=svc["Id"], InstanceId="i-1", Attributes={"AWS_INSTANCE_IPV4": "10.0.0.5"})
    cw.put_metric_alarm(AlarmName=name + "-5xx", MetricName="HTTPCode_Target_5XX_Count", Namespace="AWS/ApplicationELB",
                        Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1,
                        ComparisonOperator="GreaterThanOrEqualToThreshold")
    cw.set_alarm_state(AlarmName=name + "-5xx", StateValue="OK", StateReason="fixture")
    print(json.dumps({
        "cluster": name, "service": name, "family": name, "task_definition_arn": td["taskDefinitionArn"],
        "load_balancer_arn": lb["LoadBalancerArn"], "load_balancer_dns": lb["DNSName"],
        "load_balancer_zone": lb["CanonicalHostedZoneId"], "target_group_arn": tg["TargetGroupArn"],
        "listener_arn": listener["Listeners"][0]["ListenerArn"],
        "canary_target_group_arn": canary_tg["TargetGroupArn"], "hosted_zone_id": zone.split("/")[-1],
        "namespace_id": ns_id, "sd_service_id": svc["Id"], "alarm": name + "-5xx", "subnets": subnets,
        "security_group": sg,
    }))


def main():
    endpoint, command, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    if command == "setup":
        setup(endpoint, args[0])
    elif command == "set-alarm":
        client(endpoint, "cloudwatch").set_alarm_state(
            AlarmName=args[0], StateValue=args[1], StateReason=args[2] if len(args) > 2 else "set by the test")
        print("{}")
    elif command == "flap-alarm":
        cw = client(endpoint, "cloudwatch")
        cw.set_alarm_state(AlarmName=args[0], StateValue="ALARM", StateReason=args[1])
        cw.set_alarm_state(AlarmName=args[0], StateValue="OK", StateReason="back to normal")
        print("{}")
    elif command == "service":
        out = client(endpoint, "ecs").describe_services(cluster=args[0], services=[args[1]])
        services = [s for s in out["services"] if s["status"] != "INACTIVE"]
        print(json.dumps(services[0] if services else {}, default=str))
    elif command == "task-definitions":
        ecs = client(endpoint, "ecs")
        arns = ecs.list_task_definitions(familyPrefix=args[0])["taskDefinitionArns"]
        out = []
        for arn in arns:
            td = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
            out.append({"arn": arn, "images": [c["image"] for c in td["containerDefinitions"]]})
        print(json.dumps({"revisions": out}))
    elif command == "describe-td":
        out = client(endpoint, "ecs").describe_task_definition(taskDefinition=args[0], include=["TAGS"])
        print(json.dumps({"taskDefinition": out["taskDefinition"], "tags": out.get("tags", [])}, default=str))
    elif command == "records":
        sets = client(endpoint, "route53").list_resource_record_sets(HostedZoneId=args[0])["ResourceRecordSets"]
        print(json.dumps({"records": sets}, default=str))
    elif command == "state":
        # Everything mutable that belongs to the fixture NAME (its cluster, family and zone).
        name = args[0]
        ecs = client(endpoint, "ecs")
        state = {}
        for cluster in [c for c in ecs.list_clusters()["clusterArns"] if c.endswith("/" + name)]:
            for svc_arn in ecs.list_services(cluster=cluster)["serviceArns"]:
                svc = ecs.describe_services(cluster=cluster, services=[svc_arn])["services"][0]
                state[svc_arn] = [svc["taskDefinition"], svc["desiredCount"], svc["status"]]
        state["task_definitions"] = ecs.list_task_definitions(familyPrefix=name)["taskDefinitionArns"]
        r53 = client(endpoint, "route53")
        for zone in [z for z in r53.list_hosted_zones()["HostedZones"] if z["Name"] == name + ".example.com."]:
            sets = r53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
            state[zone["Id"]] = sorted(json.dumps(s, sort_keys=True, default=str) for s in sets)
        print(json.dumps(state, sort_keys=True))
    elif command == "listener":
        # A listener's default actions as (target group, weight) pairs: [[arn, weight-or-null], ...].
        actions = client(endpoint, "elbv2").describe_listeners(ListenerArns=[args[0]])["Listeners"][0]["DefaultActions"]
        forward = actions[-1]
        groups = forward.get("ForwardConfig", {}).get("TargetGroups")
        if groups:
            pairs = [[g["TargetGroupArn"], g.get("Weight")] for g in groups]
        else:
            pairs = [[forward.get("TargetGroupArn"), None]]
        print(json.dumps({"forward": pairs, "raw": actions}, default=str))
    elif command == "service-deployments":
        # A service's deployments of ECS's own strategies, newest first, with what UpdateService sent.
        ecs = client(endpoint, "ecs")
        briefs = ecs.list_service_deployments(cluster=args[0], service=args[1])["serviceDeployments"]
        arns = [b["serviceDeploymentArn"] for b in briefs]
        full = ecs.describe_service_deployments(serviceDeploymentArns=arns)["serviceDeployments"] if arns else []
        print(json.dumps({"deployments": full}, default=str))
    elif command == "bucket":
        client(endpoint, "s3").create_bucket(Bucket=args[0])
        print("{}")
    elif command == "bucket-dump":
        # Every object of a bucket: key → text (for the tests that grep the whole state).
        s3 = client(endpoint, "s3")
        out = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=args[0]):
            for obj in page.get("Contents", []):
                out[obj["Key"]] = s3.get_object(Bucket=args[0], Key=obj["Key"])["Body"].read().decode("utf-8", "replace")
        print(json.dumps(out))
    else:
        sys.exit("unknown command " + command)


if __name__ == "__main__":
    main()
