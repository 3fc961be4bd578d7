#!/usr/bin/env python3
"""Differential test: dlt-lsp's effective values against REAL dlt 1.31.

For each fixture workspace and profile, `probe.py` (run in a venv with dlt==1.31.0 and
dlthub==0.31.0) asks dlt for the value and origin of keys through dlt's own resolution of the
spec that owns them; `dlt-lsp explain --json --reveal` answers the same question. Value,
provider, file and lookup path must agree.

Usage: differential.py [--venv DIR] [--binary PATH] [-v]
  --venv    a venv with dlt installed (default: $DLT_ORACLE_VENV, else one is created in a temp dir)
  --binary  the dlt-lsp binary (default: target/debug/dlt-lsp, built when missing)
Prints `N passed, M failed` and exits 1 on any difference.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).resolve().parent / "probe.py"
DLT_PINS = ["dlt==1.31.0", "dlthub==0.31.0"]

PROFILES = ["dev", "tests", "prod", "access"]


def dest(ref, field):
    return (f"destination.{ref}.{field}", {"kind": "destination", "ref": ref, "field": field})


def runtime(k):
    return (f"runtime.{k}", {"kind": "runtime", "field": k})


def settings(k):
    return (f"workspace.settings.{k}", {"kind": "settings", "field": k})


def source(module, name, field):
    return (f"sources.{module}.{name}.{field}", {"kind": "source", "module": module, "source": name, "field": field})


CHESS = """import dlt

CAPTURED = {}


@dlt.source
def chess_source(api_key: dlt.TSecretStrValue = None, region: str = None, max_players: int = None):
    CAPTURED.update(api_key=api_key, region=region, max_players=max_players)
    return dlt.resource([1], name="games")
"""

WH = '[destination.warehouse]\ndestination_type = "postgres"\n'

# name, workspace?, files (under the project dir, or global/ for the global dir), env, pipeline,
# profiles (None: let dlt choose, for the pin), keys
CASES = [
    dict(
        name="profile file over workspace file",
        files={
            ".dlt/config.toml": '[runtime]\nlog_level = "WARNING"\n',
            ".dlt/prod.config.toml": '[runtime]\nlog_level = "INFO"\n',
        },
        keys=[runtime("log_level")],
    ),
    dict(
        name="secrets over config across profiles",
        files={
            ".dlt/config.toml": WH,
            ".dlt/secrets.toml": '[destination.warehouse.credentials]\nhost = "from-secrets"\n',
            ".dlt/prod.config.toml": '[destination.warehouse.credentials]\nhost = "from-prod-config"\n'
            'database = "prod-db"\n',
        },
        keys=[dest("warehouse", "credentials.host"), dest("warehouse", "credentials.database")],
    ),
    dict(
        name="shorter credentials path in secrets beats exact path in config",
        files={
            ".dlt/config.toml": WH + '[destination.warehouse.credentials]\nhost = "exact-config"\n',
            ".dlt/secrets.toml": '[credentials]\nhost = "short-secret"\n',
        },
        keys=[dest("warehouse", "credentials.host")],
    ),
    dict(
        name="exact path in base file beats shorter path in profile file",
        files={
            ".dlt/config.toml": WH,
            ".dlt/secrets.toml": '[destination.warehouse.credentials]\npassword = "base-exact"\n',
            ".dlt/prod.secrets.toml": '[destination.credentials]\npassword = "prod-short"\nusername = "prod-user"\n',
        },
        keys=[dest("warehouse", "credentials.password"), dest("warehouse", "credentials.username")],
    ),
    dict(
        name="[workspace.runtime] over [runtime]",
        files={
            ".dlt/config.toml": '[workspace.runtime]\nlog_level = "CRITICAL"\n[workspace.settings]\nname = "ws"\n',
            ".dlt/dev.config.toml": '[runtime]\nlog_level = "INFO"\n[settings]\nname = "dev-name"\n',
        },
        keys=[runtime("log_level"), settings("name")],
    ),
    dict(
        name="env var override, short form",
        files={
            ".dlt/config.toml": WH + '[runtime]\nlog_level = "WARNING"\n',
            ".dlt/prod.secrets.toml": '[destination.warehouse.credentials]\npassword = "prod-secret"\n',
        },
        env={"CREDENTIALS__PASSWORD": "short-env", "RUNTIME__LOG_LEVEL": "ERROR"},
        keys=[dest("warehouse", "credentials.password"), runtime("log_level")],
    ),
    dict(
        name="lower-case env vars are ignored",
        files={
            ".dlt/config.toml": WH,
            ".dlt/prod.secrets.toml": '[destination.warehouse.credentials]\npassword = "prod-secret"\n',
        },
        env={"destination__warehouse__credentials__password": "lower"},
        keys=[dest("warehouse", "credentials.password")],
    ),
    dict(
        name="classic project ignores profile files",
        workspace=False,
        files={
            ".dlt/config.toml": WH + '[runtime]\nlog_level = "WARNING"\n',
            ".dlt/prod.config.toml": '[runtime]\nlog_level = "INFO"\n',
            ".dlt/secrets.toml": '[destination.warehouse.credentials]\npassword = "base"\n',
            ".dlt/prod.secrets.toml": '[destination.warehouse.credentials]\npassword = "prod"\n',
        },
        profiles=["prod"],
        keys=[runtime("log_level"), dest("warehouse", "credentials.password")],
    ),
    dict(
        name="custom profile via pin file",
        files={
            ".dlt/profile-name": "  staging  \nsecond line",
            ".dlt/config.toml": '[runtime]\nlog_level = "WARNING"\n',
            ".dlt/staging.config.toml": '[runtime]\nlog_level = "ERROR"\n',
        },
        profiles=[None],
        active="staging",
        keys=[runtime("log_level")],
    ),
    dict(
        name="tables merged across files, lists replaced",
        files={
            ".dlt/config.toml": '[destination.bucket]\ndestination_type = "filesystem"\nbucket_url = "file:///tmp/b"\n'
            '[destination.bucket.kwargs]\nregion = "eu"\nitems = ["a", "b"]\n',
            ".dlt/prod.config.toml": '[destination.bucket.kwargs]\nmax = 2\nitems = ["c"]\n',
        },
        keys=[dest("bucket", "kwargs"), dest("bucket", "bucket_url")],
    ),
    dict(
        name="destination config paths: exact, destination.<f>, <f>",
        files={
            ".dlt/config.toml": '[destination.bucket]\ndestination_type = "filesystem"\n'
            '[destination]\nbucket_url = "file:///short"\nlayout = "{table_name}/{load_id}.{file_id}.{ext}"\n',
            ".dlt/prod.config.toml": '[destination.bucket]\nbucket_url = "file:///prod"\n',
            ".dlt/access.config.toml": 'bucket_url = "file:///bare"\n',
        },
        keys=[dest("bucket", "bucket_url"), dest("bucket", "layout")],
    ),
    dict(
        name="global dir precedence",
        files={
            ".dlt/secrets.toml": "",
            "global/config.toml": '[runtime]\nlog_level = "ERROR"\n[workspace.settings]\nname = "global"\n',
            "global/prod.config.toml": '[runtime]\nlog_level = "CRITICAL"\n',
            ".dlt/access.config.toml": '[runtime]\nlog_level = "DEBUG"\n',
        },
        keys=[runtime("log_level"), settings("name")],
    ),
    dict(
        name="local base beats global profile",
        files={
            ".dlt/config.toml": '[runtime]\nlog_level = "WARNING"\n',
            "global/prod.config.toml": '[runtime]\nlog_level = "CRITICAL"\n',
            "global/secrets.toml": '[credentials]\npassword = "global-secret"\n',
            ".dlt/prod.secrets.toml": WH,
        },
        keys=[runtime("log_level")],
    ),
    dict(
        name="global secrets for a destination",
        files={
            ".dlt/config.toml": WH,
            "global/secrets.toml": '[credentials]\npassword = "global-secret"\n',
            "global/prod.secrets.toml": '[destination.credentials]\npassword = "global-prod"\n',
        },
        keys=[dest("warehouse", "credentials.password")],
    ),
    dict(
        name="pipeline pass first",
        files={
            ".dlt/config.toml": WH,
            ".dlt/secrets.toml": '[my_pipe.destination.warehouse.credentials]\npassword = "pipe"\n'
            '[destination.warehouse.credentials]\nhost = "plain"\n',
        },
        env={"DESTINATION__WAREHOUSE__CREDENTIALS__PASSWORD": "env"},
        pipeline="my_pipe",
        keys=[dest("warehouse", "credentials.password"), dest("warehouse", "credentials.host")],
    ),
    dict(
        name="pipeline-prefixed env var",
        files={
            ".dlt/config.toml": WH,
            ".dlt/prod.secrets.toml": '[my_pipe.credentials]\npassword = "pipe-short"\n',
        },
        env={"MY_PIPE__DESTINATION__WAREHOUSE__CREDENTIALS__PORT": "6543"},
        pipeline="my_pipe",
        keys=[dest("warehouse", "credentials.password"), dest("warehouse", "credentials.port")],
    ),
    dict(
        name="named destination type per profile",
        files={
            ".dlt/config.toml": '[destination.warehouse]\ndestination_type = "duckdb"\n',
            ".dlt/prod.config.toml": WH,
            ".dlt/prod.secrets.toml": '[destination.warehouse.credentials]\npassword = "pg"\n',
            ".dlt/secrets.toml": '[destination.warehouse.credentials]\npassword = "duck"\n',
        },
        keys=[dest("warehouse", "credentials.password")],
    ),
    dict(
        name="source arguments: module, compact and popped paths",
        files={
            "chess.py": CHESS,
            ".dlt/config.toml": '[sources.chess]\nregion = "eu"\n[sources]\nmax_players = 3\n',
            ".dlt/prod.config.toml": '[sources.chess_source]\nregion = "prod-compact"\nmax_players = 4\n',
            ".dlt/access.config.toml": '[sources.chess.chess_source]\nregion = "access-exact"\n',
            ".dlt/secrets.toml": '[sources]\napi_key = "sources-level"\n',
            ".dlt/prod.secrets.toml": '[sources.chess_source]\napi_key = "prod-compact"\n',
            ".dlt/tests.secrets.toml": 'api_key = "bare"\n',
        },
        keys=[
            source("chess", "chess_source", "region"),
            source("chess", "chess_source", "max_players"),
            source("chess", "chess_source", "api_key"),
        ],
    ),
    dict(
        name="source arguments from env",
        files={"chess.py": CHESS, ".dlt/secrets.toml": '[sources.chess.chess_source]\napi_key = "exact"\n'},
        env={"SOURCES__CHESS_SOURCE__API_KEY": "env-compact", "MAX_PLAYERS": "7"},
        keys=[source("chess", "chess_source", "api_key"), source("chess", "chess_source", "max_players")],
    ),
    dict(
        name="native connection string beats field lookups",
        files={
            ".dlt/config.toml": WH,
            ".dlt/prod.secrets.toml": '[destination.warehouse]\ncredentials = '
            '"postgresql://native_user:native%40pw@native-host:6543/native_db?sslmode=require"\n',
            ".dlt/secrets.toml": '[destination.warehouse.credentials]\nusername = "base"\nhost = "base-host"\n',
        },
        env={"DESTINATION__WAREHOUSE__CREDENTIALS__PASSWORD": "env-pw"},
        keys=[
            dest("warehouse", "credentials.password"),
            dest("warehouse", "credentials.username"),
            dest("warehouse", "credentials.host"),
            dest("warehouse", "credentials.port"),
            dest("warehouse", "credentials.database"),
            dest("warehouse", "credentials.query"),
        ],
    ),
    dict(
        name="native connection string from env, short form",
        files={".dlt/config.toml": WH, ".dlt/secrets.toml": '[destination.warehouse.credentials]\npassword = "toml"\n'},
        env={"CREDENTIALS": "postgresql://e_user:e_pw@e-host/e_db"},
        keys=[dest("warehouse", "credentials.password"), dest("warehouse", "credentials.host")],
    ),
    dict(
        name="more env forms",
        files={".dlt/config.toml": WH, ".dlt/secrets.toml": '[destination.warehouse.credentials]\nhost = "h"\n'},
        env={"DESTINATION__CREDENTIALS__HOST": "env-mid", "WORKSPACE__RUNTIME__LOG_LEVEL": "ERROR"},
        keys=[dest("warehouse", "credentials.host"), runtime("log_level")],
    ),
]


def ensure_venv(arg: str) -> Path:
    venv = Path(arg or os.environ.get("DLT_ORACLE_VENV") or Path(tempfile.gettempdir()) / "dlt-lsp-oracle-venv")
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    ok = subprocess.run([str(python), "-c", "import dlt, sys; sys.exit(dlt.__version__ != '1.31.0')"], capture_output=True)
    if ok.returncode != 0:
        subprocess.run([str(python), "-m", "pip", "install", "-q", *DLT_PINS], check=True)
    return python


def ensure_binary(arg: str) -> Path:
    binary = Path(arg) if arg else REPO / "target" / "debug" / "dlt-lsp"
    if not binary.exists():
        subprocess.run(["cargo", "build", "-q", "-p", "dlt-lsp"], cwd=REPO, check=True)
    return binary


def build(case: dict, root: Path) -> tuple[Path, Path]:
    ws = root / "ws"
    glob = root / "global"
    (ws / ".dlt").mkdir(parents=True)
    glob.mkdir()
    if case.get("workspace", True):
        (ws / ".dlt" / ".workspace").write_text("")
    for rel, text in case["files"].items():
        target = glob / rel[len("global/") :] if rel.startswith("global/") else ws / rel
        target.write_text(text)
    return ws, glob


def base_env(case: dict) -> dict:
    # Only what a shell needs: nothing of the caller's dlt settings may leak into either side.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tempfile.gettempdir(), "LANG": "C.UTF-8"}
    env.update(case.get("env", {}))
    return env


def oracle(python: Path, case: dict, ws: Path, glob: Path, profile) -> list:
    env = base_env(case)
    req = {
        "ws": str(ws),
        "global_dir": str(glob),
        "profile": profile,
        "pipeline": case.get("pipeline"),
        "specs": [spec for _, spec in case["keys"]],
    }
    out = subprocess.run([str(python), str(PROBE)], input=json.dumps(req), capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"probe failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def explain(binary: Path, case: dict, ws: Path, glob: Path, profile: str, key: str) -> dict:
    cmd = [str(binary), "explain", "--json", "--reveal", "--root", str(ws), "--global-dir", str(glob)]
    cmd += ["--profile", profile]
    if case.get("pipeline"):
        cmd += ["--pipeline", case["pipeline"]]
    out = subprocess.run(cmd + [key], capture_output=True, text=True, env=base_env(case), cwd=ws)
    if out.returncode != 0:
        raise RuntimeError(f"explain failed: {out.stderr}")
    rows = json.loads(out.stdout)
    return rows[0]


def lsp_answer(row: dict, pipeline) -> dict:
    src = row["source"]
    if src is None:
        return {"value": None, "provider": None, "location": None, "path": None}
    path = src["key"]
    if pipeline and path.startswith(pipeline + "."):
        path = path[len(pipeline) + 1:]
    if src["kind"] == "env":
        return {"value": row["value"], "provider": "Environment Variables", "location": "", "path": path}
    name = Path(src["path"]).name
    provider = "secrets.toml" if name.endswith("secrets.toml") else "config.toml"
    location = f"global:{name}" if src["kind"] == "global" else name
    return {"value": row["value"], "provider": provider, "location": location, "path": path}


def same_value(a, b) -> bool:
    # dlt coerces env strings to the field type; dlt-lsp shows them as written.
    norm = lambda v: v if isinstance(v, str) else json.dumps(v, sort_keys=True)  # noqa: E731
    return norm(a) == norm(b)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--venv")
    ap.add_argument("--binary")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    python = ensure_venv(args.venv)
    binary = ensure_binary(args.binary)
    passed = failed = 0
    for case in CASES:
        for profile in case.get("profiles", PROFILES):
            with tempfile.TemporaryDirectory(prefix="dlt-lsp-diff-") as tmp:
                ws, glob = build(case, Path(tmp))
                answers = oracle(python, case, ws, glob, profile)
                for (key, _), want in zip(case["keys"], answers):
                    shown = profile or case.get("active", "dev")
                    got = lsp_answer(explain(binary, case, ws, glob, shown, key), case.get("pipeline"))
                    ok = "error" not in want and same_value(want["value"], got["value"])
                    ok = ok and all(want[k] == got[k] for k in ("provider", "path"))
                    # dlt reports no single file for a merged table.
                    ok = ok and (want["location"] is None and isinstance(want["value"], dict) or want["location"] == got["location"])
                    label = f"{case['name']} [{shown}] {key}"
                    if ok:
                        passed += 1
                        if args.verbose:
                            print(f"ok    {label}: {json.dumps(got)}")
                    else:
                        failed += 1
                        print(f"FAIL  {label}\n  dlt:     {json.dumps(want)}\n  dlt-lsp: {json.dumps(got)}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
