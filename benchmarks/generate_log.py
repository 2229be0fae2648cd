#!/usr/bin/env python3
"""Generate a realistic kube-apiserver audit log (JSON lines) for replay benchmarks.

The traffic imitates a large cluster as the apiserver's log backend records it under a broad
policy: kubelets renewing leases, reading pods and watching configmaps and secrets, controllers and
the scheduler reconciling, kube-proxy and operators watching, monitoring scraping, health checks
and discovery on non-resource URLs, people running kubectl (get, logs, exec, port-forward, apply,
RBAC changes, impersonation) and the odd failed authentication. About one event in nine (writes)
carries request or response bodies; an event averages about 900 bytes. Watches and exec/attach/port-forward/log streams get a
``ResponseStarted`` event before ``ResponseComplete``; people's requests and a tenth of the rest
also get ``RequestReceived``.

``--profile realistic`` generates a large multi-tenant cluster instead: hundreds of namespaces
(``--namespaces``), each with its own workloads and their service accounts (leader election,
configmap and secret reads, list/watch, events, jobs), a thousand kubelets (``--nodes``), hundreds
of people (``--people``) with kubectl (exec, logs, scale, eviction, apply, RBAC, impersonation),
cluster-wide operators and GitOps controllers across every namespace, autoscalers and token
reviews, and pods replaced as the log goes on: thousands of distinct users and a steady stream of
new object names, so that few requests repeat exactly. About one event in five carries bodies;
an event averages about 1,000 bytes.

The output is deterministic: the same ``--seed``, ``--events`` and options give the same bytes.

    python benchmarks/generate_log.py --events 2000000 -o /tmp/audit-2m.jsonl
    python benchmarks/generate_log.py --profile realistic --events 2000000 -o /tmp/audit-realistic-2m.jsonl
    python benchmarks/generate_log.py --events 10000000 | kube-audit-lint replay policy.yaml -
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import random
import sys
from datetime import datetime, timedelta, timezone

import msgspec

AUTHENTICATED = "system:authenticated"
KUBE_SYSTEM_SA_GROUPS = ["system:serviceaccounts", "system:serviceaccounts:kube-system", AUTHENTICATED]
TEAM_NAMESPACES = [f"team-{name}" for name in (
    "payments", "search", "checkout", "identity", "ads", "ml", "data", "web", "mobile", "infra",
    "billing", "growth", "catalog", "media", "notify", "ledger", "risk", "maps", "chat", "docs",
)]
SYSTEM_NAMESPACES = ["kube-system", "monitoring", "cert-manager", "argocd", "ingress-nginx", "logging"]
NAMESPACES = SYSTEM_NAMESPACES + TEAM_NAMESPACES + ["default"]
APPS = ["api", "worker", "frontend", "cache", "cron", "gateway", "db-proxy", "indexer"]
CONTROLLERS = [
    "replicaset-controller", "deployment-controller", "endpointslice-controller", "endpoint-controller",
    "daemon-set-controller", "job-controller", "generic-garbage-collector", "namespace-controller",
    "node-controller", "pod-garbage-collector", "statefulset-controller", "horizontal-pod-autoscaler",
]
PEOPLE = [
    ("alice@example.com", ["oidc:sre", AUTHENTICATED]),
    ("bob@example.com", ["oidc:developers", AUTHENTICATED]),
    ("carol@example.com", ["oidc:developers", "oidc:oncall", AUTHENTICATED]),
    ("dave@example.com", ["oidc:data", AUTHENTICATED]),
    ("kubernetes-admin", ["system:masters", AUTHENTICATED]),
]
USER_AGENTS = {
    "kubelet": "kubelet/v1.30.4 (linux/amd64) kubernetes/a51b3b4",
    "kcm": "kube-controller-manager/v1.30.4 (linux/amd64) kubernetes/a51b3b4/system:serviceaccount:kube-system:{sa}",
    "scheduler": "kube-scheduler/v1.30.4 (linux/amd64) kubernetes/a51b3b4/scheduler",
    "proxy": "kube-proxy/v1.30.4 (linux/amd64) kubernetes/a51b3b4",
    "kubectl": "kubectl/v1.30.2 (darwin/arm64) kubernetes/3968350",
    "operator": "{name}/v1.14.5 (linux/amd64) {name}/7a1b3c2",
    "prometheus": "Prometheus/2.53.1",
    "probe": "kube-probe/1.30",
    "apiserver": "kube-apiserver/v1.30.4 (linux/amd64) kubernetes/a51b3b4",
}


class Cluster:
    """Names that stay the same for the whole log, so requests repeat as they do in real logs."""

    def __init__(self, rng: random.Random, nodes: int):
        self.nodes = [f"pool-{'abcd'[i % 4]}-{i:05d}" for i in range(nodes)]
        self.node_ips = [f"10.{i // 250}.{i % 250 // 10}.{i % 10 + 10}" for i in range(nodes)]
        self.pods = [self._pod(rng, ns, app) for ns in NAMESPACES for app in APPS for _ in range(6)]
        self.secrets = [(ns, f"{app}-{kind}") for ns in NAMESPACES for app in APPS for kind in ("tls", "creds", "token")]
        self.configmaps = [(ns, f"{app}-config") for ns in NAMESPACES for app in APPS] + [("kube-system", "kube-root-ca.crt")]

    @staticmethod
    def _pod(rng: random.Random, namespace: str, app: str) -> tuple[str, str, str]:
        suffix = "%08x" % rng.getrandbits(32)
        return namespace, app, f"{app}-{suffix[:6]}{rng.randrange(100, 999)}-{suffix[6:]}x{rng.randrange(10, 99)}"


def user(name: str, groups: list[str], **extra) -> dict:
    return {"username": name, "groups": groups, **extra}


def ref(resource: str, namespace: str = "", name: str = "", group: str = "", version: str = "v1",
        subresource: str = "", **extra) -> dict:
    out = {"resource": resource}
    if namespace:
        out["namespace"] = namespace
    if name:
        out["name"] = name
    if group:
        out["apiGroup"] = group
    out["apiVersion"] = version
    if subresource:
        out["subresource"] = subresource
    out.update(extra)
    return out


def uri(ref_: dict, query: str = "") -> str:
    prefix = f"/apis/{ref_['apiGroup']}/{ref_['apiVersion']}" if "apiGroup" in ref_ else f"/api/{ref_['apiVersion']}"
    parts = [prefix]
    if "namespace" in ref_:
        parts += ["namespaces", ref_["namespace"]]
    parts.append(ref_["resource"])
    if "name" in ref_:
        parts.append(ref_["name"])
    if "subresource" in ref_:
        parts.append(ref_["subresource"])
    return "/".join(parts) + (f"?{query}" if query else "")


def object_body(kind: str, namespace: str, name: str, rng: random.Random, size: int) -> dict:
    """A Kubernetes object of roughly ``size`` bytes (labels, annotations and a spec payload)."""
    return {
        "kind": kind, "apiVersion": "v1",
        "metadata": {
            "name": name, "namespace": namespace, "uid": "%032x" % rng.getrandbits(128),
            "resourceVersion": str(rng.randrange(10**8, 10**9)),
            "labels": {"app.kubernetes.io/name": name.split("-")[0]},
        },
        "data": {"payload": "x" * max(0, size - 230)},
    }


class Traffic:
    """One method per kind of request; each returns (user, verb, objectRef or None, requestURI, agent,
    code, long_running, bodies) and the weights say how often it happens."""

    def __init__(self, rng: random.Random, cluster: Cluster):
        self.rng = rng
        self.c = cluster
        self.weights = [
            (self.kubelet_lease, 20), (self.kubelet_node, 8), (self.kubelet_watch_object, 6),
            (self.kubelet_pod, 6), (self.kubelet_token, 3), (self.proxy_watch, 3),
            (self.controller, 15), (self.scheduler, 5), (self.controller_manager_lease, 5),
            (self.operator, 8), (self.monitoring, 5), (self.health, 5), (self.discovery, 3),
            (self.event_create, 4), (self.person, 3), (self.failed_auth, 0.5), (self.apiserver_loopback, 1.5),
        ]

    def node(self):
        i = self.rng.randrange(len(self.c.nodes))
        return self.c.nodes[i], self.c.node_ips[i]

    def kubelet(self, node: str) -> dict:
        return user(f"system:node:{node}", ["system:nodes", AUTHENTICATED])

    def kubelet_lease(self):
        node, ip = self.node()
        r = ref("leases", "kube-node-lease", node, "coordination.k8s.io", resourceVersion=str(self.rng.randrange(10**8)))
        return self.kubelet(node), "update", r, uri(r), "kubelet", 200, False, ip, None

    def kubelet_node(self):
        node, ip = self.node()
        if self.rng.random() < 0.6:
            r = ref("nodes", "", node)
            return self.kubelet(node), "get", r, uri(r, "resourceVersion=0&timeout=10s"), "kubelet", 200, False, ip, None
        r = ref("nodes", "", node, subresource="status")
        body = ("Node", "", node, 1200)
        return self.kubelet(node), "patch", r, uri(r, "timeout=10s"), "kubelet", 200, False, ip, body

    def kubelet_watch_object(self):
        node, ip = self.node()
        if self.rng.random() < 0.5:
            ns, name = self.rng.choice(self.c.secrets)
            resource = "secrets"
        else:
            ns, name = self.rng.choice(self.c.configmaps)
            resource = "configmaps"
        query = f"allowWatchBookmarks=true&fieldSelector=metadata.name%3D{name}&resourceVersion={self.rng.randrange(10**8)}&timeout=7m35s&timeoutSeconds=455&watch=true"
        r_list = ref(resource, ns)
        r_list["name"] = name  # a watch with a metadata.name field selector carries the name
        return self.kubelet(node), "watch", r_list, uri(ref(resource, ns), query), "kubelet", 200, True, ip, None

    def kubelet_pod(self):
        node, ip = self.node()
        ns, _, pod = self.rng.choice(self.c.pods)
        if self.rng.random() < 0.5:
            r = ref("pods", ns, pod)
            return self.kubelet(node), "get", r, uri(r), "kubelet", 200, False, ip, None
        r = ref("pods", ns, pod, subresource="status")
        return self.kubelet(node), "patch", r, uri(r), "kubelet", 200, False, ip, None

    def kubelet_token(self):
        node, ip = self.node()
        ns, app, _ = self.rng.choice(self.c.pods)
        r = ref("serviceaccounts", ns, app, subresource="token")
        return self.kubelet(node), "create", r, uri(r), "kubelet", 201, False, ip, None

    def proxy_watch(self):
        node, ip = self.node()
        resource, group = self.rng.choice([("endpointslices", "discovery.k8s.io"), ("services", ""), ("nodes", "")])
        r = ref(resource, group=group)
        who = user("system:kube-proxy", [AUTHENTICATED]) if self.rng.random() < 0.8 else user(
            "system:serviceaccount:kube-system:coredns", KUBE_SYSTEM_SA_GROUPS)
        query = f"allowWatchBookmarks=true&resourceVersion={self.rng.randrange(10**8)}&timeout=8m&watch=true"
        return who, "watch", r, uri(r, query), "proxy", 200, True, ip, None

    def controller(self):
        sa = self.rng.choice(CONTROLLERS)
        who = user(f"system:serviceaccount:kube-system:{sa}", KUBE_SYSTEM_SA_GROUPS)
        ns, app, pod = self.rng.choice(self.c.pods)
        choice = self.rng.random()
        if choice < 0.3:
            r = ref("pods", ns, pod)
            verb, code, body = self.rng.choice([("update", 200, 1200), ("delete", 200, 1200), ("get", 200, None)])
            return who, verb, r, uri(r), ("kcm", sa), code, False, "10.0.0.2", body and ("Pod", ns, pod, body)
        if choice < 0.55:
            resource, group = self.rng.choice([("replicasets", "apps"), ("deployments", "apps"), ("statefulsets", "apps")])
            r = ref(resource, ns, app, group, subresource="status")
            return who, "update", r, uri(r), ("kcm", sa), 200, False, "10.0.0.2", ("Status", ns, app, 1100)
        if choice < 0.8:
            r = ref("endpointslices", ns, f"{app}-{pod[-5:]}", "discovery.k8s.io")
            return who, "update", r, uri(r), ("kcm", sa), 200, False, "10.0.0.2", None
        resource, group = self.rng.choice([("pods", ""), ("jobs", "batch"), ("replicasets", "apps")])
        r = ref(resource, group=group)
        query = f"resourceVersion={self.rng.randrange(10**8)}&watch=true&timeoutSeconds=540"
        return who, "watch", r, uri(r, query), ("kcm", sa), 200, True, "10.0.0.2", None

    def scheduler(self):
        who = user("system:kube-scheduler", [AUTHENTICATED])
        if self.rng.random() < 0.5:
            r = ref("leases", "kube-system", "kube-scheduler", "coordination.k8s.io")
            verb = self.rng.choice(["get", "update"])
            return who, verb, r, uri(r), "scheduler", 200, False, "10.0.0.3", None
        ns, _, pod = self.rng.choice(self.c.pods)
        r = ref("pods", ns, pod, subresource="binding")
        return who, "create", r, uri(r), "scheduler", 201, False, "10.0.0.3", ("Binding", ns, pod, 500)

    def controller_manager_lease(self):
        who = user("system:kube-controller-manager", [AUTHENTICATED])
        r = ref("leases", "kube-system", "kube-controller-manager", "coordination.k8s.io")
        return who, self.rng.choice(["get", "update"]), r, uri(r), ("kcm", "leader-election"), 200, False, "10.0.0.2", None

    def operator(self):
        name, ns = self.rng.choice([("cert-manager", "cert-manager"), ("argocd-application-controller", "argocd"),
                                    ("ingress-nginx", "ingress-nginx"), ("fluent-bit", "logging")])
        who = user(f"system:serviceaccount:{ns}:{name}", ["system:serviceaccounts", f"system:serviceaccounts:{ns}", AUTHENTICATED])
        choice = self.rng.random()
        if choice < 0.35:
            sns, secret = self.rng.choice(self.c.secrets)
            verb = self.rng.choice(["get", "get", "update"])
            r = ref("secrets", sns, secret)
            body = ("Secret", sns, secret, 1800) if verb == "update" else None
            return who, verb, r, uri(r), ("operator", name), 200, False, "10.1.4.7", body
        if choice < 0.6:
            cns, cm = self.rng.choice(self.c.configmaps)
            r = ref("configmaps", cns, cm)
            return who, self.rng.choice(["get", "patch"]), r, uri(r), ("operator", name), 200, False, "10.1.4.7", None
        resource, group = self.rng.choice([("certificates", "cert-manager.io"), ("applications", "argoproj.io"),
                                           ("ingresses", "networking.k8s.io"), ("customresourcedefinitions", "apiextensions.k8s.io")])
        r = ref(resource, group=group)
        verb = self.rng.choice(["list", "watch"])
        query = f"resourceVersion={self.rng.randrange(10**8)}" + ("&watch=true" if verb == "watch" else "&limit=500")
        return who, verb, r, uri(r, query), ("operator", name), 200, verb == "watch", "10.1.4.7", None

    def monitoring(self):
        who = user("system:serviceaccount:monitoring:prometheus", ["system:serviceaccounts", "system:serviceaccounts:monitoring", AUTHENTICATED])
        choice = self.rng.random()
        if choice < 0.4:
            return who, "get", None, "/metrics", "prometheus", 200, False, "10.1.9.9", None
        if choice < 0.7:
            node, _ = self.node()
            r = ref("nodes", "", node, subresource="proxy")
            return who, "get", r, uri(r) + "/metrics/cadvisor", "prometheus", 200, False, "10.1.9.9", None
        r = ref(self.rng.choice(["pods", "endpoints", "services"]), self.rng.choice(NAMESPACES))
        return who, "list", r, uri(r, "limit=500&resourceVersion=0"), "prometheus", 200, False, "10.1.9.9", None

    def health(self):
        path = self.rng.choice(["/healthz", "/livez", "/readyz", "/readyz?verbose", "/livez/ping", "/healthz/etcd"])
        if self.rng.random() < 0.6:
            who = user("system:anonymous", ["system:unauthenticated"])
        else:
            node, _ = self.node()
            who = self.kubelet(node)
        return who, "get", None, path, "probe", 200, False, "10.0.0.1", None

    def discovery(self):
        path = self.rng.choice(["/api", "/apis", "/version", "/openapi/v2", "/openapi/v3", "/apis/apps/v1",
                                "/api/v1", "/apis/coordination.k8s.io/v1", "/.well-known/openid-configuration"])
        if self.rng.random() < 0.5:
            name, groups = self.rng.choice(PEOPLE)
            who, agent = user(name, groups), "kubectl"
        else:
            who, agent = user("system:serviceaccount:argocd:argocd-application-controller",
                              ["system:serviceaccounts", "system:serviceaccounts:argocd", AUTHENTICATED]), ("operator", "argocd")
        return who, "get", None, path + ("?timeout=32s" if path.startswith("/api") else ""), agent, 200, False, "10.1.4.8", None

    def event_create(self):
        node, ip = self.node()
        ns, _, pod = self.rng.choice(self.c.pods)
        group, who = ("events.k8s.io", self.kubelet(node)) if self.rng.random() < 0.6 else (
            "", user("system:serviceaccount:kube-system:replicaset-controller", KUBE_SYSTEM_SA_GROUPS))
        r = ref("events", ns, f"{pod}.17e{self.rng.getrandbits(32):08x}", group)
        return who, "create", r, uri(ref("events", ns, group=group)), "kubelet", 201, False, ip, None

    def person(self):
        name, groups = self.rng.choice(PEOPLE)
        who = user(name, groups)
        ns, app, pod = self.rng.choice(self.c.pods)
        choice = self.rng.random()
        if choice < 0.30:
            r = ref("pods", ns)
            return who, "list", r, uri(r, "limit=500"), "kubectl", 200, False, "203.0.113.7", None
        if choice < 0.42:
            r = ref("pods", ns, pod, subresource="log")
            return who, "get", r, uri(r, "container=main&follow=true"), "kubectl", 200, True, "203.0.113.7", None
        if choice < 0.50:
            r = ref("pods", ns, pod, subresource="exec")
            query = "command=sh&command=-c&command=env&container=main&stdin=true&stdout=true&tty=true"
            return who, "create", r, uri(r, query), "kubectl", 101, True, "203.0.113.7", None
        if choice < 0.53:
            r = ref("pods", ns, pod, subresource=self.rng.choice(["attach", "portforward"]))
            return who, "create", r, uri(r), "kubectl", 101, True, "203.0.113.7", None
        if choice < 0.65:
            sns, secret = self.rng.choice(self.c.secrets)
            r = ref("secrets", sns, secret)
            return who, "get", r, uri(r), "kubectl", 200, False, "203.0.113.7", None
        if choice < 0.80:
            r = ref("deployments", ns, app, "apps")
            return who, "patch", r, uri(r, "fieldManager=kubectl-client-side-apply"), "kubectl", 200, False, "203.0.113.7", ("Deployment", ns, app, 2200)
        if choice < 0.87:
            resource = self.rng.choice(["rolebindings", "roles", "clusterrolebindings", "clusterroles"])
            r = ref(resource, "" if resource.startswith("cluster") else ns, f"{app}-{resource[:-1]}", "rbac.authorization.k8s.io")
            verb = self.rng.choice(["create", "update", "delete"])
            return who, verb, r, uri(r), "kubectl", 201 if verb == "create" else 200, False, "203.0.113.7", ("RoleBinding", ns, app, 900)
        if choice < 0.93:
            r = ref("pods", ns, pod)
            return who, "delete", r, uri(r), "kubectl", 200, False, "203.0.113.7", None
        # kubectl --as: the authenticated user impersonates a service account
        r = ref("configmaps", ns, f"{app}-config")
        return (user(name, groups), "get", r, uri(r), "kubectl", 200, False, "203.0.113.7",
                None, {"username": f"system:serviceaccount:{ns}:default", "groups": ["system:serviceaccounts"]})

    def failed_auth(self):
        path = self.rng.choice(["/api/v1/namespaces/kube-system/secrets", "/apis", "/api/v1/pods"])
        return {}, "list" if "secrets" in path or "pods" in path else "get", None, path, "curl/8.5.0", 401, False, "198.51.100.23", None

    def apiserver_loopback(self):
        who = user("system:apiserver", ["system:masters", AUTHENTICATED])
        resource, group = self.rng.choice([("apiservices", "apiregistration.k8s.io"), ("flowschemas", "flowcontrol.apiserver.k8s.io"),
                                           ("priorityclasses", "scheduling.k8s.io"), ("namespaces", "")])
        r = ref(resource, group=group, version="v1")
        verb = self.rng.choice(["list", "watch"])
        return who, verb, r, uri(r, "watch=true" if verb == "watch" else "limit=500"), "apiserver", 200, verb == "watch", "::1", None


# --- the realistic profile ---------------------------------------------------------------------------
# A large multi-tenant cluster: hundreds of namespaces, each with its own workloads and their service
# accounts, a thousand kubelets, hundreds of people, cluster-wide operators, pods that come and go
# (new object names all the time). Thousands of distinct users and many distinct requests, so that
# little repeats exactly: what a replay of a real cluster's log meets.

TEAMS = [
    "payments", "search", "checkout", "identity", "ads", "ml", "data", "web", "mobile", "infra",
    "billing", "growth", "catalog", "media", "notify", "ledger", "risk", "maps", "chat", "docs",
    "fraud", "pricing", "orders", "inventory", "shipping", "reviews", "loyalty", "partners", "tax", "crm",
    "analytics", "etl", "streaming", "feeds", "auth", "gateway", "storage", "video", "voice", "support",
]
ENVIRONMENTS = ["prod", "staging", "dev", "qa", "perf", "canary", "sandbox", "preview", "load", "demo"]
REALISTIC_SYSTEM_NAMESPACES = [
    "kube-system", "kube-public", "kube-node-lease", "monitoring", "cert-manager", "argocd", "ingress-nginx",
    "logging", "istio-system", "external-dns", "kyverno", "velero", "gatekeeper-system", "keda", "flux-system",
]
APP_NAMES = [
    "api", "worker", "frontend", "cache", "cron", "gateway", "db-proxy", "indexer", "consumer", "producer",
    "scheduler", "notifier", "exporter", "sync", "auth", "renderer", "uploader", "resizer", "ingest", "router",
]
FIRST_NAMES = ["alex", "sam", "jordan", "taylor", "casey", "morgan", "riley", "jamie", "robin", "kim", "lee",
               "max", "noa", "ari", "dana", "eli", "gabi", "ira", "jo", "kai"]
LAST_NAMES = ["smith", "garcia", "chen", "okafor", "novak", "silva", "kumar", "muller", "rossi", "tanaka",
              "dubois", "berg", "ivanova", "haddad", "nguyen", "walsh"]
KUBE_SYSTEM_CONTROLLERS = CONTROLLERS + [
    "cronjob-controller", "ttl-after-finished-controller", "resourcequota-controller", "service-account-controller",
    "root-ca-cert-publisher", "persistent-volume-binder", "attachdetach-controller", "disruption-controller",
    "certificate-controller", "clusterrole-aggregation-controller", "expand-controller", "ephemeral-volume-controller",
]
# cluster-wide operators: (service account, namespace, custom resources they reconcile)
OPERATORS = [
    ("cert-manager", "cert-manager", [("certificates", "cert-manager.io"), ("certificaterequests", "cert-manager.io"),
                                      ("orders", "acme.cert-manager.io")]),
    ("argocd-application-controller", "argocd", [("applications", "argoproj.io"), ("appprojects", "argoproj.io")]),
    ("ingress-nginx", "ingress-nginx", [("ingresses", "networking.k8s.io"), ("ingressclasses", "networking.k8s.io")]),
    ("fluent-bit", "logging", [("pods", ""), ("namespaces", "")]),
    ("istiod", "istio-system", [("virtualservices", "networking.istio.io"), ("destinationrules", "networking.istio.io"),
                                ("sidecars", "networking.istio.io"), ("peerauthentications", "security.istio.io")]),
    ("external-dns", "external-dns", [("services", ""), ("ingresses", "networking.k8s.io")]),
    ("kyverno", "kyverno", [("policies", "kyverno.io"), ("policyreports", "wgpolicyk8s.io")]),
    ("velero", "velero", [("backups", "velero.io"), ("schedules", "velero.io")]),
    ("keda-operator", "keda", [("scaledobjects", "keda.sh"), ("horizontalpodautoscalers", "autoscaling")]),
    ("prometheus-operator", "monitoring", [("servicemonitors", "monitoring.coreos.com"),
                                           ("prometheusrules", "monitoring.coreos.com")]),
    ("gatekeeper-admin", "gatekeeper-system", [("constrainttemplates", "templates.gatekeeper.sh")]),
    ("kustomize-controller", "flux-system", [("kustomizations", "kustomize.toolkit.fluxcd.io")]),
]


def sa_user(namespace: str, name: str) -> dict:
    return user(f"system:serviceaccount:{namespace}:{name}",
                ["system:serviceaccounts", f"system:serviceaccounts:{namespace}", AUTHENTICATED])


class RealisticCluster:
    """Names of a large multi-tenant cluster; pods are replaced as the log goes on."""

    def __init__(self, rng: random.Random, nodes: int, namespaces: int, people: int):
        self.rng = rng
        self.node_ips = [f"10.{i // 250 % 256}.{i % 250}.{rng.randrange(2, 250)}" for i in range(nodes)]
        self.nodes = [f"ip-{ip.replace('.', '-')}.ec2.internal" for ip in self.node_ips]
        tenant = [f"{team}-{env}" for env in ENVIRONMENTS for team in TEAMS]
        count = max(1, namespaces - len(REALISTIC_SYSTEM_NAMESPACES))
        tenant += [f"tenant-{i:04d}" for i in range(max(0, count - len(tenant)))]
        self.tenant_namespaces = tenant[:count]
        self.namespaces = REALISTIC_SYSTEM_NAMESPACES + self.tenant_namespaces
        # per tenant namespace: its apps (each with a service account of its name) and their pods
        self.apps = {ns: rng.sample(APP_NAMES, rng.randrange(2, 10)) for ns in self.tenant_namespaces}
        self.workloads = [(ns, app) for ns in self.tenant_namespaces for app in self.apps[ns]]
        self.pods: list[list] = []  # [namespace, app, name]
        for ns, app in self.workloads:
            template = "%010x" % rng.getrandbits(40)
            for _ in range(rng.randrange(1, 7)):
                self.pods.append([ns, app, self.pod_name(app, template)])
        self.pods_by_namespace: dict[str, list] = {}
        for pod in self.pods:
            self.pods_by_namespace.setdefault(pod[0], []).append(pod)
        self.people = []
        for i in range(people):
            name = f"{FIRST_NAMES[i % len(FIRST_NAMES)]}.{LAST_NAMES[i // len(FIRST_NAMES) % len(LAST_NAMES)]}{i // 320 or ''}@corp.example"
            teams = rng.sample(TEAMS, rng.randrange(1, 3))
            groups = [f"oidc:team-{t}" for t in teams] + (["oidc:sre"] if i % 15 == 0 else []) + [AUTHENTICATED]
            self.people.append((name, groups, teams))

    def pod_name(self, app: str, template: str | None = None) -> str:
        rng = self.rng
        template = template or "%010x" % rng.getrandbits(40)
        return f"{app}-{template[:10]}-{''.join(rng.choice('bcdfghjklmnpqrstvwxz2456789') for _ in range(5))}"

    def pod(self) -> list:
        return self.rng.choice(self.pods)

    def replace_pod(self) -> tuple[list, str]:
        """A pod is deleted and its ReplicaSet makes a new one: (the pod's entry, its old name)."""
        pod = self.rng.choice(self.pods)
        old = pod[2]
        pod[2] = self.pod_name(pod[1], old[len(pod[1]) + 1:len(pod[1]) + 11])
        return pod, old


class RealisticTraffic(Traffic):
    """The traffic of a large multi-tenant cluster (see RealisticCluster)."""

    def __init__(self, rng: random.Random, cluster: RealisticCluster):
        self.rng = rng
        self.c = cluster
        self.weights = [
            (self.kubelet_lease, 14), (self.kubelet_node, 6), (self.kubelet_watch_object, 5),
            (self.kubelet_pod, 6), (self.kubelet_token, 3), (self.proxy_watch, 2),
            (self.controller, 12), (self.scheduler, 4), (self.controller_manager_lease, 2),
            (self.workload, 16), (self.operator, 8), (self.monitoring, 4), (self.health, 4),
            (self.discovery, 3), (self.event_create, 4), (self.person, 4), (self.deployer, 2),
            (self.autoscaler, 2), (self.review, 1), (self.failed_auth, 0.3), (self.apiserver_loopback, 1),
        ]

    def kubelet_watch_object(self):
        node, ip = self.node()
        ns, app, _ = self.c.pod()
        resource, name = self.rng.choice([("secrets", f"{app}-creds"), ("secrets", f"{app}-tls"),
                                          ("configmaps", f"{app}-config"), ("configmaps", "kube-root-ca.crt")])
        query = (f"allowWatchBookmarks=true&fieldSelector=metadata.name%3D{name}&resourceVersion="
                 f"{self.rng.randrange(10**8)}&timeout=7m35s&timeoutSeconds=455&watch=true")
        r = ref(resource, ns)
        r["name"] = name
        return self.kubelet(node), "watch", r, uri(ref(resource, ns), query), "kubelet", 200, True, ip, None

    def kubelet_pod(self):
        node, ip = self.node()
        ns, _, pod = self.c.pod()
        if self.rng.random() < 0.5:
            r = ref("pods", ns, pod)
            return self.kubelet(node), "get", r, uri(r), "kubelet", 200, False, ip, None
        r = ref("pods", ns, pod, subresource="status")
        return self.kubelet(node), "patch", r, uri(r), "kubelet", 200, False, ip, ("Pod", ns, pod, 2400)

    def kubelet_token(self):
        node, ip = self.node()
        ns, app, _ = self.c.pod()
        r = ref("serviceaccounts", ns, app, subresource="token")
        return self.kubelet(node), "create", r, uri(r), "kubelet", 201, False, ip, ("TokenRequest", ns, app, 700)

    def controller(self):
        sa = self.rng.choice(KUBE_SYSTEM_CONTROLLERS)
        who = user(f"system:serviceaccount:kube-system:{sa}", KUBE_SYSTEM_SA_GROUPS)
        agent = ("kcm", sa)
        choice = self.rng.random()
        if choice < 0.12:  # a pod replaced: deleted, and a new one with a new name created
            pod, old = self.c.replace_pod()
            ns, app, name = pod
            if self.rng.random() < 0.5:
                r = ref("pods", ns, old)
                return who, "delete", r, uri(r), agent, 200, False, "10.0.0.2", ("Pod", ns, old, 2400)
            r = ref("pods", ns, name)
            return who, "create", r, uri(ref("pods", ns)), agent, 201, False, "10.0.0.2", ("Pod", ns, name, 4800)
        ns, app, pod = self.c.pod()
        if choice < 0.3:
            r = ref("pods", ns, pod)
            verb, body = self.rng.choice([("update", 2400), ("get", None), ("patch", 1200)])
            return who, verb, r, uri(r), agent, 200, False, "10.0.0.2", body and ("Pod", ns, pod, body)
        if choice < 0.5:
            resource, group = self.rng.choice([("replicasets", "apps"), ("deployments", "apps"),
                                               ("statefulsets", "apps"), ("jobs", "batch"), ("cronjobs", "batch")])
            r = ref(resource, ns, app, group, subresource="status")
            return who, "update", r, uri(r), agent, 200, False, "10.0.0.2", ("Status", ns, app, 1800)
        if choice < 0.7:
            r = ref("endpointslices", ns, f"{app}-{pod[-5:]}", "discovery.k8s.io")
            return who, "update", r, uri(r), agent, 200, False, "10.0.0.2", ("EndpointSlice", ns, app, 1200)
        if choice < 0.8:
            resource = self.rng.choice(["endpoints", "serviceaccounts", "configmaps", "resourcequotas",
                                        "persistentvolumeclaims"])
            r = ref(resource, ns, app)
            return who, self.rng.choice(["get", "update"]), r, uri(r), agent, 200, False, "10.0.0.2", None
        resource, group = self.rng.choice([("pods", ""), ("jobs", "batch"), ("replicasets", "apps"),
                                           ("endpointslices", "discovery.k8s.io"), ("namespaces", ""),
                                           ("persistentvolumes", ""), ("nodes", "")])
        r = ref(resource, group=group)
        if self.rng.random() < 0.8:
            query = f"resourceVersion={self.rng.randrange(10**8)}&watch=true&timeoutSeconds=540"
            return who, "watch", r, uri(r, query), agent, 200, True, "10.0.0.2", None
        return who, "list", r, uri(r, "limit=500&resourceVersion=0"), agent, 200, False, "10.0.0.2", None

    def scheduler(self):
        who = user("system:kube-scheduler", [AUTHENTICATED])
        choice = self.rng.random()
        if choice < 0.4:
            r = ref("leases", "kube-system", "kube-scheduler", "coordination.k8s.io")
            return who, self.rng.choice(["get", "update"]), r, uri(r), "scheduler", 200, False, "10.0.0.3", None
        ns, _, pod = self.c.pod()
        if choice < 0.85:
            r = ref("pods", ns, pod, subresource="binding")
            return who, "create", r, uri(r), "scheduler", 201, False, "10.0.0.3", ("Binding", ns, pod, 500)
        r = ref("events", ns, f"{pod}.17e{self.rng.getrandbits(32):08x}", "events.k8s.io")
        return who, "create", r, uri(ref("events", ns, group="events.k8s.io")), "scheduler", 201, False, "10.0.0.3", None

    def workload(self):
        """An application's in-cluster client, with its own service account, in its own namespace."""
        ns, app = self.rng.choice(self.c.workloads)
        who = sa_user(ns, app if self.rng.random() < 0.9 else "default")
        agent = ("operator", app)
        ip = f"100.64.{self.rng.randrange(256)}.{self.rng.randrange(1, 255)}"
        choice = self.rng.random()
        if choice < 0.3:  # leader election
            r = ref("leases", ns, f"{app}-leader", "coordination.k8s.io")
            verb = self.rng.choice(["get", "update", "update"])
            body = ("Lease", ns, app, 600) if verb == "update" else None
            return who, verb, r, uri(r), agent, 200, False, ip, body
        if choice < 0.5:
            resource, name = self.rng.choice([("configmaps", f"{app}-config"), ("secrets", f"{app}-creds"),
                                              ("secrets", f"{app}-tls"), ("configmaps", f"{app}-flags")])
            r = ref(resource, ns, name)
            return who, "get", r, uri(r), agent, 200 if self.rng.random() < 0.95 else 404, False, ip, None
        if choice < 0.75:
            resource, group = self.rng.choice([("pods", ""), ("services", ""), ("endpoints", ""),
                                               ("configmaps", ""), ("endpointslices", "discovery.k8s.io")])
            r = ref(resource, ns, group=group)
            if self.rng.random() < 0.6:
                query = f"allowWatchBookmarks=true&resourceVersion={self.rng.randrange(10**8)}&watch=true"
                return who, "watch", r, uri(r, query), agent, 200, True, ip, None
            return who, "list", r, uri(r, "limit=500"), agent, 200, False, ip, None
        if choice < 0.85:
            r = ref("events", ns, f"{app}.17e{self.rng.getrandbits(32):08x}")
            return who, "create", r, uri(ref("events", ns)), agent, 201, False, ip, None
        if choice < 0.95:
            resource, group = self.rng.choice([("jobs", "batch"), ("deployments", "apps"), ("configmaps", "")])
            r = ref(resource, ns, f"{app}-{self.rng.randrange(1000)}", group)
            verb = self.rng.choice(["create", "patch", "delete"])
            return who, verb, r, uri(r), agent, 201 if verb == "create" else 200, False, ip, ("Job", ns, app, 2600)
        r = ref("selfsubjectaccessreviews", group="authorization.k8s.io")
        return who, "create", r, uri(r), agent, 201, False, ip, ("SelfSubjectAccessReview", "", app, 500)

    def operator(self):
        name, ons, kinds = self.rng.choice(OPERATORS)
        who = sa_user(ons, name)
        agent, ip = ("operator", name), "10.1.4.7"
        resource, group = self.rng.choice(kinds)
        ns = self.rng.choice(self.c.tenant_namespaces)
        choice = self.rng.random()
        if choice < 0.3:
            r = ref(resource, group=group)
            verb = self.rng.choice(["list", "watch", "watch"])
            query = f"resourceVersion={self.rng.randrange(10**8)}" + ("&watch=true" if verb == "watch" else "&limit=500")
            return who, verb, r, uri(r, query), agent, 200, verb == "watch", ip, None
        app = self.rng.choice(self.c.apps[ns])
        if choice < 0.55:
            r = ref(resource, ns, app, group)
            return who, "get", r, uri(r), agent, 200, False, ip, None
        if choice < 0.75:
            r = ref(resource, ns, app, group, subresource="status")
            return who, self.rng.choice(["update", "patch"]), r, uri(r), agent, 200, False, ip, ("Status", ns, app, 1600)
        if choice < 0.9:
            resource = self.rng.choice(["secrets", "configmaps", "services"])
            r = ref(resource, ns, f"{app}-{name.split('-')[0]}")
            verb = self.rng.choice(["get", "get", "update", "create"])
            body = (resource.capitalize(), ns, app, 2000) if verb != "get" else None
            return who, verb, r, uri(r), agent, 201 if verb == "create" else 200, False, ip, body
        r = ref("leases", ons, name, "coordination.k8s.io")
        return who, self.rng.choice(["get", "update"]), r, uri(r), agent, 200, False, ip, None

    def monitoring(self):
        who = sa_user("monitoring", self.rng.choice(["prometheus-k8s", "kube-state-metrics", "metrics-server"]))
        choice = self.rng.random()
        if choice < 0.3:
            return who, "get", None, "/metrics", "prometheus", 200, False, "10.1.9.9", None
        if choice < 0.6:
            node, _ = self.node()
            r = ref("nodes", "", node, subresource="proxy")
            path = self.rng.choice(["/metrics/cadvisor", "/metrics", "/stats/summary", "/metrics/resource"])
            return who, "get", r, uri(r) + path, "prometheus", 200, False, "10.1.9.9", None
        resource, group = self.rng.choice([("pods", ""), ("endpoints", ""), ("services", ""),
                                           ("ingresses", "networking.k8s.io"), ("pods", "metrics.k8s.io")])
        r = ref(resource, self.rng.choice(self.c.namespaces), group=group)
        verb = self.rng.choice(["list", "watch"])
        query = "limit=500&resourceVersion=0" if verb == "list" else f"resourceVersion={self.rng.randrange(10**8)}&watch=true"
        return who, verb, r, uri(r, query), "prometheus", 200, verb == "watch", "10.1.9.9", None

    def discovery(self):
        group = self.rng.choice(["apps/v1", "batch/v1", "networking.k8s.io/v1", "coordination.k8s.io/v1",
                                 "cert-manager.io/v1", "argoproj.io/v1alpha1", "monitoring.coreos.com/v1"])
        path = self.rng.choice(["/api", "/apis", "/version", "/openapi/v2", "/api/v1", f"/apis/{group}",
                                f"/openapi/v3/apis/{group}", "/openapi/v3", "/.well-known/openid-configuration"])
        if path.startswith("/openapi/v3/"):  # kubectl's discovery cache: the hash changes with the API
            path += "?hash=" + hashlib.sha256(group.encode()).hexdigest()[:16].upper()
        if self.rng.random() < 0.5:
            name, groups, _ = self.rng.choice(self.c.people)
            who, agent = user(name, groups), "kubectl"
        else:
            ns, app = self.rng.choice(self.c.workloads)
            who, agent = sa_user(ns, app), ("operator", app)
        return who, "get", None, path, agent, 200, False, "10.1.4.8", None

    def event_create(self):
        node, ip = self.node()
        ns, _, pod = self.c.pod()
        group, who = ("events.k8s.io", self.kubelet(node)) if self.rng.random() < 0.6 else (
            "", user(f"system:serviceaccount:kube-system:{self.rng.choice(KUBE_SYSTEM_CONTROLLERS)}", KUBE_SYSTEM_SA_GROUPS))
        r = ref("events", ns, f"{pod}.17e{self.rng.getrandbits(32):08x}", group)
        verb = "create" if self.rng.random() < 0.8 else "patch"
        return who, verb, r, uri(ref("events", ns, group=group)), "kubelet", 201, False, ip, None

    def person(self):
        name, groups, teams = self.rng.choice(self.c.people)
        who = user(name, groups)
        team = self.rng.choice(teams)
        own = [ns for ns in self.c.tenant_namespaces if ns.startswith(team + "-")] or self.c.tenant_namespaces
        ns = self.rng.choice(own)
        app = self.rng.choice(self.c.apps[ns])
        pod = self.rng.choice(self.c.pods_by_namespace[ns])[2]
        ip = f"203.0.113.{self.rng.randrange(1, 255)}"
        choice = self.rng.random()
        if choice < 0.25:
            resource, group = self.rng.choice([("pods", ""), ("deployments", "apps"), ("services", ""),
                                               ("events", ""), ("configmaps", ""), ("ingresses", "networking.k8s.io")])
            r = ref(resource, ns, group=group)
            if self.rng.random() < 0.2:
                return who, "watch", r, uri(r, "watch=true"), "kubectl", 200, True, ip, None
            return who, "list", r, uri(r, "limit=500"), "kubectl", 200, False, ip, None
        if choice < 0.40:
            r = ref("pods", ns, pod)
            return who, "get", r, uri(r), "kubectl", 200 if self.rng.random() < 0.8 else 404, False, ip, None
        if choice < 0.50:
            r = ref("pods", ns, pod, subresource="log")
            return who, "get", r, uri(r, "container=main&follow=true"), "kubectl", 200, True, ip, None
        if choice < 0.56:
            r = ref("pods", ns, pod, subresource=self.rng.choice(["exec", "exec", "attach", "portforward"]))
            query = "command=sh&container=main&stdin=true&stdout=true&tty=true" if r["subresource"] == "exec" else ""
            return who, "create", r, uri(r, query), "kubectl", 101, True, ip, None
        if choice < 0.64:
            sname = self.rng.choice([f"{app}-creds", f"{app}-tls", "registry-pull"])
            r = ref("secrets", ns, sname)
            return who, "get", r, uri(r), "kubectl", 200, False, ip, None
        if choice < 0.76:
            resource, group, kind = self.rng.choice([("deployments", "apps", "Deployment"), ("services", "", "Service"),
                                                     ("configmaps", "", "ConfigMap"), ("cronjobs", "batch", "CronJob")])
            r = ref(resource, ns, app, group)
            return who, "patch", r, uri(r, "fieldManager=kubectl-client-side-apply"), "kubectl", 200, False, ip, (kind, ns, app, 3200)
        if choice < 0.80:
            r = ref("deployments", ns, app, "apps", subresource="scale")
            return who, self.rng.choice(["get", "patch"]), r, uri(r), "kubectl", 200, False, ip, ("Scale", ns, app, 400)
        if choice < 0.84:
            r = ref("pods", ns, pod, subresource="eviction")
            return who, "create", r, uri(r), "kubectl", 201, False, ip, ("Eviction", ns, pod, 300)
        if choice < 0.89:
            resource = self.rng.choice(["rolebindings", "roles", "clusterrolebindings", "clusterroles"])
            cluster_wide = resource.startswith("cluster")
            r = ref(resource, "" if cluster_wide else ns, f"{team}-{resource[:-1]}-{self.rng.randrange(50)}",
                    "rbac.authorization.k8s.io")
            verb = self.rng.choice(["get", "create", "update", "delete"])
            return who, verb, r, uri(r), "kubectl", 201 if verb == "create" else 200, False, ip, ("RoleBinding", ns, app, 900)
        if choice < 0.94:
            r = ref("pods", ns, pod)
            return who, "delete", r, uri(r), "kubectl", 200, False, ip, None
        if choice < 0.97:
            r = ref("namespaces", "", ns)
            return who, "get", r, uri(r), "kubectl", 200, False, ip, None
        # kubectl --as: the authenticated user impersonates a service account
        r = ref("configmaps", ns, f"{app}-config")
        return (who, "get", r, uri(r), "kubectl", 200, False, ip,
                None, {"username": f"system:serviceaccount:{ns}:{app}", "groups": ["system:serviceaccounts"]})

    def deployer(self):
        """A GitOps controller applying manifests in every namespace."""
        who = sa_user("argocd", "argocd-application-controller") if self.rng.random() < 0.6 else \
            sa_user("flux-system", "kustomize-controller")
        ns, app = self.rng.choice(self.c.workloads)
        resource, group, kind = self.rng.choice([
            ("deployments", "apps", "Deployment"), ("services", "", "Service"), ("configmaps", "", "ConfigMap"),
            ("serviceaccounts", "", "ServiceAccount"), ("horizontalpodautoscalers", "autoscaling", "HorizontalPodAutoscaler"),
            ("networkpolicies", "networking.k8s.io", "NetworkPolicy"), ("rolebindings", "rbac.authorization.k8s.io", "RoleBinding"),
            ("poddisruptionbudgets", "policy", "PodDisruptionBudget")])
        r = ref(resource, ns, app, group)
        verb = self.rng.choice(["get", "get", "patch", "list"])
        if verb == "list":
            r = ref(resource, ns, group=group)
            return who, "list", r, uri(r, "limit=500"), ("operator", "argocd"), 200, False, "10.1.4.8", None
        body = (kind, ns, app, 3600) if verb == "patch" else None
        return who, verb, r, uri(r, "fieldManager=argocd-controller" if body else ""), ("operator", "argocd"), 200, False, "10.1.4.8", body

    def autoscaler(self):
        ns, app = self.rng.choice(self.c.workloads)
        if self.rng.random() < 0.5:
            who = user("system:serviceaccount:kube-system:horizontal-pod-autoscaler", KUBE_SYSTEM_SA_GROUPS)
            r = ref("deployments", ns, app, "apps", subresource="scale")
            return who, "get", r, uri(r), ("kcm", "horizontal-pod-autoscaler"), 200, False, "10.0.0.2", None
        who = user("system:serviceaccount:kube-system:horizontal-pod-autoscaler", KUBE_SYSTEM_SA_GROUPS)
        r = ref("pods", ns, group="metrics.k8s.io", version="v1beta1")
        return who, "list", r, uri(r, f"labelSelector=app%3D{app}"), ("kcm", "horizontal-pod-autoscaler"), 200, False, "10.0.0.2", None

    def review(self):
        """kube-rbac-proxy sidecars and webhooks checking tokens and permissions."""
        ns, app = self.rng.choice(self.c.workloads)
        who = sa_user(ns, app) if self.rng.random() < 0.7 else sa_user("monitoring", "kube-rbac-proxy")
        resource, group = self.rng.choice([("tokenreviews", "authentication.k8s.io"),
                                           ("subjectaccessreviews", "authorization.k8s.io")])
        r = ref(resource, group=group)
        return who, "create", r, uri(r), ("operator", "kube-rbac-proxy"), 201, False, "100.64.3.3", ("TokenReview", "", app, 1400)


PROFILES = ("cluster", "realistic")


def events(count: int, seed: int, nodes: int, profile: str = "cluster", namespaces: int = 400, people: int = 300):
    """Yield ``count`` audit events (dicts) in log order."""
    rng = random.Random(seed)
    if profile == "realistic":
        traffic: Traffic = RealisticTraffic(rng, RealisticCluster(rng, nodes, namespaces, people))
    else:
        traffic = Traffic(rng, Cluster(rng, nodes))
    kinds = [k for k, _ in traffic.weights]
    weights = [w for _, w in traffic.weights]
    clock = datetime(2026, 3, 2, 8, 0, 0, tzinfo=timezone.utc)
    emitted = 0
    while emitted < count:
        for kind in rng.choices(kinds, weights, k=1000):
            for event in request_events(rng, kind(), clock):
                if emitted == count:
                    return
                emitted += 1
                yield event
            clock += timedelta(microseconds=rng.randrange(50, 400))


def request_events(rng: random.Random, spec: tuple, clock: datetime) -> list[dict]:
    who, verb, objref, request_uri, agent, code, long_running, ip, body, *impersonated = spec
    if isinstance(agent, tuple):
        template, value = agent
        agent = USER_AGENTS[template].format(sa=value, name=value)
    else:
        agent = USER_AGENTS.get(agent, agent)
    received = clock.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    person = "@" in who.get("username", "") or who.get("username") == "kubernetes-admin"
    with_response = body is not None and rng.random() < 0.5
    level = "RequestResponse" if with_response else "Request" if body else "Metadata"
    base = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": level,
            "auditID": "%08x-%04x-4%03x-a%03x-%012x" % (rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(12),
                                                       rng.getrandbits(12), rng.getrandbits(48)),
            "stage": "", "requestURI": request_uri, "verb": verb, "user": who, "sourceIPs": [ip], "userAgent": agent}
    if impersonated:
        base["impersonatedUser"] = impersonated[0]
    if objref is not None:
        base["objectRef"] = objref
    stages = ["ResponseComplete"]
    if long_running:
        stages.insert(0, "ResponseStarted")
    if person or rng.random() < 0.1:
        stages.insert(0, "RequestReceived")
    out = []
    for stage in stages:
        event = dict(base, stage=stage, requestReceivedTimestamp=received)
        done = stage != "RequestReceived"
        if done:
            event["responseStatus"] = {"metadata": {}, "code": code} if code < 400 else {
                "metadata": {}, "status": "Failure", "message": "Unauthorized", "reason": "Unauthorized", "code": code}
        if body and stage == "ResponseComplete":
            event["requestObject"] = object_body(body[0], body[1], body[2], rng, body[3] // 4)
            if with_response:
                event["responseObject"] = object_body(body[0], body[1], body[2], rng, body[3] // 3)
        event["stageTimestamp"] = (clock + timedelta(milliseconds=rng.randrange(1, 40) if done else 0)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        if who:
            event["annotations"] = {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": authorization_reason(who)}
        out.append(event)
    return out


def authorization_reason(who: dict) -> str:
    if "system:nodes" in who["groups"]:
        return ""  # the Node authorizer gives no reason
    binding = who["username"].rsplit(":", 1)[-1]
    return f'RBAC: allowed by ClusterRoleBinding "{binding}" of ClusterRole "{binding}"'


def write(count: int, seed: int, nodes: int, out, profile: str = "cluster", namespaces: int = 400,
          people: int = 300) -> None:
    encode = msgspec.json.Encoder().encode
    batch: list[bytes] = []
    for event in events(count, seed, nodes, profile, namespaces, people):
        batch.append(encode(event))
        if len(batch) == 4096:
            out.write(b"\n".join(batch) + b"\n")
            batch.clear()
    if batch:
        out.write(b"\n".join(batch) + b"\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="number of events (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--nodes", type=int, default=1000, help="cluster size in nodes (default 1000)")
    parser.add_argument("--profile", choices=PROFILES, default="cluster",
                        help="cluster: a large cluster's traffic, few tenants (default); realistic: a multi-tenant "
                             "cluster with thousands of users, hundreds of namespaces and pods that come and go")
    parser.add_argument("--namespaces", type=int, default=400, help="realistic: namespaces (default 400)")
    parser.add_argument("--people", type=int, default=300, help="realistic: people using kubectl (default 300)")
    parser.add_argument("-o", "--output", default="-", help="output file (.gz compresses); - for stdout (default)")
    args = parser.parse_args(argv)
    try:
        if args.output == "-":
            write(args.events, args.seed, args.nodes, sys.stdout.buffer, args.profile, args.namespaces, args.people)
            sys.stdout.buffer.flush()
        else:
            opener = gzip.open if args.output.endswith(".gz") else open
            with opener(args.output, "wb") as out:
                write(args.events, args.seed, args.nodes, out, args.profile, args.namespaces, args.people)
    except BrokenPipeError:
        sys.stderr.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
