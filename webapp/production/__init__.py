""""Use this in production": a demo's state as the configuration of a real resilience library.

`policy.py` maps each demo's parameters once to a neutral policy (attempts, base, multiplier, cap,
jitter, timeouts, breaker, bulkhead, budget); one module per library renders that policy and adds a
note for every setting it cannot express exactly. `importer.py` goes the other way. Nothing here
knows about Flask.
"""

from __future__ import annotations

from types import ModuleType

from . import aws_sdk, envoy, go, grpc, polly, resilience4j, stamina, tenacity
from .formats import Rendered
from .policy import mapping_for

# URL name -> renderer, in the order of the panel's tabs.
LIBRARIES: dict[str, ModuleType] = {
    "tenacity": tenacity, "stamina": stamina, "resilience4j": resilience4j, "polly": polly, "go": go,
    "envoy": envoy, "grpc": grpc, "aws-sdk": aws_sdk,
}


def generate(demo_id: str, values: dict, library: str, title: str) -> Rendered | None:
    """The configuration of `library` for this demo state, or None when the library cannot express
    any part of it (or the demo has no mapping at all). `library` must be a key of LIBRARIES."""
    mapping = mapping_for(demo_id, values)
    if mapping is None:
        return None
    rendered = LIBRARIES[library].render(mapping, title)
    if rendered is not None:
        rendered.notes[:0] = list(mapping.notes)
        if mapping.context:
            rendered.notes.append("Not configuration (they describe the experiment): "
                                  + ", ".join(mapping.context) + ".")
    return rendered


def expressible(demo_id: str, values: dict) -> list[str]:
    """The libraries that can express this state, without rendering any of them."""
    mapping = mapping_for(demo_id, values)
    if mapping is None:
        return []
    return [name for name, module in LIBRARIES.items() if any(module.expresses(p) for p in mapping.policies)]


def available(demo_id: str, values: dict, title: str) -> dict[str, Rendered]:
    """Every library that can express this state, with its configuration."""
    return {name: generate(demo_id, values, name, title) for name in expressible(demo_id, values)}


__all__ = ["LIBRARIES", "Rendered", "available", "expressible", "generate", "mapping_for"]
