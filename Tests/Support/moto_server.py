#!/usr/bin/env python3
"""moto's server, in-process, for the tests — with ECS deployments that move by themselves.

moto never advances an ECS deployment, runs no task for a service and has no alarm history. This
server patches moto so that, as on ECS (see patch_ecs and patch_cloudwatch for the rules): deployments
move IN_PROGRESS → COMPLETED/FAILED after ROLLOUT seconds (env PIPELINE_TEST_ECS_ROLLOUT_SECONDS,
default 1), services run tasks (ListTasks, DescribeTasks) that fail for a "broken" image and stay
unhealthy for an "unhealthy" one, target health follows task health, and DescribeAlarmHistory answers;
ECS's own BLUE_GREEN/LINEAR/CANARY service deployments are modelled (patch_ecs_native), and S3's
conditional writes are atomic, as on S3 (patch_s3).

Prints one JSON line {"port": N, ...} when ready. With --auth, creates an IAM user, switches moto's
signature checking on, and prints the user's keys too. Dies with its parent process.
"""
import argparse
import json
import os
import signal
import sys
import threading
import time
import urllib.request


# Nothing in this process may look for real credentials (botocore would ask the EC2 metadata address).
os.environ.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_EC2_METADATA_DISABLED="true",
                  AWS_DEFAULT_REGION="us-east-1")
os.environ.pop("AWS_PROFILE", None)


def die_with_parent():
    """Exit when the test process goes: its end of our stdin closes. (Not PR_SET_PDEATHSIG: it fires when
    the *thread* that spawned us exits, and a test runner's threads come and go.)"""

    def watch():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        finally:
            os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


class SimTask(dict):
    """A task of a service as DescribeTasks returns it (a dict the serializer reads by key)."""

    @property
    def task_arn(self):
        return self["taskArn"]


def patch_ecs():
    """ECS services whose deployments and tasks move by themselves, as on ECS.

    * UpdateService with a new task definition (or forceNewDeployment) starts a new PRIMARY deployment
      IN_PROGRESS; the previous one becomes ACTIVE. After ROLLOUT seconds its tasks start:
      - an image containing "broken" cannot start: the tasks stop at once (stopCode TaskFailedToStart,
        CannotPullContainerError), failedTasks counts them, the deployment is FAILED (circuit breaker)
        and the service goes back to the revision it ran before;
      - an image containing "unhealthy" starts tasks whose targets stay unhealthy
        (Target.ResponseCodeMismatch) and whose container health is UNHEALTHY: the deployment never
        completes;
      - otherwise the tasks run HEALTHY, the deployment is COMPLETED, the old deployments' tasks stop
        (ServiceSchedulerInitiated) and the old deployments are gone.
    * A desired-count change on a COMPLETED deployment starts or stops tasks of that deployment, with
      the same rules (so scaling a broken revision up fails tasks, it does not count them as running).
    * ListTasks (by serviceName, desiredStatus, startedBy) and DescribeTasks return these tasks, and
      DescribeTargetHealth of a service's target group lists its running tasks by IP: target health
      follows task health.
    """
    from moto.ecs import models
    from moto.ecs import responses as ecs_responses
    from moto.core.utils import utcnow

    backend_cls = models.EC2ContainerServiceBackend
    rollout = float(os.environ.get("PIPELINE_TEST_ECS_ROLLOUT_SECONDS", "1"))
    lock = threading.RLock()
    started = {}  # deployment id -> start time
    sim_tasks = {}  # service arn -> [SimTask]
    counter = [0]

    def images(backend, task_definition_arn):
        try:
            td = backend.describe_task_definition(task_definition_arn)
        except Exception:
            return []
        return [c.get("image") or "" for c in td.container_definitions]

    def kind(backend, task_definition_arn):
        imgs = images(backend, task_definition_arn)
        if any("broken" in i for i in imgs):
            return "broken"
        if any("unhealthy" in i for i in imgs):
            return "unhealthy"
        return "good"

    def new_deployment(service):
        counter[0] += 1
        dep_id = "ecs-svc/%d%04d" % (int(time.time() * 1e6), counter[0])
        now = utcnow()
        started[dep_id] = time.time()
        return {
            "createdAt": now, "updatedAt": now, "desiredCount": service.desired_count, "failedTasks": 0,
            "id": dep_id, "launchType": service.launch_type, "pendingCount": service.desired_count,
            "runningCount": 0, "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": "ECS deployment %s in progress." % dep_id,
            "status": "PRIMARY", "taskDefinition": service.task_definition,
        }

    def start_task(backend, service, dep, how):
        counter[0] += 1
        task_id = "%032x" % (int(time.time() * 1e6) * 10000 + counter[0])
        cluster = service.cluster_arn.split("/")[-1]
        region = service.cluster_arn.split(":")[3]
        account = service.cluster_arn.split(":")[4]
        arn = "arn:aws:ecs:%s:%s:task/%s/%s" % (region, account, cluster, task_id)
        ip = "10.0.%d.%d" % ((counter[0] // 250) % 250, counter[0] % 250 + 2)
        now = utcnow()
        task = SimTask({
            "taskArn": arn, "clusterArn": service.cluster_arn, "taskDefinitionArn": dep["taskDefinition"],
            "startedBy": dep["id"], "group": "service:" + service.name, "launchType": service.launch_type,
            "createdAt": now, "desiredStatus": "RUNNING", "lastStatus": "RUNNING", "healthStatus": "HEALTHY",
            "containers": [{"name": "app", "lastStatus": "RUNNING", "healthStatus": "HEALTHY",
                            "taskArn": arn, "networkBindings": []}],
            "attachments": [{"id": task_id[:8], "type": "ElasticNetworkInterface", "status": "ATTACHED",
                             "details": [{"name": "privateIPv4Address", "value": ip}]}],
            "startedAt": now,
        })
        if how == "broken":
            image = (images(backend, dep["taskDefinition"]) or ["?"])[0]
            reason = ("CannotPullContainerError: pull image manifest has been retried 1 time(s): "
                      "failed to resolve ref %s: not found" % image)
            task.update({"desiredStatus": "STOPPED", "lastStatus": "STOPPED", "healthStatus": "UNKNOWN",
                         "stopCode": "TaskFailedToStart", "stoppedReason": reason, "stoppedAt": now})
            task["containers"][0].update({"lastStatus": "STOPPED", "healthStatus": "UNKNOWN", "reason": reason})
            dep["failedTasks"] = dep.get("failedTasks", 0) + 1
        elif how == "unhealthy":
            task["healthStatus"] = "UNHEALTHY"
            task["containers"][0]["healthStatus"] = "UNHEALTHY"
        sim_tasks.setdefault(service.arn, []).append(task)
        return task

    def stop(task, reason, code="ServiceSchedulerInitiated"):
        now = utcnow()
        task.update({"desiredStatus": "STOPPED", "lastStatus": "STOPPED", "stopCode": code,
                     "stoppedReason": reason, "stoppedAt": now})
        task["containers"][0].update({"lastStatus": "STOPPED", "exitCode": 0})

    def running(service, dep_id=None):
        return [t for t in sim_tasks.get(service.arn, [])
                if t["lastStatus"] == "RUNNING" and (dep_id is None or t["startedBy"] == dep_id)]

    original_create = backend_cls.create_service

    def create_service(self, *args, **kwargs):
        with lock:
            service = original_create(self, *args, **kwargs)
            service.deployments = [new_deployment(service)]
            service.running_count = 0
            service.pending_count = service.desired_count
            return service

    original_update = backend_cls.update_service

    def update_service(self, props):
        with lock:
            cluster = props.get("cluster", "default")
            name = props["service"].split("/")[-1]
            before = self._get_service(cluster, name).task_definition
            force = props.get("force_new_deployment", False)
            service = original_update(self, dict(props))
            if service.task_definition != before or force:
                for dep in service.deployments:
                    if dep["status"] == "PRIMARY":
                        dep["status"] = "ACTIVE"
                service.deployments.insert(0, new_deployment(service))
            for dep in service.deployments:
                if dep["status"] == "PRIMARY":
                    dep["desiredCount"] = service.desired_count
            advance(self, service)
            return service

    def reconcile(self, service, dep):
        """Brings a COMPLETED deployment's running tasks to its desired count."""
        mine = running(service, dep["id"])
        how = kind(self, dep["taskDefinition"])
        for task in mine[dep["desiredCount"]:]:
            stop(task, "Scaling activity initiated by (deployment %s)" % dep["id"])
        for _ in range(dep["desiredCount"] - len(mine)):
            start_task(self, service, dep, how)

    def advance(self, service):
        previous = [d for d in service.deployments if d["status"] == "ACTIVE"]
        for dep in list(service.deployments):
            if dep["status"] != "PRIMARY":
                continue
            if dep["rolloutState"] == "COMPLETED":
                reconcile(self, service, dep)
            elif dep["rolloutState"] == "IN_PROGRESS" and time.time() - started.get(dep["id"], 0) >= rollout:
                how = kind(self, dep["taskDefinition"])
                dep["updatedAt"] = utcnow()
                if how == "broken":
                    for _ in range(dep["desiredCount"] or 1):
                        start_task(self, service, dep, how)
                    dep["rolloutState"] = "FAILED"
                    dep["rolloutStateReason"] = (
                        "ECS deployment circuit breaker: tasks failed to start.")
                    if previous:
                        # The service keeps running what it ran before.
                        service.task_definition = previous[0]["taskDefinition"]
                elif how == "unhealthy":
                    for _ in range(dep["desiredCount"] - len(running(service, dep["id"]))):
                        start_task(self, service, dep, how)
                else:
                    for _ in range(dep["desiredCount"] - len(running(service, dep["id"]))):
                        start_task(self, service, dep, how)
                    for task in running(service):
                        if task["startedBy"] != dep["id"]:
                            stop(task, "Scaling activity initiated by (deployment %s)" % dep["id"])
                    dep["rolloutState"] = "COMPLETED"
                    dep["rolloutStateReason"] = "ECS deployment %s completed." % dep["id"]
                    service.deployments = [dep]
        for dep in service.deployments:
            dep["runningCount"] = len(running(service, dep["id"]))
            dep["pendingCount"] = max(0, dep["desiredCount"] - dep["runningCount"]) \
                if dep["rolloutState"] == "IN_PROGRESS" else 0
        service.running_count = len(running(service))
        service.pending_count = sum(d["pendingCount"] for d in service.deployments)

    original_describe = backend_cls.describe_services

    def describe_services(self, *args, **kwargs):
        with lock:
            result = original_describe(self, *args, **kwargs)
            services = result[0] if isinstance(result, tuple) else result
            for service in services:
                for dep in service.deployments:
                    if dep["status"] == "PRIMARY":
                        dep["desiredCount"] = service.desired_count
                advance(self, service)
            return result

    original_list_tasks = backend_cls.list_tasks

    def list_tasks(self, cluster_str=None, container_instance=None, family=None, started_by=None,
                   service_name=None, desiredStatus=None):
        with lock:
            out = list(original_list_tasks(self, cluster_str, container_instance, family, started_by, None,
                                           desiredStatus))
            cluster = (cluster_str or "default").split("/")[-1]
            for tasks in sim_tasks.values():
                for task in tasks:
                    if task["clusterArn"].split("/")[-1] != cluster:
                        continue
                    if service_name and task["group"] != "service:" + service_name.split("/")[-1]:
                        continue
                    if desiredStatus and task["desiredStatus"] != desiredStatus:
                        continue
                    if started_by and task["startedBy"] != started_by:
                        continue
                    out.append(task)
            return out

    original_describe_tasks = backend_cls.describe_tasks

    def describe_tasks(self, cluster_str, tasks):
        with lock:
            wanted = set(tasks)
            out = [t for ts in sim_tasks.values() for t in ts
                   if t["taskArn"] in wanted or t["taskArn"].split("/")[-1] in wanted]
            rest = [t for t in tasks if t not in {x["taskArn"] for x in out}
                    and t not in {x["taskArn"].split("/")[-1] for x in out}]
            if rest:
                out += original_describe_tasks(self, cluster_str, rest)
            return out

    # ECS's limit on CreateService's clientToken: at most 36 ASCII characters.
    original_create_response = ecs_responses.EC2ContainerServiceResponse.create_service

    def create_service_response(self):
        token = self._get_param("clientToken")
        if token is not None and (len(token) > 36 or not token.isascii()):
            from moto.ecs.exceptions import InvalidParameterException
            raise InvalidParameterException(
                "clientToken: must be at most 36 ASCII characters, got %d" % len(token))
        return original_create_response(self)

    ecs_responses.EC2ContainerServiceResponse.create_service = create_service_response
    backend_cls.create_service = create_service
    backend_cls.update_service = update_service
    backend_cls.describe_services = describe_services
    backend_cls.list_tasks = list_tasks
    backend_cls.describe_tasks = describe_tasks

    from moto.elbv2 import models as elb_models

    elb_cls = elb_models.ELBv2Backend
    original_target_health = elb_cls.describe_target_health

    def describe_target_health(self, target_group_arn, targets):
        out = list(original_target_health(self, target_group_arn, targets))
        with lock:
            from moto.ecs.models import ecs_backends
            for account in list(ecs_backends.keys()):
                for region in list(ecs_backends[account].keys()):
                    ecs = ecs_backends[account][region]
                    for service in list(ecs.services.values()):
                        lbs = [lb for lb in (service.load_balancers or [])
                               if lb.get("targetGroupArn") == target_group_arn]
                        if not lbs:
                            continue
                        port = str(lbs[0].get("containerPort") or 80)
                        for task in running(service):
                            ip = task["attachments"][0]["details"][0]["value"]
                            if task["healthStatus"] == "UNHEALTHY":
                                out.append(elb_models.FakeHealthStatus(
                                    ip, port, port, "unhealthy", "Target.ResponseCodeMismatch",
                                    "Health checks failed with these codes: [500]"))
                            else:
                                out.append(elb_models.FakeHealthStatus(ip, port, port, "healthy"))
        return out

    elb_cls.describe_target_health = describe_target_health


def patch_cloudwatch():
    """DescribeAlarmHistory (which moto lacks), from the API reference: StateUpdate items, one per change
    of an alarm's state, with HistoryData {"oldState": {...}, "newState": {...}}, filtered by AlarmName,
    HistoryItemType, StartDate and EndDate, ordered by ScanBy (TimestampDescending by default)."""
    from moto.cloudwatch import models as cw_models
    from moto.cloudwatch import responses as cw_responses
    from moto.core.responses import ActionResult
    from moto.core.utils import utcnow

    original_update_state = cw_models.Alarm.update_state

    def update_state(self, reason, reason_data, state_value):
        old = self.state_value
        old_reason = self.state_reason
        original_update_state(self, reason, reason_data, state_value)
        if old != state_value:
            if not hasattr(self, "state_history"):
                self.state_history = []
            self.state_history.append({
                "AlarmName": self.name, "AlarmType": "MetricAlarm", "Timestamp": self.state_updated_timestamp,
                "HistoryItemType": "StateUpdate",
                "HistorySummary": "Alarm updated from %s to %s" % (old, state_value),
                "HistoryData": json.dumps({
                    "version": "1.0",
                    "oldState": {"stateValue": old, "stateReason": old_reason},
                    "newState": {"stateValue": state_value, "stateReason": reason},
                }),
            })

    cw_models.Alarm.update_state = update_state

    def describe_alarm_history(self):
        name = self._get_param("AlarmName")
        item_type = self._get_param("HistoryItemType")
        start = self._get_param("StartDate")
        end = self._get_param("EndDate")
        scan = self._get_param("ScanBy") or "TimestampDescending"
        items = []
        for alarm in self.cloudwatch_backend.alarms.values():
            if name and alarm.name != name:
                continue
            items += getattr(alarm, "state_history", [])
        if item_type and item_type != "StateUpdate":
            items = []

        def stamp(value):
            if value is None or hasattr(value, "timestamp"):
                return value.timestamp() if value is not None else None
            try:
                return float(value)
            except (TypeError, ValueError):
                from dateutil import parser
                return parser.isoparse(str(value)).timestamp()
        lo, hi = stamp(start), stamp(end)
        items = [i for i in items if (lo is None or i["Timestamp"].timestamp() >= lo)
                 and (hi is None or i["Timestamp"].timestamp() <= hi)]
        items.sort(key=lambda i: i["Timestamp"], reverse=(scan != "TimestampAscending"))
        return ActionResult({"AlarmHistoryItems": items})

    cw_responses.CloudWatchResponse.describe_alarm_history = describe_alarm_history
    _ = utcnow


def enable_auth(endpoint):
    import boto3

    iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="setup", aws_secret_access_key="setup")
    iam.create_user(UserName="pipeline-test")
    iam.put_user_policy(UserName="pipeline-test", PolicyName="all", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="pipeline-test")["AccessKey"]
    req = urllib.request.Request(endpoint + "/moto-api/reset-auth", data=b"0", method="POST",
                                 headers={"Content-Type": "text/plain"})
    urllib.request.urlopen(req).read()
    return key["AccessKeyId"], key["SecretAccessKey"]


def patch_ecs_native():
    """ECS's own deployment strategies (BLUE_GREEN, LINEAR, CANARY; 2025), which moto does not have,
    modelled from the API reference: UpdateService with deploymentConfiguration.strategy starts a
    *service deployment* that goes through the lifecycle stages PRE_SCALE_UP, SCALE_UP, POST_SCALE_UP,
    TEST_TRAFFIC_SHIFT, POST_TEST_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT (a canary's bake, or each
    linear step's bake, happens in it), POST_PRODUCTION_TRAFFIC_SHIFT, BAKE_TIME (bakeTimeInMinutes)
    and CLEAN_UP, then is SUCCESSFUL. Bake times count PIPELINE_TEST_ECS_MINUTE_SECONDS (default 1)
    per minute; every other stage lasts PIPELINE_TEST_ECS_STAGE_SECONDS (default 0.4).
    ListServiceDeployments, DescribeServiceDeployments and StopServiceDeployment answer;
    StopServiceDeployment(ROLLBACK) goes ROLLBACK_REQUESTED → ROLLBACK_IN_PROGRESS →
    ROLLBACK_SUCCESSFUL with the service back on the revision it ran before (ABANDON: STOPPED). With
    deploymentConfiguration.alarms {enable, rollback}, an alarm in ALARM for 3 s rolls the deployment
    back by itself, as ECS does. The classic deployment simulation (tasks, health) runs underneath."""
    from moto.ecs import models
    from moto.ecs import responses as ecs_responses
    from moto.ecs.exceptions import InvalidParameterException

    backend_cls = models.EC2ContainerServiceBackend
    minute = float(os.environ.get("PIPELINE_TEST_ECS_MINUTE_SECONDS", "1"))
    stage = float(os.environ.get("PIPELINE_TEST_ECS_STAGE_SECONDS", "0.4"))
    lock = threading.RLock()
    deployments = {}  # arn -> record
    counter = [0]

    def plan(config):
        strategy = config.get("strategy")
        before = ["PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT"]
        shift = stage
        if strategy == "CANARY":
            canary = config.get("canaryConfiguration") or {}
            shift = stage + minute * float(canary.get("canaryBakeTimeInMinutes", 10))
        elif strategy == "LINEAR":
            linear = config.get("linearConfiguration") or {}
            step = float(linear.get("stepPercent", 10))
            steps = int(-(-100 // step))
            shift = stage + steps * minute * float(linear.get("stepBakeTimeInMinutes", 6))
        bake = minute * float(config.get("bakeTimeInMinutes", 0) or 0)
        return ([(name, stage) for name in before] + [("PRODUCTION_TRAFFIC_SHIFT", shift),
                ("POST_PRODUCTION_TRAFFIC_SHIFT", stage), ("BAKE_TIME", bake), ("CLEAN_UP", stage)])

    def alarm_firing(backend, names):
        from moto.cloudwatch.models import cloudwatch_backends
        cw = cloudwatch_backends[backend.account_id][backend.region_name]
        for name in names:
            alarm = cw.alarms.get(name)
            if alarm is not None and alarm.state_value == "ALARM":
                return name
        return None

    def roll_back(backend, d, reason):
        d["status"] = "ROLLBACK_IN_PROGRESS"
        d["statusReason"] = reason
        d["rollbackAt"] = time.time()
        backend.update_service({"cluster": d["cluster"], "service": d["service"],
                                "task_definition": d["source"]})

    def advance(backend, d):
        now = time.time()
        if d["status"] in ("PENDING", "IN_PROGRESS"):
            alarms = (d["config"].get("alarms") or {})
            if alarms.get("enable") and alarms.get("rollback"):
                firing = alarm_firing(backend, alarms.get("alarmNames", []))
                if firing:
                    d.setdefault("alarmSince", now)
                    if now - d["alarmSince"] >= 3:
                        roll_back(backend, d, "alarm %s went to ALARM: rolled back by ECS" % firing)
                        return
                else:
                    d.pop("alarmSince", None)
            elapsed = now - d["startedAt"]
            d["status"] = "IN_PROGRESS"
            for name, seconds in d["plan"]:
                if elapsed < seconds:
                    d["lifecycleStage"] = name
                    return
                elapsed -= seconds
            d["status"] = "SUCCESSFUL"
            d["lifecycleStage"] = "CLEAN_UP"
            d["finishedAt"] = now
        elif d["status"] == "ROLLBACK_REQUESTED":
            roll_back(backend, d, d["statusReason"])
        elif d["status"] == "ROLLBACK_IN_PROGRESS" and now - d["rollbackAt"] >= 2 * stage:
            d["status"] = "ROLLBACK_SUCCESSFUL"
            d["finishedAt"] = now

    original_update = backend_cls.update_service

    def update_service(self, props):
        config = props.get("deployment_configuration") or {}
        strategy = config.get("strategy")
        with lock:
            cluster = props.get("cluster", "default").split("/")[-1]
            name = props["service"].split("/")[-1]
            source = self._get_service(cluster, name).task_definition
            plain = dict(props)
            if strategy in ("BLUE_GREEN", "LINEAR", "CANARY"):
                # moto keeps the rolling settings only.
                plain["deployment_configuration"] = {k: v for k, v in config.items()
                                                     if k in ("maximumPercent", "minimumHealthyPercent")}
                plain.pop("load_balancers", None)
            service = original_update(self, plain)
            if strategy in ("BLUE_GREEN", "LINEAR", "CANARY") and service.task_definition != source:
                counter[0] += 1
                arn = "arn:aws:ecs:%s:%s:service-deployment/%s/%s/sd%06d" % (
                    self.region_name, self.account_id, cluster, name, counter[0])
                deployments[arn] = {
                    "arn": arn, "cluster": cluster, "service": name, "serviceArn": service.arn,
                    "source": source, "target": service.task_definition, "status": "PENDING",
                    "lifecycleStage": "PRE_SCALE_UP", "config": config, "plan": plan(config),
                    "loadBalancers": props.get("load_balancers"), "createdAt": time.time(),
                    "startedAt": time.time(), "statusReason": None}
            return service

    def view(d):
        out = {"serviceDeploymentArn": d["arn"], "serviceArn": d["serviceArn"],
               "clusterArn": d["serviceArn"].replace(":service/", ":cluster/").rsplit("/", 1)[0],
               "status": d["status"], "lifecycleStage": d["lifecycleStage"], "createdAt": d["createdAt"],
               "startedAt": d["startedAt"], "targetServiceRevision": {"arn": d["target"]},
               "deploymentConfiguration": d["config"]}
        if d.get("statusReason"):
            out["statusReason"] = d["statusReason"]
        if d.get("finishedAt"):
            out["finishedAt"] = d["finishedAt"]
        return out

    def list_service_deployments(self):
        service = self._get_param("service").split("/")[-1]
        cluster = self._get_param("cluster", "default").split("/")[-1]
        wanted = self._get_param("status") or []
        with lock:
            out = []
            for d in deployments.values():
                if d["service"] != service or d["cluster"] != cluster:
                    continue
                advance(self.ecs_backend, d)
                if wanted and d["status"] not in wanted:
                    continue
                brief = view(d)
                brief["targetServiceRevisionArn"] = d["target"]
                out.append(brief)
        return json.dumps({"serviceDeployments": out})

    def describe_service_deployments(self):
        arns = self._get_param("serviceDeploymentArns") or []
        with lock:
            found, failures = [], []
            for arn in arns:
                d = deployments.get(arn)
                if d is None:
                    failures.append({"arn": arn, "reason": "MISSING"})
                    continue
                advance(self.ecs_backend, d)
                found.append(view(d))
        return json.dumps({"serviceDeployments": found, "failures": failures})

    def stop_service_deployment(self):
        arn = self._get_param("serviceDeploymentArn")
        stop_type = self._get_param("stopType", "ROLLBACK")
        with lock:
            d = deployments.get(arn)
            if d is None:
                raise InvalidParameterException("service deployment %s does not exist" % arn)
            advance(self.ecs_backend, d)
            if d["status"] not in ("PENDING", "IN_PROGRESS"):
                raise InvalidParameterException(
                    "service deployment %s is %s: only one in progress can be stopped" % (arn, d["status"]))
            if stop_type == "ROLLBACK":
                d["status"] = "ROLLBACK_REQUESTED"
                d["statusReason"] = "stopped with ROLLBACK by StopServiceDeployment"
            else:
                d["status"] = "STOPPED"
                d["statusReason"] = "stopped with ABANDON by StopServiceDeployment"
                d["finishedAt"] = time.time()
        return json.dumps({"serviceDeploymentArn": arn})

    backend_cls.update_service = update_service
    ecs_responses.EC2ContainerServiceResponse.list_service_deployments = list_service_deployments
    ecs_responses.EC2ContainerServiceResponse.describe_service_deployments = describe_service_deployments
    ecs_responses.EC2ContainerServiceResponse.stop_service_deployment = stop_service_deployment


def patch_s3():
    """S3 applies a conditional write (If-None-Match: *, If-Match) atomically; moto checks the condition,
    then writes, and its threaded server can interleave two writers between the two. Object writes are
    serialised here so that, as on S3, exactly one of two racing conditional writes wins."""
    from moto.s3.responses import S3Response

    lock = threading.Lock()
    original = S3Response.key_response

    def key_response(self, request, full_url, headers):
        if request.method in ("PUT", "POST", "DELETE"):
            with lock:
                return original(self, request, full_url, headers)
        return original(self, request, full_url, headers)

    S3Response.key_response = key_response


def main():
    # A parent may spawn us with signals blocked (threads of a Swift process block them); let SIGTERM in.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--auth", action="store_true")
    args = parser.parse_args()
    die_with_parent()
    os.environ.setdefault("MOTO_ALLOW_NONEXISTENT_REGION", "true")
    patch_ecs()
    patch_cloudwatch()
    patch_ecs_native()
    patch_s3()
    from moto.server import ThreadedMotoServer

    import logging
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=args.port, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    info = {"port": port}
    if args.auth:
        info["access_key_id"], info["secret_access_key"] = enable_auth("http://127.0.0.1:%d" % port)
    print(json.dumps(info), flush=True)
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    while True:  # the main thread stays free to run the SIGTERM handler
        time.sleep(0.5)


if __name__ == "__main__":
    main()
