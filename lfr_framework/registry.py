"""Collects the components plugins register and builds them from validated options."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pydantic

from lfr_framework.errors import ConfigurationError, PluginError, UnknownComponentError

T = TypeVar("T")

#: The kinds of component a plugin can register, and how one of each is called in messages.
SINGULAR = {
    "camera_sources": "camera source",
    "detectors": "detector",
    "recognisers": "recogniser",
    "matchers": "matcher",
    "alert_sinks": "alert sink",
    "retention_policies": "retention policy",
}
COMPONENT_KINDS = tuple(SINGULAR)


@dataclass(frozen=True, slots=True)
class Registration:
    """One named factory and the plugin that registered it."""

    kind: str
    name: str
    factory: Callable[..., Any]
    options: type[pydantic.BaseModel] | None
    plugin: str


class ComponentRegistry(Generic[T]):
    """Named factories of one kind of component (detectors, matchers, …)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.singular = SINGULAR[kind]
        self._items: dict[str, Registration] = {}

    def add(self, registration: Registration) -> None:
        """Add a registration; a name taken by another plugin is a ``PluginError`` naming both."""
        existing = self._items.get(registration.name)
        if existing is not None:
            raise PluginError(
                f"plugin {registration.plugin!r} registers {self.singular} "
                f"{registration.name!r}, which plugin {existing.plugin!r} already registered"
            )
        self._items[registration.name] = registration

    def names(self) -> list[str]:
        """The registered names, sorted."""
        return sorted(self._items)

    def get(self, name: str) -> Registration:
        """The registration called ``name``; an unknown name lists the known ones."""
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(self.names()) or "none (is the plugin installed and enabled?)"
            raise UnknownComponentError(
                f"no plugin registers a {self.singular} called {name!r}; "
                f"known: {known}"
            ) from None

    def validate_options(self, name: str, options: Mapping[str, Any], where: str) -> dict[str, Any]:
        """Validate ``options`` with the component's model; errors name ``where`` and the key."""
        registration = self.get(name)
        if registration.options is None:
            return dict(options)
        try:
            model = registration.options.model_validate(dict(options))
        except pydantic.ValidationError as exc:
            problems = "; ".join(
                f"{where}.{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
                for err in exc.errors()
            )
            raise ConfigurationError(
                f"invalid options for {self.singular} {name!r} "
                f"(plugin {registration.plugin!r}): {problems}"
            ) from None
        return model.model_dump()

    def create(self, name: str, options: Mapping[str, Any], where: str, **fixed: Any) -> T:
        """Validate the options and call the factory with them and the ``fixed`` arguments."""
        registration = self.get(name)
        validated = self.validate_options(name, options, where)
        component: T = registration.factory(**fixed, **validated)
        return component

    def registrations(self) -> list[Registration]:
        """Every registration, sorted by name."""
        return [self._items[n] for n in self.names()]
