#!/usr/bin/env python3
"""Generates `server/catalog/destinations.json` from an installed dlt, by introspection.

Run from anywhere with a plain `python3` (3.9+):

    python3 tools/catalog/generate.py

It creates a throwaway venv in a temporary directory, installs the pinned dlt and dlthub there,
re-runs itself inside that venv with `--introspect`, and writes the catalog. `--python PATH` skips
the venv and uses an interpreter that already has dlt and dlthub installed (faster when iterating).

Everything in the output is read off dlt's own configuration specs (dataclass fields, type hints,
attribute docstrings, `@resolve_type` hint resolvers, `parse_native_representation`), so a new dlt
release only needs a new pin and a re-run. The few facts that cannot be introspected are listed in
`HAND_CURATED` below, each with the reason.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

DLT_VERSION = "1.31.0"
DLTHUB_VERSION = "0.31.0"

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUTPUT = REPO_ROOT / "server" / "catalog" / "destinations.json"

# The closed set of value types the server reasons about; everything else becomes "any".
TYPES = ["string", "integer", "float", "boolean", "list", "table", "literal", "any"]

# Sections outside `destination.*` that users commonly write. The key is the catalog name (the same
# names as the shared reference dump `dlt-1.31-sections.json`), then the spec's import path, the
# TOML tables it is read from, the mode it applies in, and how dlt looks it up (for hover/docs).
SECTIONS = [
    (
        "runtime",
        "dlt.common.configuration.specs.runtime_configuration.RuntimeConfiguration",
        ["runtime"],
        "classic",
        "plain project (no .dlt/.workspace): resolved as [runtime] only",
    ),
    (
        "runtime (workspace)",
        "dlt._workspace.configuration.WorkspaceRuntimeConfiguration",
        ["workspace.runtime", "runtime"],
        "workspace",
        "workspace: per provider [workspace.runtime] first, then [runtime]",
    ),
    (
        "workspace.settings",
        "dlt._workspace.configuration.WorkspaceSettings",
        ["workspace.settings", "settings"],
        "workspace",
        "workspace: per provider [workspace.settings] first, then [settings]",
    ),
    (
        "pipelines.<pipeline_name>",
        "dlt.pipeline.configuration.PipelineConfiguration",
        ["pipelines.<pipeline_name>", "pipelines"],
        "both",
        "dlt.pipeline(): pipelines.<pipeline_name>.<key>, then pipelines.<key>, then <key>;"
        " explicit arguments win",
    ),
    (
        "normalize",
        "dlt.normalize.configuration.NormalizeConfiguration",
        ["normalize"],
        "both",
        "resolved under the sections (<pipeline_name>, normalize)",
    ),
    (
        "load",
        "dlt.load.configuration.LoaderConfiguration",
        ["load"],
        "both",
        "resolved under the sections (<pipeline_name>, load)",
    ),
    (
        "extract",
        "dlt.extract.pipe_iterator.PipeIterator.PipeIteratorConfiguration",
        ["extract"],
        "both",
        "__section__ = extract; resolved inside Pipeline.extract",
    ),
    (
        "data_writer",
        "dlt.common.data_writers.buffered.BufferedDataWriter.BufferedDataWriterConfiguration",
        ["data_writer", "normalize.data_writer", "extract.data_writer"],
        "both",
        "__section__ = data_writer; the stage decides the prefix: [normalize.data_writer],"
        " [extract.data_writer], then [data_writer]",
    ),
    (
        "schema",
        "dlt.common.schema.configuration.SchemaConfiguration",
        ["schema"],
        "both",
        "__section__ = schema",
    ),
    (
        "providers",
        "dlt.common.configuration.specs.config_providers_context.ConfigProvidersConfiguration",
        ["providers"],
        "both",
        "__section__ = providers; resolved once when the providers are set up",
    ),
]

# Facts that introspection cannot give, with the reason for each.
HAND_CURATED = {
    # libpq (psycopg2) accepts both URI schemes; dlt's parser keeps whatever scheme it is given.
    "scheme_aliases": {"postgresql": ["postgres"]},
    # `destination_type` is `Final` in every spec (never resolved into it), yet dlt reads
    # `destination.<name>.destination_type` by exact path to make <name> a named destination
    # (dlt/common/destination/reference.py, Destination.from_reference).
    "destination_type_doc": (
        "Makes [destination.<name>] a named destination of this type. Read by exact path;"
        " a destination type name or a module path such as dlt.destinations.postgres."
    ),
}

# Strings tried on every credentials spec that has a native form, to learn what it accepts.
NATIVE_PROBES = {
    "url": "{scheme}://user:pass@host:5432/db",
    "gcp_service_account_json": json.dumps(
        {"type": "service_account", "project_id": "p", "private_key": "k", "client_email": "e@x.com"}
    ),
    "path": "/tmp/some/file.duckdb",
    "plain": "plain-string",
}


# --------------------------------------------------------------------------------------------
# Outer run: a throwaway venv
# --------------------------------------------------------------------------------------------


def run_in_venv(output: Path, python: str | None) -> None:
    if python:
        introspect_with(python, output)
        return
    with tempfile.TemporaryDirectory(prefix="dlt-catalog-") as tmp:
        venv = Path(tmp) / "venv"
        print(f"creating venv in {venv}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        py = str(venv / ("Scripts" if os.name == "nt" else "bin") / "python")
        subprocess.run(
            [py, "-m", "pip", "install", "--quiet", f"dlt=={DLT_VERSION}", f"dlthub=={DLTHUB_VERSION}"],
            check=True,
        )
        introspect_with(py, output)


def introspect_with(python: str, output: Path) -> None:
    # Introspection must not depend on the machine: run in an empty directory (no `.dlt/` to read),
    # with a home of its own (no global `~/.dlt`) and none of the caller's dlt environment variables.
    with tempfile.TemporaryDirectory(prefix="dlt-catalog-run-") as scratch:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": scratch,
            "LANG": "C.UTF-8",
            "RUNTIME__LOG_LEVEL": "ERROR",
            "RUNTIME__DLTHUB_TELEMETRY": "false",
        }
        script = str(Path(__file__).resolve())
        subprocess.run(
            [python, script, "--introspect", "--output", str(output.resolve())],
            check=True,
            cwd=scratch,
            env=env,
        )


# --------------------------------------------------------------------------------------------
# Inner run: introspection (imports dlt, only inside the venv)
# --------------------------------------------------------------------------------------------


def introspect(output: Path) -> None:
    import importlib.metadata as md

    import dlt  # noqa: F401
    import dlt.destinations as dlt_destinations
    import dlthub.destinations as dlthub_destinations

    versions = {"dlt": md.version("dlt"), "dlthub": md.version("dlthub")}
    if versions["dlt"] != DLT_VERSION or versions["dlthub"] != DLTHUB_VERSION:
        sys.exit(f"expected dlt {DLT_VERSION} / dlthub {DLTHUB_VERSION}, found {versions}")

    intro = Introspector()
    destinations: dict = {}
    for package, module in (("dlt", dlt_destinations), ("dlthub", dlthub_destinations)):
        for name in module.__all__:
            factory = getattr(module, name)
            if not _is_destination_factory(factory):
                continue  # dlthub also exports WritableDataset, which is not a destination
            spec = intro.factory_spec(factory)
            destinations[name] = intro.destination(package, name, factory, spec, None)
            if name == "filesystem":
                # The filesystem factory swaps its whole spec when bucket_url is on the Hugging Face hub.
                hf_spec = factory(bucket_url="hf://datasets/org/repo").spec
                variant_of = {"destination": "filesystem", "key": "bucket_url", "scheme": "hf"}
                destinations["filesystem[hf]"] = intro.destination(
                    package, name, factory, hf_spec, variant_of
                )

    sections = {}
    for name, spec_path, tables, mode, lookup in SECTIONS:
        cls = _import_path(spec_path)
        sections[name] = {
            "spec": cls.__qualname__,
            "tables": tables,
            "mode": mode,
            "lookup": lookup,
            "fields": intro.fields(cls, []),
        }

    catalog = {
        "dlt_version": versions["dlt"],
        "dlthub_version": versions["dlthub"],
        "generated_by": "tools/catalog/generate.py",
        "types": TYPES,
        "destinations": {k: destinations[k] for k in sorted(destinations)},
        "sections": sections,
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(catalog) + "\n", encoding="utf-8")
    print(f"wrote {output} ({len(destinations)} destinations, {len(sections)} sections)")


def _is_destination_factory(obj) -> bool:
    from dlt.common.destination.reference import Destination

    return isinstance(obj, type) and issubclass(obj, Destination)


def _import_path(path: str):
    import importlib

    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(path)


class Introspector:
    def __init__(self) -> None:
        from dlt.common.configuration.specs import BaseConfiguration, CredentialsConfiguration

        self.BaseConfiguration = BaseConfiguration
        self.CredentialsConfiguration = CredentialsConfiguration
        self._docs: dict = {}

    # ---- destinations

    def factory_spec(self, factory):
        from dlt.destinations.impl.destination.configuration import (
            CustomDestinationClientConfiguration,
        )
        from dlt.destinations.impl.destination.factory import destination as custom_sink

        if issubclass(factory, custom_sink):
            # The custom sink synthesizes its spec from the user's callable; without one it invents
            # a dummy. Its base spec is what every sink shares.
            return CustomDestinationClientConfiguration
        spec = factory.__dict__.get("spec")
        if isinstance(spec, type):
            return spec
        # A `spec` property (filesystem, ducklake): ask a default instance.
        return factory().spec

    def destination(self, package, name, factory, spec, variant_of):
        fields = self.fields(spec, [])
        for f in fields:
            if f["name"] == "destination_type":
                f.pop("resolvable", None)
                f.update(type="string", required=False, default=None)
                f["doc"] = HAND_CURATED["destination_type_doc"]
        record = {
            "package": package,
            "factory": f"{package}.destinations.{name}",
            "spec": spec.__qualname__,
        }
        if variant_of:
            record["variant_of"] = variant_of
        if spec.__qualname__ == "CustomDestinationClientConfiguration":
            # dlt builds the real spec from the sink function's signature
            # (dlt/destinations/impl/destination/factory.py), so any other key may be an argument.
            record["extensible"] = True
        record["fields"] = fields
        return record

    # ---- specs and fields

    def fields(self, cls, stack):
        import dataclasses

        from dlt.common.configuration.specs.base_configuration import is_valid_configspec_field

        hints = cls.get_resolvable_fields()
        docs = self.attribute_docs(cls)
        resolvers = getattr(cls, "__hint_resolvers__", {}) or {}
        out = []
        for f in cls.__dataclass_fields__.values():
            if not is_valid_configspec_field(f):
                continue
            hint = hints[f.name]
            default = f.default
            if default is dataclasses.MISSING and f.default_factory is not dataclasses.MISSING:
                default = f.default_factory()
            if default is dataclasses.MISSING:
                default = None
            out.append(self.field(cls, f.name, hint, default, docs.get(f.name), resolvers, stack))
        return out

    def field(self, cls, name, hint, default, doc, resolvers, stack):
        from dlt.common.configuration.specs.base_configuration import (
            is_context_inner_hint,
            is_hint_not_resolvable,
            is_secret_hint,
        )
        from dlt.common.typing import is_optional_type

        inner = _strip(hint)
        ty, values = self.reduce(hint)
        rec = {"name": name, "type": ty}
        if values is not None:
            rec["values"] = values
        # dlt's own rule (BaseConfiguration.is_field_resolved): a field is required when it is not
        # Optional and holds no value.
        rec["required"] = (not is_optional_type(hint)) and default is None
        rec["default"] = _json_default(default, self.BaseConfiguration)
        rec["secret"] = bool(is_secret_hint(hint))
        resolvable = not is_hint_not_resolvable(hint)
        if isinstance(inner, type) and is_context_inner_hint(inner):
            # Injected from dlt's container, never read from a config provider.
            resolvable = False
        if not resolvable:
            rec["resolvable"] = False
            rec["required"] = False
        if doc:
            rec["doc"] = doc
        if not resolvable:
            return rec
        if name in resolvers:
            selector, variants = self.resolver_variants(cls, name, resolvers[name], stack)
            rec["selector"] = selector
            rec["type"] = "table"
            rec.pop("values", None)
            if variants:
                rec["variants"] = variants
        else:
            classes = self.config_classes(inner)
            if classes:
                rec["type"] = "table"
                rec["variants"] = [self.spec_record(c, [], stack) for c in classes]
        return rec

    def config_classes(self, inner):
        """Configuration classes a (stripped) hint stands for: one class, or the members of a union."""
        import typing

        if isinstance(inner, type) and issubclass(inner, self.BaseConfiguration):
            classes = [inner]
        elif typing.get_origin(inner) is typing.Union:
            classes = [
                a for a in typing.get_args(inner) if isinstance(a, type) and issubclass(a, self.BaseConfiguration)
            ]
        else:
            return []
        # The bare base classes carry no fields: "no credentials" for an unknown bucket scheme.
        return [c for c in classes if c not in (self.BaseConfiguration, self.CredentialsConfiguration)]

    def spec_record(self, cls, when, stack):
        rec = {"spec": cls.__qualname__}
        if when:
            rec["when"] = when
        if issubclass(cls, self.CredentialsConfiguration):
            native = self.native_form(cls)
            if native:
                rec["native"] = native
            from dlt.common.configuration.specs import CredentialsWithDefault

            if issubclass(cls, CredentialsWithDefault):
                # Missing fields may be filled from ambient credentials (env, instance metadata...).
                rec["ambient_default"] = True
        if cls in stack:
            rec["fields"] = []  # a spec that embeds itself; never happens in 1.31, kept finite anyway
        else:
            rec["fields"] = self.fields(cls, stack + [cls])
        return rec

    def resolver_variants(self, cls, field_name, resolver, stack):
        """Runs a `@resolve_type` hint resolver for every selector value to learn which spec it picks."""
        import inspect
        import typing

        from dlt.common.storages.configuration import FilesystemConfiguration

        source = inspect.getsource(resolver)
        if "catalog_type" in source:
            key, by = "catalog_type", "value"
            values = list(typing.get_args(_strip(cls.get_resolvable_fields()["catalog_type"])))
            probe = lambda inst, v: setattr(inst, "catalog_type", v)  # noqa: E731
        elif issubclass(cls, FilesystemConfiguration):
            key, by = "bucket_url", "scheme"
            values = list(cls.PROTOCOL_CREDENTIALS) + ["file", "memory"]
            probe = lambda inst, v: setattr(inst, "bucket_url", f"{v}://bucket/path")  # noqa: E731
        else:
            raise SystemExit(
                f"{cls.__qualname__}.{field_name}: a hint resolver this generator does not know;"
                " teach resolver_variants() what selects its type"
            )
        picked: dict = {}
        order: list = []
        for v in values:
            inst = object.__new__(cls)
            probe(inst, v)
            for c in self.config_classes(_strip(resolver(inst))):
                if c not in picked:
                    picked[c] = []
                    order.append(c)
                picked[c].append(v)
        variants = [self.spec_record(c, picked[c], stack) for c in order]
        return {"key": key, "by": by}, variants

    # ---- native forms

    def native_form(self, cls):
        from dlt.common.configuration.specs import ConnectionStringCredentials

        if cls.parse_native_representation is self.BaseConfiguration.parse_native_representation:
            return None
        if issubclass(cls, ConnectionStringCredentials):
            driver = cls.__dataclass_fields__["drivername"].default
            schemes = [driver] + HAND_CURATED["scheme_aliases"].get(driver, []) if driver else []
            accepted = self.probe(cls, driver or "scheme")
            return {
                "form": "connection_string",
                # empty: any SQLAlchemy URL scheme (the drivername comes from the string)
                "schemes": schemes,
                "plain_string": accepted["plain"] and accepted["path"],
            }
        accepted = self.probe(cls, "scheme")
        if all(accepted.values()):
            # Takes any string without complaint (lancedb ignores what it cannot use).
            return {"form": "string", "schemes": [], "plain_string": True}
        if accepted["gcp_service_account_json"]:
            return {"form": "json", "schemes": [], "plain_string": False}
        if any(accepted.values()):
            return {"form": "string", "schemes": [], "plain_string": accepted["plain"]}
        # Parses only a live Python object (boto3 session, azure credential): nothing TOML can hold.
        return {"form": "object", "schemes": [], "plain_string": False}

    def probe(self, cls, scheme):
        accepted = {}
        for kind, sample in NATIVE_PROBES.items():
            try:
                cls().parse_native_representation(sample.format(scheme=scheme) if kind == "url" else sample)
                accepted[kind] = True
            except Exception:
                accepted[kind] = False
        return accepted

    # ---- types

    def reduce(self, hint):
        """Maps a Python type hint to (type, literal values) in the closed set `TYPES`."""
        import collections.abc as cabc
        import datetime
        import decimal
        import enum
        import typing

        from dlt.common.typing import is_typeddict

        h = _strip(hint)
        origin = typing.get_origin(h)
        if h is typing.Any or isinstance(h, typing.TypeVar):
            return "any", None
        if origin is typing.Literal:
            return "literal", _literal_values(h)
        if origin is typing.Union:
            if self.config_classes(h):
                return "table", None
            reduced = {self.reduce(a) for a in typing.get_args(h) if a is not type(None)}
            kinds = {r[0] for r in reduced}
            if kinds == {"literal"}:
                values = []
                for _, vs in reduced:
                    values += [v for v in vs if v not in values]
                return "literal", values
            if len(kinds) == 1:
                return kinds.pop(), None
            if kinds == {"integer", "float"}:
                return "float", None
            return "any", None
        base = origin or h
        if not isinstance(base, type):
            return "any", None
        if issubclass(base, bool):
            return "boolean", None
        if issubclass(base, enum.Enum):
            return "literal", [m.value for m in base]
        if issubclass(base, int):
            return "integer", None
        if issubclass(base, (float, decimal.Decimal)):
            return "float", None
        if issubclass(base, str):
            return "string", None
        if issubclass(base, (datetime.date, datetime.time, datetime.timedelta)):
            return "any", None
        if issubclass(base, self.BaseConfiguration) or is_typeddict(base):
            return "table", None
        if issubclass(base, cabc.Mapping):
            return "table", None
        if issubclass(base, (list, tuple, set, frozenset)) or base in (cabc.Sequence, cabc.Set):
            return "list", None
        return "any", None

    # ---- docs

    def attribute_docs(self, cls):
        """Attribute docstrings (a string literal right after `name: type = ...`), nearest class wins."""
        import ast
        import inspect
        import textwrap

        docs: dict = {}
        for klass in reversed(cls.__mro__):
            if klass in self._docs:
                docs.update(self._docs[klass])
                continue
            own: dict = {}
            try:
                tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
            except (OSError, TypeError, SyntaxError):
                tree = None
            if tree and tree.body and isinstance(tree.body[0], ast.ClassDef):
                body = tree.body[0].body
                for stmt, nxt in zip(body, body[1:]):
                    if (
                        isinstance(stmt, ast.AnnAssign)
                        and isinstance(stmt.target, ast.Name)
                        and isinstance(nxt, ast.Expr)
                        and isinstance(nxt.value, ast.Constant)
                        and isinstance(nxt.value.value, str)
                    ):
                        own[stmt.target.id] = " ".join(nxt.value.value.split())
            self._docs[klass] = own
            docs.update(own)
        return docs


def _strip(hint):
    """Removes Annotated, Final, NewType and Optional wrappers, keeping unions of several types."""
    import typing

    while True:
        origin = typing.get_origin(hint)
        if origin is typing.Annotated:
            hint = typing.get_args(hint)[0]
        elif origin is typing.Final or hint is typing.Final:
            args = typing.get_args(hint)
            hint = args[0] if args else typing.Any
        elif hasattr(hint, "__supertype__"):  # typing.NewType
            hint = hint.__supertype__
        elif origin is typing.Union or _is_pep604_union(hint):
            args = [a for a in typing.get_args(hint) if a is not type(None)]
            if len(args) == 1:
                hint = args[0]
            else:
                return typing.Union[tuple(args)]
        else:
            return hint


def _is_pep604_union(hint) -> bool:
    import types

    return isinstance(hint, getattr(types, "UnionType", ()))


def _literal_values(hint):
    import typing

    values = []
    for a in typing.get_args(hint):
        if typing.get_origin(a) is typing.Literal:
            values += _literal_values(a)
        else:
            values.append(a)
    return values


def _json_default(value, base_configuration):
    import enum

    if isinstance(value, base_configuration):
        return None  # an embedded spec: its own fields carry their defaults
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, (tuple, set, frozenset)):
        value = list(value)
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return None
    return value


# --------------------------------------------------------------------------------------------
# Rendering: leaf objects on one line, so a field is one line and diffs stay small
# --------------------------------------------------------------------------------------------


def render(value, indent: int = 0) -> str:
    pad = "  " * indent
    inner = "  " * (indent + 1)
    if isinstance(value, (dict, list)) and not _holds_records(value):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k)}: {render(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list):
        items = [f"{inner}{render(v, indent + 1)}" for v in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(value, ensure_ascii=False)


def _holds_records(value) -> bool:
    """True when a list of objects sits anywhere inside: such values are spread over lines."""
    if isinstance(value, list):
        return any(isinstance(v, dict) for v in value) or any(_holds_records(v) for v in value)
    if isinstance(value, dict):
        return any(_holds_records(v) for v in value.values())
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--python", help="an interpreter that already has the pinned dlt and dlthub")
    parser.add_argument("--introspect", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.introspect:
        introspect(args.output)
    else:
        run_in_venv(args.output, args.python)


if __name__ == "__main__":
    main()
