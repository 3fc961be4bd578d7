"""Asks real dlt (run inside a venv with dlt==1.31.0) for the value and origin of one field.

Reads a JSON request on stdin, prints one JSON answer on stdout:
  request: {ws, global_dir, profile, pipeline, specs: [{kind, ref?, module?, source?, field}]}
  answer:  {value, provider, location, path} (all null when dlt leaves the field unset),
           or {error} when dlt raises.
The field is resolved through dlt's own resolution of the spec that owns it: a destination's
configuration (`Destination.from_reference(ref).configuration(...)`), the workspace
configuration (`WorkspaceRunContext.config`), in a classic project `RuntimeConfiguration`, or
the arguments of a real `@dlt.source` function imported from the workspace.
Only the global dir is redirected (dlt would use /var/dlt for root, a shared machine path).
"""

import contextlib
import json
import os
import sys


def main() -> None:
    req = json.load(sys.stdin)
    os.chdir(req["ws"])
    # The process env is built by the caller; dlt sees exactly that.
    if req.get("profile"):
        os.environ["WORKSPACE__PROFILE"] = req["profile"]

    import dlt.common.runtime.run_context as rc

    rc.global_dir = lambda: req["global_dir"]
    import dlt._workspace._workspace_context as wc

    wc.global_dir = lambda: req["global_dir"]

    import dlt  # noqa: F401

    print(json.dumps([probe(spec, req.get("pipeline"), rc, wc) for spec in req["specs"]]))


def probe(spec: dict, pn: str, rc, wc) -> dict:
    from dlt.common.configuration.resolve import inject_section, resolve_configuration
    from dlt.common.configuration.specs.config_section_context import ConfigSectionContext
    from dlt.common.configuration.utils import get_resolved_traces

    traces = get_resolved_traces()
    field = spec["field"].split(".")
    section = inject_section(ConfigSectionContext(pipeline_name=pn)) if pn else contextlib.nullcontext()
    try:
        with section:
            if spec["kind"] == "destination":
                from dlt.common.destination.reference import Destination

                dest = Destination.from_reference(spec["ref"])
                traces.clear()
                owner = dest.configuration(None, accept_partial=True)
            elif spec["kind"] in ("runtime", "settings"):
                ctx = rc.active()
                if isinstance(ctx, wc.WorkspaceRunContext):
                    ctx._config = None
                    traces.clear()
                    owner = getattr(ctx.config, spec["kind"])
                else:
                    from dlt.common.configuration.specs import RuntimeConfiguration

                    traces.clear()
                    owner = resolve_configuration(RuntimeConfiguration())
            elif spec["kind"] == "source":
                # A real @dlt.source in a module of the workspace; its body records its arguments.
                import importlib

                sys.path.insert(0, os.getcwd())
                module = importlib.import_module(spec["module"])
                traces.clear()
                getattr(module, spec["source"])()
                value = module.CAPTURED.get(spec["field"])
                hit = [t for t in traces.resolved_traces if t.key == spec["field"]]
                return answer(value, hit[-1] if hit else None)
            else:
                raise ValueError(f"unknown spec kind {spec['kind']}")
    except Exception as e:  # dlt's own errors are an answer too
        return {"error": f"{type(e).__name__}: {e}"}
    for part in field[:-1]:
        owner = getattr(owner, part)
    value = getattr(owner, field[-1], None)
    hit = None
    for t in traces.resolved_traces:
        if t.key == field[-1] and type(t.config) is type(owner):
            hit = t
    if hit is None and len(field) > 1:
        # A field parsed out of a native value is traced under the whole value's key.
        for t in traces.resolved_traces:
            if t.key == field[-2]:
                hit = t
    return answer(value, hit)


def answer(value, hit) -> dict:
    if value is None or hit is None:
        return {"value": None, "provider": None, "location": None, "path": None}
    location = hit.provider_location
    return {
        "value": json.loads(json.dumps(value, default=str)),
        "provider": hit.provider_name,
        "location": location if isinstance(location, str) else None,
        "path": ".".join(list(hit.sections) + [hit.key]),
    }


if __name__ == "__main__":
    main()
