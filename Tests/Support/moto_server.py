#!/usr/bin/env python3
"""moto's server, in-process, for the tests — with ECS deployments that move by themselves.

moto never advances an ECS deployment: UpdateService adds none and rolloutState stays put. This
server patches moto's ECS backend so that, as on ECS:
  * UpdateService with a new task definition (or forceNewDeployment) starts a new PRIMARY deployment
    IN_PROGRESS; the previous one becomes ACTIVE (draining);
  * after ROLLOUT seconds (env PIPELINE_TEST_ECS_ROLLOUT_SECONDS, default 1) the PRIMARY deployment is
    COMPLETED and the old ones are gone — or FAILED when an image of its task definition contains
    "broken" (the circuit breaker's reason), and the service keeps running the previous revision.

Prints one JSON line {"port": N, ...} when ready. With --auth, creates an IAM user, switches moto's
signature checking on, and prints the user's keys too. Dies with its parent process.
"""
import argparse
import ctypes
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
    """Exit when the test process goes: its end of our stdin closes (and PR_SET_PDEATHSIG as a backup)."""
    try:
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)
    except OSError:
        pass

    def watch():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        finally:
            os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def patch_ecs():
    from moto.ecs import models
    from moto.core.utils import utcnow

    backend_cls = models.EC2ContainerServiceBackend
    rollout = float(os.environ.get("PIPELINE_TEST_ECS_ROLLOUT_SECONDS", "1"))
    lock = threading.RLock()
    started = {}  # deployment id -> start time

    def broken(backend, task_definition_arn):
        try:
            td = backend.describe_task_definition(task_definition_arn)
        except Exception:
            return False
        return any("broken" in (c.get("image") or "") for c in td.container_definitions)

    def new_deployment(service):
        dep_id = "ecs-svc/%d" % int(time.time() * 1e6)
        now = utcnow()
        return {
            "createdAt": now, "updatedAt": now, "desiredCount": service.desired_count, "failedTasks": 0,
            "id": dep_id, "launchType": service.launch_type, "pendingCount": service.desired_count,
            "runningCount": 0, "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": "ECS deployment %s in progress." % dep_id,
            "status": "PRIMARY", "taskDefinition": service.task_definition,
        }
        started[dep_id] = time.time()

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
            return service

    def advance(self, service):
        previous = [d for d in service.deployments if d["status"] == "ACTIVE"]
        for dep in service.deployments:
            if dep["status"] != "PRIMARY" or dep["rolloutState"] != "IN_PROGRESS":
                continue
            if time.time() - started.get(dep["id"], 0) < rollout:
                continue
            dep["updatedAt"] = utcnow()
            if broken(self, dep["taskDefinition"]):
                dep["rolloutState"] = "FAILED"
                dep["rolloutStateReason"] = (
                    "ECS deployment circuit breaker: tasks failed to start (image marked broken).")
                dep["failedTasks"] = dep["desiredCount"] or 1
                dep["runningCount"] = 0
                if previous:
                    # The service keeps running what it ran before.
                    service.task_definition = previous[0]["taskDefinition"]
            else:
                dep["rolloutState"] = "COMPLETED"
                dep["rolloutStateReason"] = "ECS deployment %s completed." % dep["id"]
                dep["runningCount"] = dep["desiredCount"]
                dep["pendingCount"] = 0
                service.deployments = [dep]
                service.running_count = dep["desiredCount"]
                service.pending_count = 0

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

    backend_cls.create_service = create_service
    backend_cls.update_service = update_service
    backend_cls.describe_services = describe_services


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
