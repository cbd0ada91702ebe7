"""The Kubernetes manifests: every overlay renders (kubectl kustomize) and validates against the Kubernetes
schemas, and the rules the platform depends on hold in what would be applied."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from deploy import validate as manifests

BASE_DIR = Path(__file__).resolve().parents[2]
WORKLOADS = ("Deployment", "StatefulSet", "Job")
# Variables the processes read outside Django's settings (the gunicorn/celery command lines, the URL).
PROCESS_VARIABLES = {"DJANGO_SETTINGS_MODULE", "DATABASE_HOST", "WEB_CONCURRENCY", "CELERY_CONCURRENCY"}

if not shutil.which("kubectl"):
    if os.environ.get("CI"):
        raise RuntimeError("CI needs kubectl to render the Kustomize overlays")
    pytest.skip("kubectl is not installed: the Kustomize overlays cannot be rendered", allow_module_level=True)


@pytest.fixture(scope="module", params=manifests.OVERLAYS)
def rendered(request):
    return request.param, manifests.render(request.param)


def find(docs, kind, name=None):
    found = [doc for doc in docs if doc["kind"] == kind and (name is None or doc["metadata"]["name"] == name)]
    assert found, f"no {kind} {name or ''}"
    return found


def one(docs, kind, name):
    (doc,) = find(docs, kind, name)
    return doc


def config_of(docs) -> dict:
    (config,) = find(docs, "ConfigMap")
    assert re.fullmatch(r"lyceum-config-[a-z0-9]{10}", config["metadata"]["name"])  # a change rolls the pods
    return config["data"]


def test_every_overlay_renders_and_is_valid(rendered):
    overlay, docs = rendered
    report = manifests.validate(overlay, docs)
    assert report.errors == []
    assert len(report.validated) >= 15
    assert {name for name, _ in report.skipped} == {
        "Cluster/lyceum-db",
        "Pooler/lyceum-db-pooler-rw",
        "ScheduledBackup/lyceum-db-nightly",
        "ExternalSecret/lyceum-secrets",
    }
    assert all(reason for _, reason in report.skipped)
    assert {doc["metadata"].get("namespace") for doc in docs} == {
        "lyceum" if overlay == "production" else "lyceum-staging"
    }


def test_the_validation_catches_a_mistake(rendered):
    overlay, docs = rendered
    web = one(docs, "Deployment", "lyceum-web")
    web["spec"]["template"]["spec"]["containers"][0]["livenessprobe"] = {"httpGet": {"path": "/healthz"}}
    one(docs, "Service", "lyceum-web")["spec"]["ports"][0]["port"] = "eighty"
    errors = manifests.validate(overlay, docs).errors
    assert len(errors) == 2
    assert any("Deployment/lyceum-web" in error and "livenessprobe" in error for error in errors)
    assert any("Service/lyceum-web" in error for error in errors)


def test_pods_run_non_root_on_a_read_only_root_with_requests_and_limits(rendered):
    _, docs = rendered
    workloads = [doc for doc in docs if doc["kind"] in WORKLOADS]
    assert len(workloads) == 6
    for workload in workloads:
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, workload["metadata"]["name"]
        assert pod["securityContext"]["runAsUser"] != 0
        assert pod["automountServiceAccountToken"] is False
        for container in pod.get("initContainers", []) + pod["containers"]:
            where = f"{workload['metadata']['name']}/{container['name']}"
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["capabilities"]["drop"] == ["ALL"], where
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), where
            assert "memory" in container["resources"]["limits"], where
            assert not any(var.get("value", "").startswith(("sk_", "pk_")) for var in container.get("env", []))


def test_web_probes_liveness_on_healthz_and_readiness_on_readyz_with_an_allowed_host(rendered):
    _, docs = rendered
    config = config_of(docs)
    allowed = config["ALLOWED_HOSTS"].split(",")
    (web,) = one(docs, "Deployment", "lyceum-web")["spec"]["template"]["spec"]["containers"]
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        (header,) = web[probe]["httpGet"]["httpHeaders"]
        assert header["name"] == "Host" and header["value"] in allowed


def test_the_public_host_is_the_ingress_tls_host_and_the_site_url(rendered):
    _, docs = rendered
    config = config_of(docs)
    ingress = one(docs, "Ingress", "lyceum")
    (tls,) = ingress["spec"]["tls"]
    (rule,) = ingress["spec"]["rules"]
    assert tls["hosts"] == [rule["host"]]
    assert config["SITE_URL"] == f"https://{rule['host']}"
    assert rule["host"] in config["ALLOWED_HOSTS"].split(",")
    assert rule["http"]["paths"][0]["backend"]["service"]["name"] == "lyceum-web"


def test_beat_is_a_single_replica_that_never_overlaps(rendered):
    _, docs = rendered
    beat = one(docs, "Deployment", "lyceum-beat")
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    assert not [
        hpa for hpa in find(docs, "HorizontalPodAutoscaler") if hpa["spec"]["scaleTargetRef"]["name"] == "lyceum-beat"
    ]


def test_migrations_run_in_a_job_before_the_rollout_and_web_waits_for_them(rendered):
    _, docs = rendered
    job = one(docs, "Job", "lyceum-migrate")
    assert job["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "PreSync"
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["python", "manage.py", "migrate", "--noinput"]
    # Straight to the primary, not through PgBouncer.
    assert {"name": "DATABASE_HOST", "value": "lyceum-db-rw"} in container["env"]
    (wait,) = one(docs, "Deployment", "lyceum-web")["spec"]["template"]["spec"]["initContainers"]
    assert "migrate --check" in " ".join(wait["command"])


def test_autoscaling_web_on_cpu_and_request_rate_and_workers_on_queue_depth(rendered):
    _, docs = rendered
    web = one(docs, "HorizontalPodAutoscaler", "lyceum-web")["spec"]
    assert {metric["type"] for metric in web["metrics"]} == {"Resource", "Pods"}
    assert web["minReplicas"] >= 2
    worker = one(docs, "HorizontalPodAutoscaler", "lyceum-worker")["spec"]
    (queue,) = worker["metrics"]
    assert queue["type"] == "External" and queue["external"]["metric"]["name"] == "celery_queue_length"
    for name in ("lyceum-web", "lyceum-worker"):
        budget = one(docs, "PodDisruptionBudget", name)["spec"]
        deployment = one(docs, "Deployment", name)
        assert budget["selector"]["matchLabels"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
        assert 1 <= budget["minAvailable"] < deployment["spec"]["replicas"]


def test_postgres_has_two_replicas_pooling_and_30_days_of_archived_wal(rendered):
    _, docs = rendered
    cluster = one(docs, "Cluster", "lyceum-db")["spec"]
    assert cluster["instances"] == 3  # a primary and two replicas
    backup = cluster["backup"]
    assert backup["retentionPolicy"] == "30d"
    assert backup["barmanObjectStore"]["destinationPath"].startswith("s3://")
    assert backup["barmanObjectStore"]["wal"]["encryption"] and backup["barmanObjectStore"]["data"]["encryption"]
    scheduled = one(docs, "ScheduledBackup", "lyceum-db-nightly")["spec"]
    assert scheduled["cluster"]["name"] == "lyceum-db"
    pooler = one(docs, "Pooler", "lyceum-db-pooler-rw")["spec"]
    assert pooler["pgbouncer"]["poolMode"] == "transaction" and pooler["instances"] >= 2
    config = config_of(docs)
    assert config["DATABASE_HOST"] == "lyceum-db-pooler-rw"
    assert config["DATABASE_DISABLE_SERVER_SIDE_CURSORS"] == "true"  # needed in transaction mode


def test_the_two_redis_roles(rendered):
    _, docs = rendered
    cache = one(docs, "Deployment", "lyceum-redis-cache")["spec"]["template"]["spec"]["containers"][0]["args"]
    broker_set = one(docs, "StatefulSet", "lyceum-redis-broker")
    broker = broker_set["spec"]["template"]["spec"]["containers"][0]["args"]

    def option(args, name):
        return args[args.index(name) + 1]

    assert option(cache, "--maxmemory-policy") == "allkeys-lru" and option(cache, "--appendonly") == "no"
    assert option(broker, "--maxmemory-policy") == "noeviction" and option(broker, "--appendonly") == "yes"
    assert broker_set["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "data"
    config = config_of(docs)
    assert config["REDIS_CACHE_URL"].startswith("redis://lyceum-redis-cache:")
    assert config["CELERY_BROKER_URL"] == "redis://lyceum-redis-broker:6379/0"
    assert config["REDIS_STATE_URL"] == "redis://lyceum-redis-broker:6379/1"  # not evicted, not the broker's DB


def test_config_holds_no_secret_and_every_key_is_documented(rendered):
    _, docs = rendered
    config = config_of(docs)
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", (BASE_DIR / ".env.example").read_text(), re.M))
    assert set(config) - documented - PROCESS_VARIABLES == set()
    assert not {"SECRET_KEY", "ALTCHA_HMAC_KEY", "STRIPE_SECRET_KEY", "AWS_SECRET_ACCESS_KEY", "EMAIL_URL"} & set(
        config
    )
    config_name = find(docs, "ConfigMap")[0]["metadata"]["name"]
    for workload in (doc for doc in docs if doc["kind"] in WORKLOADS):
        for container in workload["spec"]["template"]["spec"]["containers"]:
            sources = container.get("envFrom", [])
            if workload["metadata"]["name"].startswith("lyceum-redis"):
                continue
            assert {"secretRef": {"name": "lyceum-secrets"}} in sources
            assert {"configMapRef": {"name": config_name}} in sources


def test_production_is_live_and_staging_is_not():
    production = config_of(manifests.render("production"))
    staging = config_of(manifests.render("staging"))
    assert production["STRIPE_LIVE_MODE"] == "true" and staging["STRIPE_LIVE_MODE"] == "false"
    assert production["AWS_STORAGE_BUCKET_NAME"] != staging["AWS_STORAGE_BUCKET_NAME"]


def test_yaml_is_lint_clean():
    result = subprocess.run(
        [str(Path(os.sys.executable).parent / "yamllint"), "-s", "deploy"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout
