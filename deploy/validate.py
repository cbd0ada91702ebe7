"""Render every Kustomize overlay with `kubectl kustomize` and validate each object against the
Kubernetes schemas (kubernetes-validate, strict: unknown fields are errors).

    .venv/bin/python deploy/validate.py            # CI runs this; exit status 1 on any problem

kubernetes-validate ships the schemas of Kubernetes' own kinds only. Custom resources it has no schema
for are skipped by name, each with its reason (SKIPPED_KINDS); deploy/tests/test_manifests.py checks
what matters in them (replicas, retention, pooling) instead.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

DEPLOY_DIR = Path(__file__).resolve().parent
OVERLAYS = ("staging", "production")
KUBERNETES_VERSION = "1.32.0"  # the oldest version the manifests must work on (kubectl here is 1.32)

SKIPPED_KINDS = {
    ("postgresql.cnpg.io/v1", "Cluster"): "CloudNativePG custom resource: kubernetes-validate has no schema for it",
    ("postgresql.cnpg.io/v1", "Pooler"): "CloudNativePG custom resource: kubernetes-validate has no schema for it",
    ("postgresql.cnpg.io/v1", "ScheduledBackup"): (
        "CloudNativePG custom resource: kubernetes-validate has no schema for it"
    ),
    ("external-secrets.io/v1beta1", "ExternalSecret"): (
        "External Secrets Operator custom resource: kubernetes-validate has no schema for it"
    ),
}


@dataclass
class Report:
    overlay: str
    validated: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def render(overlay: str) -> list[dict]:
    result = subprocess.run(
        ["kubectl", "kustomize", str(DEPLOY_DIR / "k8s" / "overlays" / overlay)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"kubectl kustomize {overlay} failed:\n{result.stderr}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def name_of(doc: dict) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


def validate(overlay: str, docs: list[dict] | None = None) -> Report:
    import kubernetes_validate

    report = Report(overlay)
    for doc in render(overlay) if docs is None else docs:
        reason = SKIPPED_KINDS.get((doc["apiVersion"], doc["kind"]))
        if reason:
            report.skipped.append((name_of(doc), reason))
            continue
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            report.errors.append(f"{name_of(doc)}: no schema for {doc['apiVersion']} (not skipped by name either)")
        except kubernetes_validate.ValidationError as exc:
            path = "/".join(str(part) for part in exc.path)
            report.errors.append(f"{name_of(doc)}: {path}: {exc.message}")
        else:
            report.validated.append(name_of(doc))
    return report


def main() -> int:
    failed = False
    for overlay in OVERLAYS:
        report = validate(overlay)
        print(f"{overlay}: {len(report.validated)} objects valid against Kubernetes {KUBERNETES_VERSION}")
        for name, reason in report.skipped:
            print(f"  skipped {name}: {reason}")
        for error in report.errors:
            print(f"  INVALID {error}")
        failed |= bool(report.errors)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
