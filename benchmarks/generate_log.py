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

The output is deterministic: the same ``--seed`` and ``--events`` give the same bytes.

    python benchmarks/generate_log.py --events 2000000 -o /tmp/audit-2m.jsonl
    python benchmarks/generate_log.py --events 10000000 | kube-audit-lint replay policy.yaml -
"""

from __future__ import annotations

import argparse
import gzip
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


def events(count: int, seed: int, nodes: int):
    """Yield ``count`` audit events (dicts) in log order."""
    rng = random.Random(seed)
    cluster = Cluster(rng, nodes)
    traffic = Traffic(rng, cluster)
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


def write(count: int, seed: int, nodes: int, out) -> None:
    encode = msgspec.json.Encoder().encode
    batch: list[bytes] = []
    for event in events(count, seed, nodes):
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
    parser.add_argument("-o", "--output", default="-", help="output file (.gz compresses); - for stdout (default)")
    args = parser.parse_args(argv)
    try:
        if args.output == "-":
            write(args.events, args.seed, args.nodes, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        else:
            opener = gzip.open if args.output.endswith(".gz") else open
            with opener(args.output, "wb") as out:
                write(args.events, args.seed, args.nodes, out)
    except BrokenPipeError:
        sys.stderr.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
