"""Request-space analysis: what a policy decides for *every* request in a class, exactly.

Checks ask questions about all requests, not one: can any request on secrets be logged with a
body, does any request reach rule 9, which requests match no rule. This module answers them with
the matching semantics of ``linter.engine.evaluate`` (kube-apiserver's checker), and backs every
answer with a witness request that the plain evaluator confirms.

How it stays exact and finite. A rule only tests request fields against the finitely many strings
written in the policy (and in the question's selector). So every string field splits into classes:
"equals c" for each such constant c, and "any other value", which the policy cannot tell apart.
Non-resource paths split the same way by the longest ``prefix*`` they start with. Group
membership is a set, so each group named anywhere becomes its own yes/no field. A request class is
then a *cube*: per field, the set of classes allowed (a bitmask). A rule matches a union of cubes.
"Rule i is reachable" means: some cube of rule i minus the cubes of rules 0..i-1 is non-empty,
which a depth-first search over cube differences decides exactly, however many earlier rules
share the shadowing.

The request domain is what the apiserver can present to the policy checker: a user is absent
(failed authentication) or a non-empty name; a verb is non-empty; API group, namespace and name
contain no ``/``; a resource is non-empty without ``/``; a subresource has no ``/`` (empty for
none); a non-resource path starts with ``/``. Within that domain any string is possible, ``*``
included as a literal value, except on the resources the catalogue knows
(``linter/data/kubernetes-resources.yaml``), where requests are those kube-apiserver's request
info gives (``kube.api.request_problem``): a request on the Namespace object NAME has namespace
NAME and only the namespaces collection has namespace ""; a namespaced resource has namespace ""
only when listed or watched across all namespaces; a cluster-scoped one never has a namespace;
removed resources and groups, subresources a resource lacks and verbs it does not serve never
occur. The universe keeps those requests out as cubes (``_Universe.impossible``), so the answers
stay exact over the requests that exist.
"""

from __future__ import annotations

import functools
import itertools
import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from kube_audit_lint.engine.evaluate import WILDCARD_GROUP_SINCE, Decision, decide, evaluate, rule_matches
from kube_audit_lint.engine.request import Request
from kube_audit_lint.engine.ruleindex import RuleIndex
from kube_audit_lint.kube import api as kubeapi
from kube_audit_lint.policy.model import GroupResources, Level, Policy, Rule

__all__ = ["Selector", "Outcome", "RequestSpace", "SpaceError", "PolicyPair", "Divergence", "rule_witnesses"]


class SpaceError(AssertionError):
    """The analysis produced a witness the evaluator disagrees with: a bug in this module."""


# --------------------------------------------------------------------------------------------
# Selectors: request classes written like policy rules


_SELECTOR_KEYS = ("users", "userGroups", "verbs", "resources", "namespaces", "nonResourceURLs",
                  "authenticated")
_ENTRY_KEYS = ("group", "resources", "resourceNames")


def _string_list(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{where}: expected a list of strings, got {value!r}")
    return tuple(value)


def _group_resources(data: Any, where: str) -> GroupResources:
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected a mapping with group/resources/resourceNames")
    unknown = sorted(set(data) - set(_ENTRY_KEYS))
    if unknown:
        raise ValueError(f"{where}: unknown key {unknown[0]!r} (expected one of {', '.join(_ENTRY_KEYS)})")
    group = data.get("group") or ""
    if not isinstance(group, str):
        raise ValueError(f"{where}.group: expected a string, got {group!r}")
    return GroupResources(group, _string_list(data.get("resources"), f"{where}.resources"),
                          _string_list(data.get("resourceNames"), f"{where}.resourceNames"))


@dataclass(frozen=True)
class Selector:
    """A class of requests, with the fields of a policy rule; an empty field means any.

    Matching is that of a rule (users, groups, verbs and namespaces are exact strings; resources
    take every wildcard form a rule takes; ``resources``/``namespaces`` select resource requests
    only, ``non_resource_urls`` non-resource requests only), except that group ``"*"`` always
    means every group, whatever the Kubernetes version. ``user_groups`` selects requests that
    carry at least one of the groups, and, as in a rule, never an unauthenticated request.
    ``authenticated``: None any request, False only requests with no user (failed
    authentication), True only authenticated ones.
    """

    users: tuple[str, ...] = ()
    user_groups: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ()
    resources: tuple[GroupResources, ...] = ()
    namespaces: tuple[str, ...] = ()
    non_resource_urls: tuple[str, ...] = ()
    authenticated: bool | None = None

    @classmethod
    def from_rule(cls, rule: Rule) -> "Selector":
        return cls(rule.users, rule.user_groups, rule.verbs, rule.resources, rule.namespaces,
                   rule.non_resource_urls)

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> "Selector":
        """Keys as in a policy rule (users, userGroups, verbs, resources, namespaces,
        nonResourceURLs) plus ``authenticated``. Raises ValueError on anything else."""
        if not isinstance(data, dict):
            raise ValueError(f"request selector: expected a mapping, got {data!r}")
        unknown = sorted(set(data) - set(_SELECTOR_KEYS))
        if unknown:
            raise ValueError(f"request selector: unknown key {unknown[0]!r} "
                             f"(expected one of {', '.join(_SELECTOR_KEYS)})")
        resources = data.get("resources")
        if resources is not None and not isinstance(resources, list):
            raise ValueError(f"resources: expected a list, got {resources!r}")
        authenticated = data.get("authenticated")
        if authenticated is not None and not isinstance(authenticated, bool):
            raise ValueError(f"authenticated: expected true or false, got {authenticated!r}")
        return cls(
            users=_string_list(data.get("users"), "users"),
            user_groups=_string_list(data.get("userGroups"), "userGroups"),
            verbs=_string_list(data.get("verbs"), "verbs"),
            resources=tuple(_group_resources(item, f"resources[{i}]")
                            for i, item in enumerate(resources or ())),
            namespaces=_string_list(data.get("namespaces"), "namespaces"),
            non_resource_urls=_string_list(data.get("nonResourceURLs"), "nonResourceURLs"),
            authenticated=authenticated,
        )

    @functools.cached_property
    def _rule(self) -> Rule:
        return Rule(-1, "", self.users, self.user_groups, self.verbs, self.resources,
                    self.namespaces, self.non_resource_urls)

    def contains(self, request: Request) -> bool:
        if self.authenticated is not None and (request.user is not None) != self.authenticated:
            return False
        return rule_matches(self._rule, request, wildcard_group=True)

    def describe(self) -> str:
        parts = []
        for label, values in (("users", self.users), ("groups", self.user_groups),
                              ("verbs", self.verbs), ("namespaces", self.namespaces),
                              ("paths", self.non_resource_urls)):
            if values:
                parts.append(f"{label} {', '.join(values)}")
        for entry in self.resources:
            group = entry.group or "core"
            parts.append(f"{'/'.join(entry.resources) or '*'} in group {group}"
                         + (f" named {', '.join(entry.resource_names)}" if entry.resource_names else ""))
        if self.authenticated is not None:
            parts.append("authenticated" if self.authenticated else "unauthenticated")
        return "; ".join(parts) or "every request"


@dataclass(frozen=True)
class Outcome:
    """One way the policy decides requests of a selector: the rule, its decision, an example."""

    rule: int | None  # the first matching rule, None when no rule matches (level None)
    level: Level  # the decision's effective level: None too when every request stage is omitted
    decision: Decision
    witness: Request


# --------------------------------------------------------------------------------------------
# Fields and their classes

KIND, USER, VERB, API_GROUP, RESOURCE, SUBRESOURCE, NAMESPACE, NAME, PATH = range(9)
_FIELD_NAMES = {"kind": KIND, "verb": VERB, "group": API_GROUP, "resource": RESOURCE, "subresource": SUBRESOURCE,
                "namespace": NAMESPACE, "name": NAME}
FIXED_FIELDS = 9
RESOURCE_KIND, NON_RESOURCE_KIND = 1, 2  # bits of the KIND field
IN_GROUP, NOT_IN_GROUP = 2, 1  # bits of a group-membership field

# Realistic values, tried first when a witness may take any value of a class.
_USERS = ("alice", "system:serviceaccount:default:app", "bob")
_GROUP_USERS = {  # a user name that goes with a group kube-apiserver's authenticators assign
    "system:nodes": "system:node:node-1",
    "system:serviceaccounts": "system:serviceaccount:default:app",
    "system:unauthenticated": "system:anonymous",
    "system:masters": "admin",
}
_VERBS = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")
_NON_RESOURCE_VERBS = ("get", "post", "put", "delete", "head")
_GROUP_RESOURCES = {
    "": ("pods", "services", "configmaps", "secrets", "serviceaccounts", "nodes", "namespaces",
         "persistentvolumeclaims", "endpoints", "events"),
    "apps": ("deployments", "statefulsets", "daemonsets", "replicasets"),
    "batch": ("jobs", "cronjobs"),
    "rbac.authorization.k8s.io": ("roles", "rolebindings", "clusterroles", "clusterrolebindings"),
    "networking.k8s.io": ("ingresses", "networkpolicies"),
    "storage.k8s.io": ("storageclasses", "csidrivers"),
    "coordination.k8s.io": ("leases",),
    "authentication.k8s.io": ("tokenreviews",),
    "authorization.k8s.io": ("subjectaccessreviews",),
    "certificates.k8s.io": ("certificatesigningrequests",),
    "admissionregistration.k8s.io": ("validatingwebhookconfigurations", "mutatingwebhookconfigurations"),
    "apiextensions.k8s.io": ("customresourcedefinitions",),
    "policy": ("poddisruptionbudgets",),
    "autoscaling": ("horizontalpodautoscalers",),
    "events.k8s.io": ("events",),
    "discovery.k8s.io": ("endpointslices",),
}
_API_GROUPS = tuple(_GROUP_RESOURCES)
_ALL_RESOURCES = tuple(dict.fromkeys(r for rs in _GROUP_RESOURCES.values() for r in rs))
_CLUSTER_SCOPED = frozenset({
    "nodes", "namespaces", "persistentvolumes", "clusterroles", "clusterrolebindings",
    "storageclasses", "csidrivers", "tokenreviews", "subjectaccessreviews",
    "certificatesigningrequests", "validatingwebhookconfigurations",
    "mutatingwebhookconfigurations", "customresourcedefinitions",
})
_SUBRESOURCES = ("", "status", "log", "exec", "scale")
# Verbs of the resources and subresources that serve only some (a review is created, a log read).
_ONLY_VERBS = {
    ("pods", "log"): ("get",), ("pods", "exec"): ("get", "create"), ("pods", "attach"): ("get", "create"),
    ("pods", "portforward"): ("get", "create"), ("pods", "eviction"): ("create",), ("pods", "binding"): ("create",),
    ("serviceaccounts", "token"): ("create",), ("bindings", ""): ("create",),
    **{(review, ""): ("create",) for review in (
        "tokenreviews", "subjectaccessreviews", "selfsubjectaccessreviews", "localsubjectaccessreviews",
        "selfsubjectrulesreviews", "selfsubjectreviews")},
}


def _served_verbs(resource: str, subresource: str) -> tuple[str, ...]:
    """The verbs to prefer for an example request on ``resource/subresource``."""
    return _ONLY_VERBS.get((resource, subresource), ())
_NAMESPACES = ("default", "kube-system", "prod", "")
_NAMES = ("example", "")
_COLLECTION_VERBS = frozenset({"list", "watch", "create", "deletecollection"})
_PATHS = ("/metrics", "/version", "/healthz", "/livez", "/readyz", "/openapi/v2", "/api",
          "/apis", "/logs")


def _users_for(groups: tuple[str, ...]) -> tuple[str, ...]:
    users = []
    for group in groups:
        if group in _GROUP_USERS:
            users.append(_GROUP_USERS[group])
        elif group.startswith("system:serviceaccounts:"):
            users.append(f"system:serviceaccount:{group.rsplit(':', 1)[1]}:app")
    return tuple(users)


def _no_slash(value: str) -> bool:
    return "/" not in value


def _literal(value: str) -> bool:
    """A user, group or verb a request can carry: kube-apiserver has no wildcards there, so a
    policy value with ``*`` matches only itself, which no authenticator or verb produces."""
    return value != "" and "*" not in value


def _namespace_name(value: str) -> bool:
    """A namespace a request can carry: a DNS label, never a pattern."""
    return "/" not in value and "*" not in value


def _resource_name(value: str) -> bool:
    return value != "" and "/" not in value


class _Field:
    """A string field: one class per constant the policy names, one for every other value."""

    def __init__(self, constants: Iterable[str], valid: Callable[[str], bool], synthetic: str,
                 allow_none: bool = False):
        self.valid = valid
        self.constants = tuple(dict.fromkeys(c for c in constants if valid(c)))
        self.index = {c: i for i, c in enumerate(self.constants)}
        self.other = len(self.constants)
        self.none = self.other + 1 if allow_none else None  # the absent user
        self.full = (1 << (self.other + (2 if allow_none else 1))) - 1
        self.synthetic = synthetic
        self._choices: dict[tuple[int, tuple[str, ...]], tuple[str, ...]] = {}  # see choices

    def classify(self, value: str | None) -> int:
        if value is None:
            if self.none is None:
                raise ValueError("this field has no absent value")
            return self.none
        return self.index.get(value, self.other)

    def mask(self, values: Iterable[str]) -> int:
        bits = 0
        for value in values:
            if value in self.index:
                bits |= 1 << self.index[value]
        return bits

    def pick(self, mask: int, candidates: Iterable[str]) -> str:
        """A value in the classes of ``mask``: a realistic one when possible."""
        value = self.pick_or_absent(mask, candidates)
        if value is None:
            raise ValueError("only the absent value is left")
        return value

    def _finite_choices(self, mask: int, candidates: tuple[str, ...]) -> tuple[str, ...]:
        """The realistic candidates in the classes of ``mask``, then the constants of those classes."""
        seen: dict[str, None] = {}
        for value in candidates:
            if value not in seen and self.valid(value) and mask >> self.classify(value) & 1:
                seen[value] = None
        for i, value in enumerate(self.constants):
            if mask >> i & 1 and value not in seen:
                seen[value] = None
        return tuple(seen)

    def choices(self, mask: int, candidates: Iterable[str]) -> Iterator[str]:
        """The values ``pick`` would take, in its order of preference, and then one per class of
        ``mask`` (the absent value left out)."""
        key = (mask, candidates if isinstance(candidates, tuple) else tuple(candidates))
        finite = self._choices.get(key)
        if finite is None:
            finite = self._choices[key] = self._finite_choices(mask, key[1])
        yield from finite
        seen = set(finite)
        if mask >> self.other & 1:
            for n in itertools.count(1):
                value = f"{self.synthetic}-{n}"
                if value not in self.index:
                    if value not in seen:
                        yield value
                    return

    def pick_or_absent(self, mask: int, candidates: Iterable[str]) -> str | None:
        """As ``pick``, or None when only the absent value (the absent user) is left."""
        for value in candidates:
            if self.valid(value) and mask >> self.classify(value) & 1:
                return value
        for i, value in enumerate(self.constants):
            if mask >> i & 1:
                return value
        if mask >> self.other & 1:
            for n in itertools.count(1):
                value = f"{self.synthetic}-{n}"
                if value not in self.index:
                    return value
        return None  # only the absent user is left


_WITNESS_TRIES = 5000  # requests looked at for a served witness before taking the cube's first


class _PathField:
    """Non-resource paths: one class per exact path named, and per ``prefix*`` for the paths whose
    longest named prefix it is. ``/`` is always a prefix, since every path starts with it."""

    def __init__(self, specs: Iterable[str]):
        exact, prefixes = [], {"/"}
        for spec in specs:
            if spec.endswith("*"):
                prefixes.add(spec.rstrip("*"))
            else:
                exact.append(spec)
        self.constants = tuple(dict.fromkeys(c for c in exact if c.startswith("/")))
        self.index = {c: i for i, c in enumerate(self.constants)}
        # longest first, so the first prefix a path starts with is its class
        self.prefixes = tuple(sorted((p for p in prefixes if p.startswith("/")), key=len, reverse=True))
        self.prefix_index = {p: len(self.constants) + i for i, p in enumerate(self.prefixes)}
        self.full = (1 << (len(self.constants) + len(self.prefixes))) - 1

    def classify(self, path: str) -> int:
        if path in self.index:
            return self.index[path]
        for prefix in self.prefixes:
            if path.startswith(prefix):
                return self.prefix_index[prefix]
        raise ValueError(f"path {path!r} does not start with /")

    def spec_mask(self, spec: str) -> int:
        """The classes ``path_matches(path, spec)`` accepts."""
        if spec == "*":
            return self.full
        if not spec.endswith("*"):
            return 1 << self.index[spec] if spec in self.index else 0
        prefix = spec.rstrip("*")
        if prefix == "":
            return self.full
        bits = 0
        for constant, i in self.index.items():
            if constant.startswith(prefix):
                bits |= 1 << i
        for other, i in self.prefix_index.items():
            if other.startswith(prefix):
                bits |= 1 << i
        return bits

    def pick(self, mask: int) -> str:
        for value in _PATHS:
            if mask >> self.classify(value) & 1:
                return value
        for constant, i in self.index.items():
            if mask >> i & 1:
                return constant
        for prefix, i in self.prefix_index.items():
            if mask >> i & 1:
                return self._inside_prefix_class(prefix, i)
        raise SpaceError("empty path class")

    def _inside_prefix_class(self, prefix: str, cls: int) -> str:
        for suffix in ("", "example", "/example"):
            if self.classify(prefix + suffix) == cls:
                return prefix + suffix
        taken = {p[len(prefix)] for p in self.prefixes if len(p) > len(prefix) and p.startswith(prefix)}
        first = next(ch for ch in itertools.chain("abcdefghijklmnopqrstuvwxyz-_~",
                                                  map(chr, itertools.count(0x100)))
                     if ch not in taken)
        value = prefix + first
        while self.classify(value) != cls:  # only constants can be in the way; they are finite
            value += first
        return value


@dataclass(frozen=True)
class _RuleFields:
    """What the compiler reads from a rule or a selector."""

    users: tuple[str, ...]
    user_groups: tuple[str, ...]
    verbs: tuple[str, ...]
    resources: tuple[GroupResources, ...]
    namespaces: tuple[str, ...]
    non_resource_urls: tuple[str, ...]
    wildcard_group: bool
    authenticated: bool | None = None

    @classmethod
    def of_rule(cls, rule: Rule, wildcard_group: bool) -> "_RuleFields":
        return cls(rule.users, rule.user_groups, rule.verbs, rule.resources, rule.namespaces,
                   rule.non_resource_urls, wildcard_group)

    @classmethod
    def of_selector(cls, selector: Selector) -> "_RuleFields":
        return cls(selector.users, selector.user_groups, selector.verbs, selector.resources,
                   selector.namespaces, selector.non_resource_urls, True, selector.authenticated)


@dataclass(frozen=True)
class _Constants:
    """Every string the policy (and a selector) compares a request field with."""

    users: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    verbs: frozenset[str] = frozenset()
    api_groups: frozenset[str] = frozenset()
    resources: frozenset[str] = frozenset()
    subresources: frozenset[str] = frozenset()
    namespaces: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()
    paths: frozenset[str] = frozenset()

    @classmethod
    def of(cls, rules: Iterable[_RuleFields]) -> "_Constants":
        sets: dict[str, set[str]] = {name: set() for name in cls.__dataclass_fields__}
        for rule in rules:
            sets["users"].update(rule.users)
            sets["groups"].update(rule.user_groups)
            sets["verbs"].update(rule.verbs)
            sets["namespaces"].update(rule.namespaces)
            sets["paths"].update(rule.non_resource_urls)
            for entry in rule.resources:
                if entry.group != "*" or not rule.wildcard_group:
                    sets["api_groups"].add(entry.group)
                sets["names"].update(entry.resource_names)
                for pattern in entry.resources:
                    resource, subresource = _pattern_constants(pattern)
                    sets["resources"].update(resource)
                    sets["subresources"].update(subresource)
        return cls(**{name: frozenset(values) for name, values in sets.items()})

    def __or__(self, other: "_Constants") -> "_Constants":
        return _Constants(**{name: getattr(self, name) | getattr(other, name)
                             for name in self.__dataclass_fields__})

    def __le__(self, other: "_Constants") -> bool:
        return all(getattr(self, name) <= getattr(other, name) for name in self.__dataclass_fields__)


def _pattern_constants(pattern: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The resource and subresource strings a pattern compares with. A ``*`` only counts as a
    literal value in ``*/*`` (which matches a literal resource or subresource ``*``)."""
    if pattern == "*/*":
        return ("*",), ("*",)
    resource, _, subresource = pattern.partition("/")
    return (() if resource == "*" else (resource,)), (() if subresource == "*" else (subresource,))


Cube = int  # the allowed classes of every field, packed by a _Layout


class _Layout:
    """Packs one bitmask per field into a single integer, so that the set operations on cubes are
    single integer operations. Each field sits under a guard bit that is always 0 in a cube: the
    subtraction in ``nonzero_fields`` borrows into a field's guard bit only when the field is 0,
    which tests every field at once."""

    def __init__(self, widths: list[int]):
        self.offsets, self.masks = [], []
        offset = guards = lows = 0
        for width in widths:
            self.offsets.append(offset)
            self.masks.append(((1 << width) - 1) << offset)
            lows |= 1 << offset
            guards |= 1 << (offset + width)
            offset += width + 1
        self.guards, self.lows = guards, lows
        self.guard_field = {1 << (o + w): f for f, (o, w) in enumerate(zip(self.offsets, widths))}

    def pack(self, fields: list[int]) -> Cube:
        cube = 0
        for offset, bits in zip(self.offsets, fields):
            cube |= bits << offset
        return cube

    def field(self, cube: Cube, f: int) -> int:
        return (cube & self.masks[f]) >> self.offsets[f]

    def nonzero_fields(self, cube: Cube) -> int:
        """The guard bits of the fields of ``cube`` that are not empty."""
        return ((cube | self.guards) - self.lows) & self.guards

    def nonempty(self, cube: Cube) -> bool:
        return self.nonzero_fields(cube) == self.guards

    def fields_of(self, guards: int) -> Iterator[int]:
        while guards:
            low = guards & -guards
            yield self.guard_field[low]
            guards ^= low


# Values the request domain tells apart whatever a policy names: the verbs, the core group, the
# Namespace objects and the empty namespace and name (see ``_Universe.impossible``).
_DOMAIN_VERBS = frozenset(_VERBS)


_REQUEST_FIELDS = (KIND, VERB, API_GROUP, RESOURCE, SUBRESOURCE, NAMESPACE, NAME)  # what ``impossible`` depends on


@functools.lru_cache(maxsize=1024)
def _impossible_classes(constants: _Constants, kube_version: tuple[int, int] | None) -> tuple[tuple[int, ...], ...]:
    """The never-served classes of a universe of ``constants`` (with no users, groups or paths: the
    classes of the resource fields do not depend on them), as the bits of each of _REQUEST_FIELDS."""
    universe = _Universe(constants, kube_version)
    return tuple(tuple(universe.layout.field(cube, f) for f in _REQUEST_FIELDS) for cube in universe._impossible_cubes())


class _Universe:
    """The classes of every field for one set of constants, and the rule-to-cubes compiler.

    ``kube_version`` chooses the served resources (None: those of every release)."""

    def __init__(self, constants: _Constants, kube_version: tuple[int, int] | None = None):
        self.constants = constants
        self.kube_version = kube_version
        self._resource_choice: dict[tuple[int, ...], Request] = {}  # see witness
        self.user = _Field(sorted(constants.users), _literal, "other-user", allow_none=True)
        self.verb = _Field(sorted(constants.verbs | _DOMAIN_VERBS), _literal, "other-verb")
        self.api_group = _Field(sorted(constants.api_groups | {""}), _no_slash, "other.example.com")
        self.resource = _Field(sorted(constants.resources | {"namespaces"}), _resource_name, "other-resource")
        self.subresource = _Field(sorted(constants.subresources | {""}), _no_slash, "other-subresource")
        self.namespace = _Field(sorted(constants.namespaces | {""}), _namespace_name, "other-namespace")
        self.name = _Field(sorted(constants.names | {""}), _no_slash, "other-name")
        self.path = _PathField(sorted(constants.paths))
        self.groups = tuple(sorted(constants.groups))
        self.group_field = {g: FIXED_FIELDS + i for i, g in enumerate(self.groups)}
        self.full_fields = [
            RESOURCE_KIND | NON_RESOURCE_KIND, self.user.full, self.verb.full, self.api_group.full,
            self.resource.full, self.subresource.full, self.namespace.full, self.name.full,
            self.path.full,
        ] + [IN_GROUP | NOT_IN_GROUP] * len(self.groups)
        self.layout = _Layout([full.bit_length() for full in self.full_fields])
        self.full: Cube = self.layout.pack(self.full_fields)

    # ---- compiling a rule into cubes

    def compile(self, rule: _RuleFields) -> list[Cube]:
        base = list(self.full_fields)
        user = self.user.full
        absent = self.user.classify(None)
        if rule.users or rule.user_groups or rule.authenticated is True:
            user &= ~(1 << absent)
        if rule.authenticated is False:
            user &= 1 << absent
        if rule.users:
            user &= self.user.mask(rule.users)
        base[USER] = user
        if rule.verbs:
            base[VERB] = self.verb.mask(rule.verbs)
        alternatives: list[dict[int, int]] = [{}]
        if rule.namespaces or rule.resources:
            base[KIND] = RESOURCE_KIND
            if rule.namespaces:
                base[NAMESPACE] = self.namespace.mask(rule.namespaces)
            if rule.resources:
                alternatives = [alt for entry in rule.resources
                                for alt in self._entry_alternatives(entry, rule.wildcard_group)]
        elif rule.non_resource_urls:
            base[KIND] = NON_RESOURCE_KIND
            path = 0
            for spec in rule.non_resource_urls:
                path |= self.path.spec_mask(spec)
            base[PATH] = path
        memberships: list[dict[int, int]] = [{}]
        if rule.user_groups:
            # "at least one of the groups": one cube per group, the others left free; a group with
            # a "*" is no pattern to the apiserver, and no authenticator gives such a group
            memberships = [{self.group_field[g]: IN_GROUP} for g in dict.fromkeys(rule.user_groups) if _literal(g)]
        cubes = []
        for membership in memberships:
            for alternative in alternatives:
                fields = list(base)
                for f, bits in itertools.chain(membership.items(), alternative.items()):
                    fields[f] &= bits
                if all(fields):
                    cubes.append(self.layout.pack(fields))
        return _merge(cubes, self.layout)

    # ---- the requests that exist

    @functools.cached_property
    def preferred(self) -> list[Cube]:
        """Resource requests in the order examples prefer them, as cubes: a get of a named object,
        a list, a watch, a create, then the other changes of a named object."""
        unnamed = self.name.mask(("",))
        cubes = []
        for verb in _VERBS:
            fields = list(self.full_fields)
            fields[KIND] = RESOURCE_KIND
            fields[VERB] = self.verb.mask((verb,))
            fields[NAME] = unnamed if verb in _COLLECTION_VERBS else self.name.full & ~unnamed
            cubes.append(self.layout.pack(fields))
        return cubes

    @functools.cached_property
    def impossible(self) -> list[Cube]:
        """Request classes no request kube-apiserver serves falls in (``kube.api.request_problem``),
        for the catalogued groups and resources this universe can tell apart. Every search takes
        them as blockers that come before the first rule.

        They depend on the resource fields' classes and the release only (the user, path and group
        fields are free in each), so universes that tell the same resource requests apart share
        them: the universes of a policy's many questions, and those of the documents of a file."""
        resource_constants = dataclasses.replace(self.constants, users=frozenset(), groups=frozenset(),
                                                 paths=frozenset())
        free = list(self.full_fields)
        cubes = []
        for fields in _impossible_classes(resource_constants, self.kube_version):
            for f, bits in zip(_REQUEST_FIELDS, fields):
                free[f] = bits
            cubes.append(self.layout.pack(free))
        return cubes

    def _impossible_cubes(self) -> list[Cube]:
        cubes: list[Cube] = []
        layout = self.layout

        def add(**fields: int) -> None:
            cube = self.full
            for name, bits in fields.items():
                f = _FIELD_NAMES[name]
                cube &= ~layout.masks[f] | (bits << layout.offsets[f] & layout.masks[f])
            if layout.nonempty(cube):
                cubes.append(cube)

        # every resource request (requestinfo.go): an object verb names its object, a create of a
        # resource names none, a subresource belongs to a named object
        unnamed = self.name.mask(("",))
        add(kind=RESOURCE_KIND, verb=self.verb.mask(kubeapi.OBJECT_VERBS), name=unnamed)
        add(kind=RESOURCE_KIND, verb=self.verb.mask(("create",)), subresource=self.subresource.mask(("",)),
            name=self.name.full & ~unnamed)
        add(kind=RESOURCE_KIND, subresource=self.subresource.full & ~self.subresource.mask(("",)), name=unnamed)
        version = self.kube_version
        for group, resources in kubeapi.builtin_groups().items():
            if group not in self.api_group.index:
                continue
            g = 1 << self.api_group.index[group]
            if version is not None and kubeapi.group_removed(group, version):
                add(kind=RESOURCE_KIND, group=g)
                continue
            # a catalogued group serves only its catalogued resources
            missing = self.resource.mask(c for c in self.resource.constants if c not in resources)
            if all(name in self.resource.index for name in resources):  # no catalogued one is "other"
                missing |= 1 << self.resource.other
            add(kind=RESOURCE_KIND, group=g, resource=missing)
            # a subresource no resource of the group serves
            subresources = {sub for served in resources.values() for sub in served.subresources}
            unserved = self.subresource.mask(c for c in self.subresource.constants if c and c not in subresources)
            if all(sub in self.subresource.index for sub in subresources):
                unserved |= 1 << self.subresource.other
            add(kind=RESOURCE_KIND, group=g, subresource=unserved)
            for name, served in resources.items():
                if name not in self.resource.index:
                    continue
                r = 1 << self.resource.index[name]
                if version is not None and not served.served_in(version):
                    add(kind=RESOURCE_KIND, group=g, resource=r)
                    continue
                self._impossible_on(served, g, r, add)
        return _merge(cubes, self.layout)

    def _impossible_on(self, served: kubeapi.ApiResource, g: int, r: int, add: Callable[..., None]) -> None:
        verb, sub, namespace, name = self.verb, self.subresource, self.namespace, self.name
        whole = sub.mask(("",))
        unserved = sum(1 << i for c, i in sub.index.items() if c and c not in served.subresources)
        if all(s in sub.index for s in served.subresources):
            unserved |= 1 << sub.other
        add(kind=RESOURCE_KIND, group=g, resource=r, subresource=unserved)
        if served.verbs:
            add(kind=RESOURCE_KIND, group=g, resource=r, subresource=whole, verb=verb.full & ~verb.mask(served.verbs))
        for subresource, verbs in served.subresource_verbs:
            if subresource in sub.index:
                add(kind=RESOURCE_KIND, group=g, resource=r, subresource=1 << sub.index[subresource],
                    verb=verb.full & ~verb.mask(verbs))
        empty = namespace.mask(("",))
        if kubeapi.is_namespace_object(served.group, served.name):
            collection = verb.mask(kubeapi.NAMESPACE_COLLECTION_VERBS)
            named = verb.full & ~collection
            add(kind=RESOURCE_KIND, group=g, resource=r, verb=collection, namespace=namespace.full & ~empty)
            add(kind=RESOURCE_KIND, group=g, resource=r, verb=collection, subresource=sub.full & ~whole)
            add(kind=RESOURCE_KIND, group=g, resource=r, verb=named, namespace=empty)
            for value, i in namespace.index.items():
                if value:
                    add(kind=RESOURCE_KIND, group=g, resource=r, verb=named, namespace=1 << i,
                        name=name.full & ~(1 << name.classify(value)))
            shared = name.mask(n for n in name.constants if n in namespace.index)
            add(kind=RESOURCE_KIND, group=g, resource=r, verb=named, namespace=1 << namespace.other, name=shared)
        elif served.namespaced:
            add(kind=RESOURCE_KIND, group=g, resource=r, namespace=empty,
                verb=verb.full & ~verb.mask(kubeapi.CLUSTER_WIDE_VERBS))
            add(kind=RESOURCE_KIND, group=g, resource=r, namespace=empty, subresource=sub.full & ~whole)
        else:
            add(kind=RESOURCE_KIND, group=g, resource=r, namespace=namespace.full & ~empty)

    def _entry_alternatives(self, entry: GroupResources, wildcard_group: bool) -> Iterator[dict[int, int]]:
        if wildcard_group and entry.group == "*":
            group = self.api_group.full
        else:
            group = self.api_group.mask((entry.group,))
        if not entry.resources:
            yield {API_GROUP: group}
            return
        name = self.name.mask(entry.resource_names) if entry.resource_names else self.name.full
        for pattern in entry.resources:
            for resource, subresource in self._pattern_cubes(pattern):
                yield {API_GROUP: group, NAME: name, RESOURCE: resource, SUBRESOURCE: subresource}

    def _pattern_cubes(self, pattern: str) -> Iterator[tuple[int, int]]:
        """(resource, subresource) classes ``resource_matches(pattern, ...)`` accepts, as cubes.

        The ways a pattern matches: ``*`` everything; equal to ``resource[/subresource]``;
        ``*/sub`` a request that has subresource ``sub``; ``res/*`` resource ``res`` with or
        without a subresource."""
        if pattern == "*":
            yield self.resource.full, self.subresource.full
            return
        resource, slash, subresource = pattern.partition("/")
        if not slash:
            yield self.resource.mask((resource,)), self.subresource.mask(("",))
        elif subresource:
            yield self.resource.mask((resource,)), self.subresource.mask((subresource,))
        if pattern.startswith("*/") and pattern[2:]:
            yield self.resource.full, self.subresource.mask((pattern[2:],))
        if pattern.endswith("/*"):
            yield self.resource.mask((pattern[:-2],)), self.subresource.full

    def point(self, request: Request) -> Cube:
        """The cube of exactly the class ``request`` falls in (fields it does not use are free)."""
        fields = list(self.full_fields)
        fields[USER] = 1 << self.user.classify(request.user)
        for group, f in self.group_field.items():
            fields[f] = IN_GROUP if group in request.groups else NOT_IN_GROUP
        fields[VERB] = 1 << self.verb.classify(request.verb)
        if request.resource_request:
            fields[KIND] = RESOURCE_KIND
            for f, dimension, value in (
                (API_GROUP, self.api_group, request.api_group), (RESOURCE, self.resource, request.resource),
                (SUBRESOURCE, self.subresource, request.subresource),
                (NAMESPACE, self.namespace, request.namespace), (NAME, self.name, request.name),
            ):
                fields[f] = 1 << dimension.classify(value)
        else:
            fields[KIND] = NON_RESOURCE_KIND
            fields[PATH] = 1 << self.path.classify(request.path)
        return self.layout.pack(fields)

    # ---- choosing a concrete request inside a cube

    def witness(self, cube: Cube) -> Request:
        fields = [self.layout.field(cube, f) for f in range(len(self.full_fields))]
        groups = tuple(g for g in self.groups if fields[self.group_field[g]] == IN_GROUP)
        user = self.user.pick_or_absent(fields[USER], _users_for(groups) + _USERS)
        if user is None:
            groups = ()  # no rule looks at the groups of a request without a user
        if fields[KIND] & RESOURCE_KIND:
            # the first realistic request of the cube that the apiserver serves; the cube has one
            # when it lies outside ``impossible``, else (a class the universe cannot tell apart
            # from served ones) the first request of the cube
            # which request is chosen depends on the resource fields only, not on the user: found once
            key = tuple(fields[f] for f in (API_GROUP, RESOURCE, SUBRESOURCE, VERB, NAMESPACE, NAME))
            chosen = self._resource_choice.get(key)
            if chosen is None:
                served = (request for request in self._resource_requests(fields, None, (), prune=True)
                          if kubeapi.request_problem(request, self.kube_version) is None)
                chosen = next(itertools.islice(served, _WITNESS_TRIES), None)
                if chosen is None:
                    chosen = next(self._resource_requests(fields, None, ()))
                self._resource_choice[key] = chosen
            return dataclasses.replace(chosen, user=user, groups=groups)
        verb = self.verb.pick(fields[VERB], _NON_RESOURCE_VERBS)
        return Request(user=user, groups=groups, verb=verb, resource_request=False,
                       path=self.path.pick(fields[PATH]))

    def _resource_requests(self, fields: list[int], user: str | None, groups: tuple[str, ...],
                           prune: bool = False) -> Iterator[Request]:
        """The resource requests of a cube, realistic ones first: the verbs the resource takes, no
        namespace on a cluster-scoped resource, a name in every subresource's URL, a Namespace
        object's name as its namespace. With ``prune``, requests on a resource, subresource, verb or
        scope the catalogue says this universe's release never serves are left out as a whole (the
        order of the others is kept)."""
        version = self.kube_version
        for api_group in self.api_group.choices(fields[API_GROUP], _API_GROUPS):
            known = (_GROUP_RESOURCES.get(api_group, ()) + tuple(kubeapi.builtin_groups().get(api_group, ()))
                     + _ALL_RESOURCES)
            for resource in self.resource.choices(fields[RESOURCE], known):
                catalogued = kubeapi.lookup(api_group, resource) if prune else None
                if prune and catalogued is None and kubeapi.is_builtin_group(api_group):
                    continue  # a built-in group serves its catalogued resources only
                if catalogued is not None and version is not None and not catalogued.served_in(version):
                    continue
                for subresource in self.subresource.choices(fields[SUBRESOURCE], _SUBRESOURCES):
                    if catalogued is not None and subresource and subresource not in catalogued.subresources:
                        continue
                    only = catalogued.verbs_of(subresource) if catalogued is not None else ()
                    for verb in self.verb.choices(fields[VERB], _served_verbs(resource, subresource) + _VERBS):
                        if only and verb not in only:
                            continue
                        for namespace, name in self._places(fields, api_group, resource, subresource, verb,
                                                            catalogued, prune):
                            yield Request(user=user, groups=groups, verb=verb, resource_request=True,
                                          api_group=api_group, resource=resource, subresource=subresource,
                                          namespace=namespace, name=name)

    def _places(self, fields: list[int], api_group: str, resource: str, subresource: str, verb: str,
                catalogued: kubeapi.ApiResource | None = None, prune: bool = False) -> Iterator[tuple[str, str]]:
        """(namespace, name) pairs of the cube for a request, realistic ones first; with ``prune``,
        only those a served request can have (a name where the verb needs one, a namespace as the
        catalogued resource's scope wants)."""
        namespaces, names = fields[NAMESPACE], fields[NAME]
        if kubeapi.is_namespace_object(api_group, resource) and verb not in kubeapi.NAMESPACE_COLLECTION_VERBS:
            # requestinfo.go: namespaces/NAME has namespace NAME
            for value in itertools.chain(self.namespace.choices(namespaces, ("kube-system", "default")),
                                         self.name.choices(names, _NAMES)):
                if (value and self.namespace.valid(value) and namespaces >> self.namespace.classify(value) & 1
                        and names >> self.name.classify(value) & 1):
                    yield value, value
            return
        scoped = ("", "default") if resource in _CLUSTER_SCOPED else _NAMESPACES
        collection = ("",) + _NAMES if verb in _COLLECTION_VERBS and not subresource else _NAMES
        unnamed = not prune or (verb not in kubeapi.OBJECT_VERBS and not subresource)
        named = not prune or verb != "create" or bool(subresource)
        cluster_wide = not prune or catalogued is None or not catalogued.namespaced or (
            verb in kubeapi.CLUSTER_WIDE_VERBS and not subresource)
        in_namespace = not prune or catalogued is None or catalogued.namespaced
        for namespace in self.namespace.choices(namespaces, scoped):
            if not (in_namespace if namespace else cluster_wide):
                continue
            for name in self.name.choices(names, collection):
                if named if name else unnamed:
                    yield namespace, name


# --------------------------------------------------------------------------------------------
# Searching cube differences


def _merge(cubes: list[Cube], layout: _Layout) -> list[Cube]:
    """Fewer cubes for the same set: join cubes that agree on every field but one, then drop
    cubes inside another. Keeps the order of first appearance (witnesses come from the first)."""
    cubes = list(dict.fromkeys(cubes))
    if len(cubes) <= 1:
        return cubes
    # only fields where some cubes differ can join cubes (joining never makes a field differ anew)
    differ = 0
    for cube in cubes:
        differ |= cube ^ cubes[0]
    masks = [mask for mask in layout.masks if mask & differ]
    joined = True
    while joined:
        joined = False
        for mask in masks:
            buckets: dict[Cube, Cube] = {}
            for cube in cubes:
                rest = cube & ~mask
                buckets[rest] = buckets.get(rest, 0) | cube
            if len(buckets) < len(cubes):
                cubes, joined = list(buckets.values()), True
    if len(cubes) > _CONTAINMENT_LIMIT:
        return cubes
    return _maximal(cubes)


def _maximal(cubes: list[Cube]) -> list[Cube]:
    """The cubes of ``cubes`` (all different) that lie inside no other, in their order. A cube
    inside another lies inside a maximal one with more bits, so each cube, taken largest first,
    is only compared with the maximal ones found before it."""
    maximal: list[Cube] = []
    for cube in sorted(cubes, key=int.bit_count, reverse=True):
        if not any(not cube & ~larger for larger in maximal):
            maximal.append(cube)
    kept = set(maximal)
    return [cube for cube in cubes if cube in kept]


_CONTAINMENT_LIMIT = 300  # the pairwise containment pass is quadratic; it only saves search time


@dataclass(frozen=True)
class _Blocker:
    cube: Cube
    rule: int


_IMPOSSIBLE = -2  # the rule of a blocker made of requests kube-apiserver never serves


def _escape(cube: Cube, blockers: list[_Blocker], layout: _Layout,
            used: set[int] | None = None) -> Cube | None:
    """A non-empty part of ``cube`` outside every blocker, or None when the blockers cover it.

    Depth first: take the blocker that leaves the fewest ways out, split ``cube`` minus that
    blocker into disjoint pieces (one per field where the cube sticks out) and search each piece
    against the remaining blockers. ``used`` collects the rules of the blockers the search leaned
    on: when it finds nothing, those rules alone cover the cube."""
    guards, lows = layout.guards, layout.lows  # layout.nonempty and nonzero_fields, inlined
    stack = [(cube, blockers)]
    while stack:
        cube, blockers = stack.pop()
        live = [b for b in blockers if ((cube & b.cube | guards) - lows) & guards == guards]
        if not live:
            return cube
        best, best_out, best_count = None, 0, 0
        for blocker in live:
            out = ((cube & ~blocker.cube | guards) - lows) & guards
            if not out:
                best = blocker
                best_out = 0
                break
            count = out.bit_count()
            if best is None or count < best_count:
                best, best_out, best_count = blocker, out, count
        assert best is not None  # live is not empty
        if used is not None:
            used.add(best.rule)
        rest = [b for b in live if b is not best]
        stack.extend((piece, rest) for piece in reversed(_split(cube, best.cube, best_out, layout)))
    return None


def _split(cube: Cube, blocker: Cube, out: int, layout: _Layout) -> list[Cube]:
    """``cube`` minus ``blocker`` (which meets it) as disjoint non-empty cubes, given the fields
    where the cube sticks out: the k-th piece lies outside the blocker in the k-th such field and
    inside it in the earlier ones."""
    pieces = []
    inside = cube
    for f in layout.fields_of(out):
        mask = layout.masks[f]
        pieces.append((inside & ~mask) | (cube & ~blocker & mask))
        inside &= ~mask | blocker
    return pieces


class _BlockerIndex:
    """Blockers in the order they were added, findable by the classes of the fixed fields they
    allow: per field and class, the set of blockers (a bitset, bit k the k-th blocker) that allow
    it. The blockers that meet a cube are then found with a few integer operations per field and
    one exact test per candidate, instead of a test of every blocker: what keeps asking about
    rule i (against rules 0..i-1) from costing every earlier rule."""

    _NARROW = 4  # a field that allows more classes than this (most often all) is not looked up
    _SCAN = 32  # up to this many blockers, testing each is cheaper than looking them up

    def __init__(self, layout: _Layout):
        self.layout = layout
        self.blockers: list[_Blocker] = []
        self._posted = 0  # the blockers entered in the lookup tables so far
        self._masks = layout.masks[:FIXED_FIELDS]
        self._wide = [0] * FIXED_FIELDS
        self._by_class: list[dict[int, int]] = [{} for _ in range(FIXED_FIELDS)]

    def add(self, blocker: _Blocker) -> None:
        self.blockers.append(blocker)

    def _post(self, count: int) -> None:
        """Enter the first ``count`` blockers in the lookup tables."""
        for k in range(self._posted, count):
            self._post_one(1 << k, self.blockers[k].cube)
        self._posted = max(self._posted, count)

    def _post_one(self, bit: int, cube: Cube) -> None:
        for f, mask in enumerate(self._masks):
            value = cube & mask
            if value.bit_count() > self._NARROW:
                self._wide[f] |= bit
                continue
            by_class = self._by_class[f]
            while value:
                low = value & -value
                by_class[low] = by_class.get(low, 0) | bit
                value ^= low

    def meeting(self, region: list[Cube], limit: int | None = None) -> list[_Blocker]:
        """The blockers that meet some cube of ``region``, in the order they were added; only
        among the first ``limit`` blockers when given."""
        count = len(self.blockers) if limit is None else limit
        if count <= self._SCAN:
            return [b for b in self.blockers[:count] if any(self.layout.nonempty(b.cube & r) for r in region)]
        self._post(count)
        guards, lows, blockers = self.layout.guards, self.layout.lows, self.blockers
        found: set[int] = set()
        for cube in region:
            candidates = (1 << count) - 1
            for f, mask in enumerate(self._masks):
                if not candidates:
                    break
                value = cube & mask
                if value.bit_count() > self._NARROW:
                    continue
                allowed, by_class = self._wide[f], self._by_class[f]
                while value:
                    low = value & -value
                    allowed |= by_class.get(low, 0)
                    value ^= low
                candidates &= allowed
            # the exact test is layout.nonempty, inlined; for most of the blockers, test them all
            if candidates.bit_count() * 4 > count:
                found.update(k for k in range(count) if ((cube & blockers[k].cube | guards) - lows) & guards == guards)
            else:
                found.update(k for k in _bit_positions(candidates)
                             if ((cube & blockers[k].cube | guards) - lows) & guards == guards)
        return [blockers[k] for k in sorted(found)]


def _bit_positions(bits: int) -> list[int]:
    """The positions of the set bits of ``bits``, lowest first."""
    if bits.bit_count() > 32:  # many: one pass over the bytes
        data = bits.to_bytes((bits.bit_length() + 7) // 8, "little")
        return [8 * k + i for k, byte in enumerate(data) if byte for i in _BYTE_BITS[byte]]
    positions = []
    while bits:
        low = bits & -bits
        positions.append(low.bit_length() - 1)
        bits ^= low
    return positions


_BYTE_BITS = [tuple(i for i in range(8) if byte >> i & 1) for byte in range(256)]


# --------------------------------------------------------------------------------------------
# The analysis


class _Compiled:
    """A policy's rules as cubes over one universe, each rule compiled when first asked for (a
    question about a class of requests only needs the rules that can match some of them)."""

    def __init__(self, universe: _Universe, rules: list[_RuleFields]):
        self.universe = universe
        self.layout = universe.layout
        self.rules = rules
        self._cubes: list[list[Cube] | None] = [None] * len(rules)
        self._index: _BlockerIndex | None = None
        self._starts: list[int] = []  # the number of cubes of the rules before rule j
        self.impossible = [_Blocker(cube, _IMPOSSIBLE) for cube in universe.impossible]

    def blockers(self, rules: Iterable[int], region: list[Cube] | None = None) -> list[_Blocker]:
        """The cubes of ``rules`` (those that meet ``region``, when given)."""
        if region is not None and isinstance(rules, range) and rules.start == 0 and rules.step == 1:
            return self._indexed().meeting(region, self._starts[rules.stop])
        return [_Blocker(cube, j) for j in rules for cube in self.cubes(j)
                if region is None or any(self.layout.nonempty(cube & r) for r in region)]

    def cubes(self, rule: int) -> list[Cube]:
        """The cubes of rule ``rule`` (do not change the list: it is kept)."""
        cubes = self._cubes[rule]
        if cubes is None:
            cubes = self._cubes[rule] = self.universe.compile(self.rules[rule])
        return cubes

    def _indexed(self) -> _BlockerIndex:
        """Every rule's cubes in one index (built on first use)."""
        if self._index is None:
            self._index = _BlockerIndex(self.layout)
            for j in range(len(self.rules)):
                self._starts.append(len(self._index.blockers))
                for cube in self.cubes(j):
                    self._index.add(_Blocker(cube, j))
            self._starts.append(len(self._index.blockers))
        return self._index

    def escape(self, targets: list[Cube], blockers: list[_Blocker]) -> Cube | None:
        blockers = self.impossible + blockers
        for target in targets:
            found = _escape(target, blockers, self.layout)
            if found is not None:
                return found
        return None

    def example(self, targets: list[Cube], blockers: list[_Blocker]) -> Cube | None:
        """As ``escape``, but from the most realistic requests that escape (``_Universe.preferred``)."""
        found = self.escape(targets, blockers)
        if found is None:
            return None
        for preferred in self.universe.preferred:
            if self.layout.nonempty(found & preferred):
                return found & preferred
            better = self.escape([t & preferred for t in targets if self.layout.nonempty(t & preferred)], blockers)
            if better is not None:
                return better
        return found

    def covered(self, targets: list[Cube], rules: Iterable[int]) -> bool:
        return self.escape(targets, self.blockers(rules, targets)) is None


def _may_meet(rule: _RuleFields, selector: _RuleFields) -> bool:
    """False when no request matches both ``rule`` and ``selector`` for a reason read off their
    fields alone (verbs, users, request kind, namespaces, API groups, resource names): a quick
    test that spares compiling, in the selector's universe, rules that cannot decide any of its
    requests. True is no promise: the cubes decide."""
    if rule.verbs and selector.verbs and not set(rule.verbs) & set(selector.verbs):
        return False
    if rule.users and selector.users and not set(rule.users) & set(selector.users):
        return False
    if selector.authenticated is False and (rule.users or rule.user_groups):
        return False
    rule_resources = bool(rule.namespaces or rule.resources)
    selector_resources = bool(selector.namespaces or selector.resources)
    if (rule_resources and not selector_resources and selector.non_resource_urls
            or selector_resources and not rule_resources and rule.non_resource_urls):
        return False  # one takes resource requests only, the other non-resource requests only
    if rule.namespaces and selector.namespaces and not set(rule.namespaces) & set(selector.namespaces):
        return False
    if rule.resources and selector.resources:
        return any(_entries_may_meet(a, rule.wildcard_group, b, selector.wildcard_group)
                   for a in rule.resources for b in selector.resources)
    return True


def _entries_may_meet(a: GroupResources, a_wildcard: bool, b: GroupResources, b_wildcard: bool) -> bool:
    if a.group != b.group and not (a_wildcard and a.group == "*") and not (b_wildcard and b.group == "*"):
        return False
    if not a.resources or not b.resources:
        return True
    names_a, names_b = _resource_names(a.resources), _resource_names(b.resources)
    return names_a is None or names_b is None or bool(names_a & names_b)


def _resource_names(patterns: tuple[str, ...]) -> set[str] | None:
    """The resources (without subresource) ``patterns`` can match; None for any (a leading ``*``)."""
    if any(pattern.startswith("*") for pattern in patterns):
        return None
    return {pattern.partition("/")[0] for pattern in patterns}


_INDEXED_RULES = 16  # policies with more rules than this find the first matching rule through a RuleIndex


class RequestSpace:
    """Exact answers about all requests a policy sees; every witness is checked by ``evaluate``."""

    def __init__(self, policy: Policy, kube_version: tuple[int, int] | None = None):
        self.policy = policy
        self.kube_version = kube_version
        self.wildcard_group = kube_version is None or tuple(kube_version) >= WILDCARD_GROUP_SINCE
        self._rules = [_RuleFields.of_rule(rule, self.wildcard_group) for rule in policy.rules]
        self._constants = _Constants.of(self._rules)
        self._base = _Compiled(_Universe(self._constants, kube_version), self._rules)
        self._compiled: dict[_Constants, _Compiled] = {self._constants: self._base}
        self._matchable: dict[int, Request | None] = {}
        self._reachable: dict[int, Request | None] = {}
        self._shadows: dict[int, tuple[int, ...]] = {}
        self._outcomes: dict[Selector, list[Outcome]] = {}
        self._rule_index: RuleIndex | None = None

    # ---- questions about single rules

    def can_match(self, rule_index: int) -> Request | None:
        """A request the rule matches, ignoring every other rule; None if it matches nothing."""
        if rule_index not in self._matchable:
            self._matchable[rule_index] = self._can_match(rule_index)
        return self._matchable[rule_index]

    def _can_match(self, rule_index: int) -> Request | None:
        found = self._base.escape(self._base.cubes(rule_index), [])
        if found is None:
            return None
        witness = self._base.universe.witness(found)
        if not rule_matches(self.policy.rules[rule_index], witness, self.wildcard_group):
            raise SpaceError(f"rule {rule_index} does not match its witness {witness.describe()}")
        return witness

    def reachable(self, rule_index: int) -> Request | None:
        """A request whose first matching rule is ``rule_index``; None if no request reaches it."""
        if rule_index not in self._reachable:
            cubes = self._base.cubes(rule_index)
            found = self._base.example(cubes, self._base.blockers(range(rule_index), cubes))
            self._reachable[rule_index] = None if found is None else self._checked(
                self._base.universe.witness(found), rule_index, None)
        return self._reachable[rule_index]

    def shadowed_by(self, rule_index: int) -> tuple[int, ...]:
        """Earlier rules that together match every request ``rule_index`` matches; () when the rule
        is reachable or matches nothing. Irredundant: without any one of them, some request
        would reach the rule."""
        if rule_index not in self._shadows:
            self._shadows[rule_index] = self._shadowing(rule_index)
        return self._shadows[rule_index]

    def _shadowing(self, rule_index: int) -> tuple[int, ...]:
        if self.reachable(rule_index) is not None or self.can_match(rule_index) is None:
            return ()
        compiled = self._base
        cubes = compiled.cubes(rule_index)
        blockers = compiled.blockers(range(rule_index), cubes)
        # a rule that alone covers this one matches every served request of it, in particular the
        # class of can_match's request: only the rules holding that class are tried
        matched = self.can_match(rule_index)
        assert matched is not None
        served = compiled.universe.point(matched)
        for j in sorted({b.rule for b in blockers if not served & ~b.cube}):
            if compiled.covered(cubes, [j]):
                return (j,)
        core: set[int] = set()
        for cube in cubes:
            if _escape(cube, compiled.impossible + blockers, compiled.layout, core) is not None:
                raise SpaceError(f"rule {rule_index} is unreachable but escapes its earlier rules")
        core.discard(_IMPOSSIBLE)
        chosen = sorted(core)
        for j in sorted(core, reverse=True):  # keep earlier rules: they are what the reader sees first
            trial = [k for k in chosen if k != j]
            if compiled.covered(cubes, trial):
                chosen = trial
        if not compiled.covered(cubes, chosen):
            raise SpaceError(f"rules {chosen} do not cover rule {rule_index}")
        return tuple(chosen)

    # ---- questions about request classes

    def outcomes(self, selector: Selector = Selector()) -> list[Outcome]:
        """One Outcome per rule (or None) that at least one request in the selector reaches,
        ordered by rule index, None last."""
        if selector not in self._outcomes:
            self._outcomes[selector] = self._compute_outcomes(selector)
        return list(self._outcomes[selector])

    def levels(self, selector: Selector = Selector()) -> dict[Level, list[Outcome]]:
        """The outcomes of ``selector`` grouped by level, lowest level first."""
        by_level: dict[Level, list[Outcome]] = {}
        for outcome in sorted(self.outcomes(selector), key=lambda o: o.level):
            by_level.setdefault(outcome.level, []).append(outcome)
        return by_level

    def _compute_outcomes(self, selector: Selector) -> list[Outcome]:
        fields = _RuleFields.of_selector(selector)
        compiled = self._compiled_for(fields)
        universe, layout = compiled.universe, compiled.layout
        region = universe.compile(fields)
        if compiled is self._base and region == [universe.full]:
            return self._every_outcome(selector)
        results: list[Outcome] = []
        blockers = _BlockerIndex(layout)
        undecided: Cube = universe.full  # requests of the region no rule so far decides
        for index in range(len(self._rules) + 1):
            rule = index if index < len(self._rules) else None
            if rule is None:
                rule_cubes = [universe.full]
            elif _may_meet(self._rules[index], fields):
                rule_cubes = compiled.cubes(index)
            else:
                continue  # the rule matches no request of the selector: it adds no target nor blocker
            targets = [a & b for a in region for b in rule_cubes if layout.nonempty(a & b)]
            found = compiled.example(targets, blockers.meeting(targets))
            if found is None:
                continue  # the earlier rules decide every request of the targets: no new blocker
            witness = self._checked(universe.witness(found), rule, selector)
            decision = decide(self.policy, rule)
            results.append(Outcome(rule, decision.effective_level, decision, witness))
            for cube in targets:
                blockers.add(_Blocker(cube, index))
            if any(layout.nonempty(undecided & cube) for cube in targets):
                still_open = compiled.escape(region, blockers.meeting(region))
                if still_open is None:
                    break  # every request of the selector is decided: no later rule (nor None) decides one
                undecided = still_open
        return results

    def _every_outcome(self, selector: Selector) -> list[Outcome]:
        """The outcomes of every request: rule i decides some request exactly when it is reachable,
        and the search for one is the same as ``reachable``'s (the same targets, the same blockers
        in the same order), so its answers are shared."""
        results: list[Outcome] = []
        for index in range(len(self._rules)):
            witness = self.reachable(index)
            if witness is not None:
                decision = decide(self.policy, index)
                results.append(Outcome(index, decision.effective_level, decision, witness))
        everything = [self._base.universe.full]
        found = self._base.escape(everything, self._base.blockers(range(len(self._rules)), everything))
        if found is not None:
            witness = self._checked(self._base.universe.witness(found), None, selector)
            decision = decide(self.policy, None)
            results.append(Outcome(None, decision.effective_level, decision, witness))
        return results

    def _compiled_for(self, fields: _RuleFields) -> _Compiled:
        extra = _Constants.of([fields])
        if extra <= self._constants:
            return self._base
        key = self._constants | extra
        if key not in self._compiled:
            self._compiled[key] = _Compiled(_Universe(key, self.kube_version), self._rules)
        return self._compiled[key]

    def evaluate(self, request: Request) -> Decision:
        """``evaluate``'s decision for ``request``, the first matching rule found through an index
        of the rules (the same answer, without trying every earlier rule of a large policy)."""
        if len(self.policy.rules) <= _INDEXED_RULES:
            return evaluate(self.policy, request, self.kube_version)
        if self._rule_index is None:
            self._rule_index = RuleIndex(self.policy.rules, self.wildcard_group)
        return decide(self.policy, self._rule_index.first_match(request))

    def _checked(self, witness: Request, rule: int | None, selector: Selector | None) -> Request:
        decision = self.evaluate(witness)
        if decision.rule != rule:
            raise SpaceError(f"witness {witness.describe()} for rule {rule} "
                             f"is decided by rule {decision.rule}")
        if selector is not None and not selector.contains(witness):
            raise SpaceError(f"witness {witness.describe()} is outside the selector {selector.describe()}")
        return witness


def rule_witnesses(policy: Policy, selector: Selector = Selector(),
                   kube_version: tuple[int, int] | None = None) -> dict[int | None, Request | None]:
    """For every rule of ``policy`` (and None: no rule matches), a request of ``selector`` whose
    first matching rule it is, or None when no request of the selector reaches it. Every witness
    is confirmed by ``evaluate``."""
    reached = {outcome.rule: outcome.witness for outcome in RequestSpace(policy, kube_version).outcomes(selector)}
    return {rule: reached.get(rule) for rule in [*range(len(policy.rules)), None]}


# --------------------------------------------------------------------------------------------
# Two policies side by side


@dataclass(frozen=True)
class Divergence:
    """Requests the first policy decides by ``old_rule`` and the second by ``new_rule`` (None:
    no rule matches), with one of them that both policies' evaluators confirm."""

    old_rule: int | None
    new_rule: int | None
    witness: Request


class PolicyPair:
    """Two policies over one universe: which (old rule, new rule) pairs decide some request.

    A request's pair is the first rule each policy matches. The pairs that some request reaches
    partition the request domain, so asking for every pair whose decisions differ finds every
    request whose outcome changes, exactly: none is missed and none is invented, since each pair
    comes with a witness both evaluators confirm."""

    def __init__(self, old: Policy, new: Policy, kube_version: tuple[int, int] | None = None):
        self.old, self.new = old, new
        self.kube_version = kube_version
        self.wildcard_group = kube_version is None or tuple(kube_version) >= WILDCARD_GROUP_SINCE
        self._old_rules = [_RuleFields.of_rule(rule, self.wildcard_group) for rule in old.rules]
        self._new_rules = [_RuleFields.of_rule(rule, self.wildcard_group) for rule in new.rules]
        self._constants = _Constants.of(self._old_rules + self._new_rules)
        self._compiled: dict[_Constants, tuple[_Universe, list[list[Cube]], list[list[Cube]]]] = {}

    def divergences(self, differs: Callable[[int | None, int | None], bool], selector: Selector = Selector(),
                    excluding: Iterable[Selector] = ()) -> list[Divergence]:
        """One Divergence per pair ``differs(old_rule, new_rule)`` holds for that some request of
        ``selector`` reaches, leaving out the requests of ``excluding``; ordered by old rule,
        then new rule (None after every rule)."""
        excluding = tuple(excluding)
        fields = [_RuleFields.of_selector(selector)] + [_RuleFields.of_selector(s) for s in excluding]
        universe, old_cubes, new_cubes = self._universe(_Constants.of(fields))
        layout = universe.layout
        region = universe.compile(fields[0])
        outside = [_Blocker(cube, _IMPOSSIBLE) for cube in universe.impossible]
        outside += [_Blocker(cube, -1) for f in fields[1:] for cube in universe.compile(f)]
        everything = [universe.full]
        found: list[Divergence] = []
        old_blockers: list[_Blocker] = []
        for i, old_rule_cubes in enumerate(old_cubes + [everything]):
            old_rule = None if i == len(old_cubes) else i
            old_targets = _meet(region, old_rule_cubes, layout)
            if not old_targets or _escape_any(old_targets, outside + old_blockers, layout) is None:
                old_blockers += [_Blocker(c, i) for c in old_targets]
                continue
            new_blockers: list[_Blocker] = []
            for j, new_rule_cubes in enumerate(new_cubes + [everything]):
                new_rule = None if j == len(new_cubes) else j
                targets = _meet(old_targets, new_rule_cubes, layout)
                if targets and differs(old_rule, new_rule):
                    cube = _escape_any(targets, outside + old_blockers + new_blockers, layout)
                    if cube is not None:
                        witness = self._checked(universe.witness(cube), old_rule, new_rule, selector, excluding)
                        found.append(Divergence(old_rule, new_rule, witness))
                new_blockers += [_Blocker(c, j) for c in targets]
            old_blockers += [_Blocker(c, i) for c in old_targets]
        return found

    def _universe(self, extra: _Constants) -> tuple[_Universe, list[list[Cube]], list[list[Cube]]]:
        key = self._constants | extra
        if key not in self._compiled:
            universe = _Universe(key, self.kube_version)
            self._compiled[key] = (universe, [universe.compile(r) for r in self._old_rules],
                                   [universe.compile(r) for r in self._new_rules])
        return self._compiled[key]

    def _checked(self, witness: Request, old_rule: int | None, new_rule: int | None, selector: Selector,
                 excluding: tuple[Selector, ...]) -> Request:
        decided = (evaluate(self.old, witness, self.kube_version).rule,
                   evaluate(self.new, witness, self.kube_version).rule)
        if decided != (old_rule, new_rule):
            raise SpaceError(f"witness {witness.describe()} for rules {old_rule} -> {new_rule} "
                             f"is decided by rules {decided[0]} -> {decided[1]}")
        if not selector.contains(witness) or any(s.contains(witness) for s in excluding):
            raise SpaceError(f"witness {witness.describe()} is outside the selector {selector.describe()}")
        return witness


def _meet(cubes: list[Cube], others: list[Cube], layout: _Layout) -> list[Cube]:
    return [a & b for a in cubes for b in others if layout.nonempty(a & b)]


def _escape_any(targets: list[Cube], blockers: list[_Blocker], layout: _Layout) -> Cube | None:
    for target in targets:
        found = _escape(target, blockers, layout)
        if found is not None:
            return found
    return None
