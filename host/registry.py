"""Plugin discovery on the ``synth_host`` entry-point group, built on pluggy.

A package that fails to import is recorded with its error and skipped, unless
strict mode (``SYNTH_HOST_STRICT_PLUGINS=1``) makes that fatal.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import Any, Callable, Iterable

import pluggy

import plugin_specs
from plugin_specs import KINDS, PluginError
from plugin_specs import hookspecs
from plugin_specs.base import KIND_CLASSES, Plugin

ENTRY_POINT_GROUP = "synth_host"
ALLOW_ENV = "SYNTH_HOST_PLUGINS"
DENY_ENV = "SYNTH_HOST_DISABLE_PLUGINS"
MODULES_ENV = "SYNTH_HOST_PLUGIN_MODULES"  # extra plugin modules by import name: try one before packaging it
STRICT_ENV = "SYNTH_HOST_STRICT_PLUGINS"
TRACE_ENV = "SYNTH_HOST_TRACE_PLUGINS"
_HOOK_KIND = {
    "register_generators": "generator",
    "register_effects": "effect",
    "register_watermarkers": "watermark",
    "register_classifiers": "classifier",
}


def _names(value: str | None) -> set[str] | None:
    if value is None:
        return None
    return {n.strip() for n in value.split(",") if n.strip()}


@dataclass
class PluginRecord:
    """One plugin (or one package that failed to load) as ``synth-host plugins`` lists it."""

    id: str
    kind: str
    package: str
    version: str
    source: str
    status: str = "ok"
    cls: type[Plugin] | None = None
    hooks: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "package": self.package, "version": self.version,
                "source": self.source, "status": self.status, "hooks": list(self.hooks)}


class PluginHost:
    """Finds, filters and instantiates plugins."""

    def __init__(
        self,
        *,
        autoload: bool = True,
        strict: bool | None = None,
        allow: Iterable[str] | None = None,
        deny: Iterable[str] | None = None,
        trace: bool | None = None,
    ) -> None:
        env = os.environ
        self.strict = strict if strict is not None else env.get(STRICT_ENV, "") not in ("", "0")
        self.allow = set(allow) if allow is not None else _names(env.get(ALLOW_ENV))
        self.deny = set(deny) if deny is not None else (_names(env.get(DENY_ENV)) or set())
        self.pm = pluggy.PluginManager(plugin_specs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.tracing = trace if trace is not None else env.get(TRACE_ENV, "") not in ("", "0")
        if self.tracing:
            self.pm.add_hookcall_monitoring(self._before_hook, self._after_hook)
            self._clock: list[float] = []
        self.records: dict[str, PluginRecord] = {}
        self.failures: list[PluginRecord] = []
        self.schemes: dict[str, tuple[Callable[..., Any], str]] = {}
        self._packages: dict[str, tuple[str, str]] = {}
        self._started = False
        if autoload:
            self.load_entry_points()
            self.start()

    # -- tracing (SYNTH_HOST_TRACE_PLUGINS=1) ------------------------------------

    def trace(self, message: str) -> None:
        if self.tracing:
            sys.stderr.write(f"synth-host trace: {message}\n")

    def _before_hook(self, hook_name: str, impls: list[Any], kwargs: dict[str, Any]) -> None:
        self._clock.append(time.perf_counter())
        names = ", ".join(i.plugin_name for i in impls) or "no implementations"
        self.trace(f"call {hook_name}({', '.join(kwargs)}) -> {names}")

    def _after_hook(self, outcome: Any, hook_name: str, impls: list[Any], kwargs: dict[str, Any]) -> None:
        ms = (time.perf_counter() - self._clock.pop()) * 1000
        error = outcome.exception
        self.trace(f"done {hook_name} in {ms:.1f} ms" + (f", raised {type(error).__name__}: {error}" if error else ""))

    # -- loading -----------------------------------------------------------

    def _allowed(self, *names: str) -> bool:
        if any(n in self.deny for n in names):
            return False
        return self.allow is None or any(n in self.allow for n in names)

    def load_entry_points(self) -> None:
        """Import every allowed module in the entry-point group and register it."""
        described: dict[int, tuple[str, str]] = {}  # each dist's metadata is parsed once, not per property
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            dist = getattr(ep, "dist", None)
            if dist is None:
                package, version = ep.value.split(":")[0], "?"
            else:
                if id(dist) not in described:
                    meta = dist.metadata
                    described[id(dist)] = (meta["Name"], meta["Version"])
                package, version = described[id(dist)]
            if not self._allowed(ep.name, package):
                continue
            if self.pm.get_plugin(ep.name) is not None:
                continue
            start = time.perf_counter()
            try:
                module = ep.load()
                self.trace(f"imported entry point {ep.name} = {ep.value} ({package} {version}) "
                           f"in {(time.perf_counter() - start) * 1000:.1f} ms")
            except Exception as exc:  # a broken plugin must not take the host down
                self._fail(ep.name, package, version, f"import failed: {type(exc).__name__}: {exc}")
                continue
            self.add_module(module, name=ep.name, package=package, version=version)
        for name in sorted(_names(os.environ.get(MODULES_ENV)) or ()):
            if self.pm.get_plugin(name) is None and self._allowed(name):
                try:
                    module = importlib.import_module(name)
                except Exception as exc:
                    self._fail(name, name, "?", f"import failed: {type(exc).__name__}: {exc}")
                    continue
                self.add_module(module, name=name, package=name, version=getattr(module, "__version__", "?"))

    def add_module(self, module: ModuleType | object, name: str, package: str = "", version: str = "") -> None:
        """Register a hook module directly (tests, and packages not installed via entry points)."""
        try:
            self.pm.register(module, name=name)
        except Exception as exc:
            self._fail(name, package or name, version, f"register failed: {exc}")
            return
        self._packages[name] = (package or name, version or getattr(module, "__version__", "?"))
        if self._started:
            self._collect(name)

    def _fail(self, name: str, package: str, version: str, error: str) -> None:
        if self.strict:
            raise PluginError(f"plugin package {package!r} ({name}): {error}")
        self.failures.append(PluginRecord(name, "?", package, version, name, status=f"error: {error}"))

    def start(self) -> None:
        """Validate hooks, collect registrations, then fire ``startup``."""
        while True:
            try:
                self.pm.check_pending()
                break
            except pluggy.PluginValidationError as exc:
                bad_name = self.pm.get_name(exc.plugin) or "?"
                self.pm.unregister(exc.plugin)
                pkg, ver = self._packages.pop(bad_name, (bad_name, "?"))
                self._fail(bad_name, pkg, ver, f"invalid hook: {exc}")
        for name in [n for n, _ in self.pm.list_name_plugin()]:
            self._collect(name)
        self._started = True
        self.pm.hook.startup(host=self)

    def _collect(self, source: str) -> None:
        plugin = self.pm.get_plugin(source)
        package, version = self._packages.get(source, (source, "?"))
        hooks = sorted(impl.name for impl in self.pm.get_hookcallers(plugin) or [])
        for hook_name, kind in _HOOK_KIND.items():
            for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
                if impl.plugin_name != source:
                    continue
                register = self._register_fn(kind, source, package, version, hooks)
                start, before = time.perf_counter(), len(self.records)
                try:
                    impl.function(register=register)
                    self.trace(f"{hook_name} from {source} ({package}) registered {len(self.records) - before} "
                               f"plugin(s) in {(time.perf_counter() - start) * 1000:.1f} ms")
                except PluginError:
                    raise
                except Exception as exc:
                    self._fail(source, package, version, f"{hook_name} failed: {type(exc).__name__}: {exc}")
        for impl in self.pm.hook.register_step_schemes.get_hookimpls():
            if impl.plugin_name == source:
                impl.function(register=lambda scheme, factory: self._add_scheme(scheme, factory, package))

    def _register_fn(self, kind: str, source: str, package: str, version: str, hooks: list[str]) -> Callable[..., None]:
        def register(cls: type[Plugin]) -> None:
            base = KIND_CLASSES[kind]
            if not (isinstance(cls, type) and issubclass(cls, base)):
                raise PluginError(f"plugin package {package!r}: {cls!r} is not a {base.__name__} subclass")
            info = cls.info
            if not self._allowed(info.id, source, package):
                return
            if info.id in self.records:
                other = self.records[info.id]
                raise PluginError(
                    f"duplicate plugin id {info.id!r}: registered by package {other.package!r} and by {package!r}"
                )
            self.records[info.id] = PluginRecord(info.id, kind, package, info.version if info.version != "0.0.0" else version,
                                                 source, cls=cls, hooks=hooks)

        return register

    def _add_scheme(self, scheme: str, factory: Callable[..., Any], package: str) -> None:
        if scheme in self.schemes:
            raise PluginError(
                f"duplicate step scheme {scheme!r}: registered by package {self.schemes[scheme][1]!r} and by {package!r}"
            )
        self.schemes[scheme] = (factory, package)

    def close(self) -> None:
        self.pm.hook.shutdown(host=self)

    # -- lookup ------------------------------------------------------------

    def listing(self) -> list[PluginRecord]:
        """Every plugin, then every package that failed, in a stable order."""
        return sorted(self.records.values(), key=lambda r: (KINDS.index(r.kind), r.id.lower())) + self.failures

    def plugin_class(self, plugin_id: str, kind: str | None = None) -> type[Plugin]:
        record = self.records.get(plugin_id)
        if record is None or record.cls is None:
            near = [r for r in self.records if r.lower() == plugin_id.lower()]
            hint = f" (did you mean {near[0]!r}?)" if near else "; run `synth-host plugins` to list them"
            raise PluginError(f"unknown plugin {plugin_id!r}{hint}")
        if kind is not None and record.kind != kind:
            article = lambda word: "an" if word[0] in "aeiou" else "a"  # noqa: E731
            raise PluginError(f"plugin {plugin_id!r} is {article(record.kind)} {record.kind}, "
                              f"not {article(kind)} {kind}")
        return record.cls

    def create(self, ref: str, params: dict[str, Any] | None = None, kind: str | None = None) -> Plugin:
        """Instantiate a plugin by id or ``scheme:REF``, validating ``params``."""
        params = dict(params or {})
        scheme, sep, rest = ref.partition(":")
        if sep and scheme in self.schemes:
            return self.schemes[scheme][0](rest, params)
        if sep and ref not in self.records:
            raise PluginError(f"unknown step scheme {scheme!r} in {ref!r} (known: {', '.join(sorted(self.schemes)) or 'none'})")
        return self.plugin_class(ref, kind)(**params)
