#!/usr/bin/env python3
"""Helpers of the emulator stage of scripts/check-terraform.sh, which applies, re-plans and
destroys the bootstrap and every environment against moto_server on 127.0.0.1.

  emulator.py wait ENDPOINT                       until the emulator answers (30 s at most)
  emulator.py inventory ENDPOINT REGION           every object the kit can create, as JSON
  emulator.py leftovers BEFORE.json AFTER.json    what AFTER has that BEFORE had not; exits 1
                                                  unless that is nothing but KMS keys pending
                                                  deletion (and the emulator's own NAT leftovers)
  emulator.py count STATE.json                    managed resource instances in `terraform show -json`
  emulator.py check-plan PLAN.json CHANGE          a change test on `terraform show -json PLAN`
  emulator.py workarounds PLAN.json                -replace options the emulator needs to apply PLAN
  emulator.py state-encryption ENDPOINT BUCKET OBJECT_KEY EXPECTED_KEY_ARN
                                                  reads an object's encryption back; exits 1
                                                  unless it is SSE-KMS with the expected key
                                                  (and not the bucket's default key)
  emulator.py empty-bucket ENDPOINT BUCKET        deletes every object version and delete marker
  emulator.py delete-bucket-policy ENDPOINT BUCKET

Talks to ENDPOINT only (http://127.0.0.1:PORT) with the emulator's test credentials.
"""

import json
import sys
import time
import urllib.request

CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


def client(service, endpoint, region="us-east-1"):
    import boto3  # only the commands that talk to the emulator need it

    return boto3.client(service, endpoint_url=endpoint, region_name=region, **CREDENTIALS)


def wait(endpoint):
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                sys.exit(f"the emulator at {endpoint} did not answer within 30 s")
            time.sleep(0.3)


def paginate(c, operation, key, **kwargs):
    items = []
    for page in c.get_paginator(operation).paginate(**kwargs):
        items.extend(page.get(key, []))
    return items


def inventory(endpoint, region):
    """Every kind of object the bootstrap and the environments create, by identifier. KMS keys
    carry their state: a destroyed key is not deleted but scheduled for deletion."""
    ec2 = client("ec2", endpoint, region)
    eks = client("eks", endpoint, region)
    iam = client("iam", endpoint, region)
    kms = client("kms", endpoint, region)
    s3 = client("s3", endpoint, region)
    ecr = client("ecr", endpoint, region)
    logs = client("logs", endpoint, region)
    found = {
        "ec2 vpcs": [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]],
        "ec2 subnets": [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]],
        "ec2 internet gateways": [g["InternetGatewayId"] for g in ec2.describe_internet_gateways()["InternetGateways"]],
        "ec2 nat gateways": [n["NatGatewayId"] for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] not in ("deleted", "deleting")],
        "ec2 elastic ips": [a.get("AllocationId", a.get("PublicIp")) for a in ec2.describe_addresses()["Addresses"]],
        "ec2 route tables": [r["RouteTableId"] for r in ec2.describe_route_tables()["RouteTables"]],
        "ec2 security groups": [g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]],
        "ec2 vpc endpoints": [e["VpcEndpointId"] for e in ec2.describe_vpc_endpoints()["VpcEndpoints"] if e["State"].lower() not in ("deleted", "deleting")],
        "ec2 flow logs": [f["FlowLogId"] for f in ec2.describe_flow_logs()["FlowLogs"]],
        "ec2 launch templates": [t["LaunchTemplateId"] for t in ec2.describe_launch_templates()["LaunchTemplates"]],
        "ec2 instances": [i["InstanceId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"] if i["State"]["Name"] != "terminated"],
        "ec2 network interfaces": [n["NetworkInterfaceId"] for n in ec2.describe_network_interfaces()["NetworkInterfaces"]],
        # Emulator gap: DeleteNatGateway in moto 5.2.5 marks the gateway deleted but keeps its
        # network interface (AWS deletes it). Those are counted apart, not as leftovers.
        "ec2 network interfaces of deleted nat gateways": [
            a["NetworkInterfaceId"]
            for n in ec2.describe_nat_gateways()["NatGateways"]
            if n["State"] == "deleted"
            for a in n.get("NatGatewayAddresses", [])
            if "NetworkInterfaceId" in a
        ],
        "eks clusters": eks.list_clusters()["clusters"],
        "eks node groups": [f"{c}/{g}" for c in eks.list_clusters()["clusters"] for g in eks.list_nodegroups(clusterName=c)["nodegroups"]],
        "iam roles": [r["RoleName"] for r in paginate(iam, "list_roles", "Roles")],
        "iam policies": [p["Arn"] for p in paginate(iam, "list_policies", "Policies", Scope="Local")],
        "iam oidc providers": [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]],
        "kms aliases": [a["AliasName"] for a in paginate(kms, "list_aliases", "Aliases") if not a["AliasName"].startswith("alias/aws/")],
        "s3 buckets": [b["Name"] for b in s3.list_buckets().get("Buckets", [])],
        "ecr repositories": [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]],
        "logs log groups": [g["logGroupName"] for g in paginate(logs, "describe_log_groups", "logGroups")],
    }
    found["kms keys"] = {
        k["KeyId"]: kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] for k in paginate(kms, "list_keys", "Keys")
    }
    return found


def leftovers(before, after):
    left, pending = [], 0
    nat_enis = set(after.get("ec2 network interfaces of deleted nat gateways", []))
    for kind, items in after.items():
        known = before.get(kind, [])
        if kind == "ec2 network interfaces of deleted nat gateways":
            continue
        if kind == "ec2 network interfaces":
            items = [i for i in items if i not in nat_enis]
        if kind == "kms keys":
            for key, state in items.items():
                if key in known:
                    continue
                if state == "PendingDeletion":
                    pending += 1
                else:
                    left.append(f"{kind}: {key} ({state})")
            continue
        left.extend(f"{kind}: {item}" for item in items if item not in known)
    for line in left:
        print(f"left after destroy: {line}", file=sys.stderr)
    gap = len(nat_enis - set(before.get("ec2 network interfaces of deleted nat gateways", [])))
    print(f"{len(left)} (KMS keys pending deletion: {pending}; deleted NAT gateways' network interfaces the emulator keeps: {gap})")
    return 1 if left else 0


def count(state):
    return sum(1 for r in resources(state.get("values", {}).get("root_module", {})) if r["mode"] == "managed")


# Attributes that name an object, or give it an address range, that can exist only once: when a
# replacement keeps one of them, the new object collides with the old one (create first) or the
# thing is gone until it is recreated (destroy first).
IDENTITY = ("name", "bucket", "cidr_block", "node_group_name", "url", "repository_name")
# What carries a zone's egress: its NAT gateway, its private route to it, and the association
# that puts the zone's private subnet behind that route table.
EGRESS = ("aws_nat_gateway", "aws_route", "aws_route_table_association", "aws_route_table")


def resources(module):
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from resources(child)


def check_plan(plan, change):
    """Fails on a replacement that keeps a fixed name or range, on any deletion except the
    removed zones' own resources, and on any change to the egress of a zone that stays. The
    zones before are those of the private subnets in the state, after those of var.azs."""
    prior = plan.get("prior_state", {}).get("values", {}).get("root_module", {})
    old_azs = {r["index"] for r in resources(prior) if r["address"].startswith("module.network.aws_subnet.private[")}
    new_azs = set(plan.get("variables", {}).get("azs", {}).get("value", []))
    removed, kept = old_azs - new_azs, old_azs & new_azs
    print(f">> {change}: zones {sorted(old_azs)} -> {sorted(new_azs)}")
    problems, replaced, deleted, updated = [], [], [], []
    for rc in plan.get("resource_changes", []):
        actions = rc["change"]["actions"]
        if rc["mode"] != "managed" or actions == ["no-op"]:
            continue
        address, zone = rc["address"], rc.get("index")
        before = rc["change"].get("before") or {}
        after = rc["change"].get("after") or {}
        unknown = rc["change"].get("after_unknown") or {}
        if actions == ["update"]:
            updated.append(address)
            if rc["type"] == "aws_route" and zone in kept and before.get("nat_gateway_id") != after.get("nat_gateway_id"):
                problems.append(f"{address}: the route of zone {zone}, which stays, moves to another NAT gateway")
            continue
        if "create" in actions and "delete" in actions:
            replaced.append(address)
            fixed = [a for a in IDENTITY if before.get(a) and not unknown.get(a) and after.get(a) == before.get(a)]
            if fixed:
                problems.append(f"{address} is replaced keeping its {', '.join(f'{a} {before[a]!r}' for a in fixed)}")
        elif "delete" in actions:
            deleted.append(address)
            if zone not in removed:
                problems.append(f"{address} is deleted, and it is not a resource of a removed zone")
        if "delete" in actions and rc["type"] in EGRESS and zone in kept:
            problems.append(f"{address}: zone {zone} stays, but its egress ({rc['type']}) is deleted")
    for label, items in (("replaced", replaced), ("deleted", deleted), ("updated in place", updated)):
        print(f">> {change}: {label}: {', '.join(items) if items else 'nothing'}")
    for problem in problems:
        print(f">> {change}: FAIL: {problem}", file=sys.stderr)
    return 1 if problems else 0


def workarounds(plan):
    """-replace options for the apply of a change test: what moto 5.2.5 can only apply by
    replacing it. ModifyVpcEndpoint there records added route tables without adding the
    endpoint's route to them, so the next DeleteVpcEndpoints fails (InvalidRoute.NotFound); a
    gateway endpoint whose route tables change is therefore recreated in the emulator (the
    change test has checked the plan AWS would get, which updates it in place)."""
    for rc in plan.get("resource_changes", []):
        change = rc["change"]
        if rc["type"] == "aws_vpc_endpoint" and change["actions"] == ["update"] and (change["before"] or {}).get(
            "route_table_ids"
        ) != (change["after"] or {}).get("route_table_ids"):
            print(f"-replace={rc['address']}")
    return 0


def state_encryption(endpoint, bucket, key, expected_arn):
    s3, kms = client("s3", endpoint), client("kms", endpoint)
    default = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    bucket_key_arn = default["ApplyServerSideEncryptionByDefault"].get("KMSMasterKeyID")
    head = s3.head_object(Bucket=bucket, Key=key)
    sse, key_id = head.get("ServerSideEncryption"), head.get("SSEKMSKeyId")
    # S3 reports the key as an ARN; the emulator echoes what the writer named (an alias here).
    key_arn = kms.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"] if key_id else None
    print(f">> s3://{bucket}/{key}: {sse}, key {key_id} = {key_arn}")
    if sse != "aws:kms" or key_arn != expected_arn:
        print(f">> FAIL: expected SSE-KMS with {expected_arn}", file=sys.stderr)
        return 1
    if key_arn == bucket_key_arn:
        print(">> FAIL: that is the bucket's default key, not the environment's state key", file=sys.stderr)
        return 1
    return 0


def empty_bucket(endpoint, bucket):
    s3 = client("s3", endpoint)
    versions = s3.list_object_versions(Bucket=bucket)
    for item in versions.get("Versions", []) + versions.get("DeleteMarkers", []):
        s3.delete_object(Bucket=bucket, Key=item["Key"], VersionId=item["VersionId"])


def main(argv):
    command, args = argv[1], argv[2:]
    if command == "wait":
        wait(*args)
    elif command == "inventory":
        json.dump(inventory(*args), sys.stdout, indent=1)
    elif command == "leftovers":
        with open(args[0]) as b, open(args[1]) as a:
            return leftovers(json.load(b), json.load(a))
    elif command == "count":
        with open(args[0]) as f:
            print(count(json.load(f)))
    elif command == "check-plan":
        with open(args[0]) as f:
            return check_plan(json.load(f), args[1])
    elif command == "workarounds":
        with open(args[0]) as f:
            return workarounds(json.load(f))
    elif command == "state-encryption":
        return state_encryption(*args)
    elif command == "empty-bucket":
        empty_bucket(*args)
    elif command == "delete-bucket-policy":
        client("s3", args[0]).delete_bucket_policy(Bucket=args[1])
    else:
        sys.exit(f"unknown command {command}: see {argv[0]}'s docstring")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
