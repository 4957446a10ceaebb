"""`--format table|json|jsonl|csv|tsv` on every listing: the same records in each machine format,
`--json` kept as an alias, CSV/TSV one header and one line per record."""

import csv
import io
import json

import pytest

from .conftest import SEEDS, run_cli

TODAY = "2023-06-01"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    env = {"DEADLINES_DB": f"sqlite:///{tmp_path_factory.mktemp('formats') / 'f.db'}"}
    assert run_cli("ingest", str(SEEDS), env=env).returncode == 0
    assert run_cli("subscribe", "office@example.org", "--owner", "市北区", env=env).returncode == 0
    return env


def formats(env, *args):
    out = {f: run_cli("--today", TODAY, *args, "--format", f, env=env) for f in
           ("json", "jsonl", "csv", "tsv", "table")}
    assert all(r.returncode == 0 for r in out.values()), {f: r.stderr for f, r in out.items()}
    return {f: r.stdout for f, r in out.items()}


LISTINGS = [
    (["status", "--doc", "003"], "id"),
    (["docs"], "doc"),
    (["owners"], "owner"),
    (["subscribers"], "email"),
    (["extract", str(next(SEEDS.glob("003_*.txt")))], "due"),
]


@pytest.mark.parametrize("args,key", LISTINGS, ids=lambda v: v[0] if isinstance(v, list) else v)
def test_every_listing_speaks_every_format(env, args, key):
    out = formats(env, *args)
    records = json.loads(out["json"])
    assert records and all(key in r for r in records)
    assert [json.loads(line) for line in out["jsonl"].splitlines()] == records
    rows = list(csv.DictReader(io.StringIO(out["csv"])))
    assert [r[key] for r in rows] == [str(r[key]) for r in records]
    tsv = out["tsv"].splitlines()
    assert tsv[0].split("\t") == list(records[0]) and len(tsv) == 1 + len(records)
    assert all(len(line.split("\t")) == len(records[0]) for line in tsv)
    table = out["table"].splitlines()
    assert table[0].split()[0] == key and len(table) == 1 + len(records)


def test_json_alias_and_csv_quoting(env):
    alias = json.loads(run_cli("--today", TODAY, "status", "--json", "--doc", "003", env=env).stdout)
    out = formats(env, "status", "--doc", "003")
    records = json.loads(out["json"])
    assert alias == records
    rows = list(csv.DictReader(io.StringIO(out["csv"])))
    assert [r["sentence"] for r in rows] == [r["sentence"] for r in records]   # commas survive
    assert [r["overdue"] for r in rows] == ["true" if r["overdue"] else "false" for r in records]


def test_outbox_formats(env):
    empty = run_cli("outbox", "--format", "json", env=env)
    assert empty.returncode == 1 and json.loads(empty.stdout) == []
    assert run_cli("outbox", "--format", "csv", env=env).stdout == ""
