"""Owners as things: counts and variants (市北區 / 市北区, 我区 under the document's region),
`owners merge|rename` recorded as aliases for stored and later milestones, and one owner matching
for `status --owner`, feed tokens, feed URLs (real HTTP) and subscriptions (digests through a
real SMTP server on loopback)."""

import email
import email.policy
import json
import os
import socket
import subprocess
import sys
import time

import httpx
import icalendar
import pytest
from aiosmtpd.controller import Controller

from . import sheetdata
from .conftest import ROOT, fresh_pg_url, run_cli

TODAY = "2024-03-01"
CITY = [(1, "完成道路保洁机械化改造", "区城市管理局", None, "10月底前", None),
        (2, "新建公共停车泊位500个", "区城市管理局", "区住建局", "年底前", None)]
LATER = [(1, "完成城市家具整治提升", "區城管局", None, "11月底前", None)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def store_tables(tmp_path, env):
    """The 20-row table (区城管局 / 區城管局, 市北區 / 市北区 / 我区) and a second one of 区城市管理局."""
    main, city = tmp_path / "任务分解表.xlsx", tmp_path / "城市管理.xlsx"
    sheetdata.write_xlsx(main)
    sheetdata.write_xlsx(city, CITY, title="市北区2024年城市管理重点任务")
    for path in (main, city):
        result = run_cli("import", str(path), env=env)
        assert result.returncode == 0, result.stderr


def owned(env, owner, *extra):
    result = run_cli("--today", TODAY, "status", "--owner", owner, "--format", "json", "-n", "0", *extra, env=env)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout or "[]")


@pytest.fixture(params=["sqlite", "postgres"])
def env(request, tmp_path):
    if request.param == "postgres":
        return {"DEADLINES_DB": fresh_pg_url()}
    return {"DEADLINES_DB": f"sqlite:///{tmp_path / 'o.db'}"}


def test_owners_variants_merge_and_rename(tmp_path, env):
    store_tables(tmp_path, env)
    listing = {o["owner"]: o for o in json.loads(run_cli("owners", "--format", "json", env=env).stdout)}
    assert listing["市北区"]["open"] == 3 and listing["市北区"]["variants"] == ["市北區", "我区"]
    assert listing["区城管局"]["open"] == 3 and listing["区城管局"]["variants"] == ["區城管局"]
    assert listing["区城市管理局"]["open"] == 2
    # one key, whatever the script: 市北區 = 市北区, and 我区 of a 市北区 table is 市北区
    for name in ("市北区", "市北區", "市北"):
        assert sorted(r["task"] for r in owned(env, name)) == [
            "完成山东路立交西南象限房屋征收", "完成河西剩余房屋征迁清零", "推进老旧小区改造30个"], name
    assert len(owned(env, "区城管局")) == 3 and len(owned(env, "区城市管理局")) == 2

    merged = run_cli("owners", "merge", "区城管局", "区城市管理局", env=env)
    assert merged.returncode == 0, merged.stderr
    assert merged.stdout == "区城管局 → 区城市管理局: 3 milestones; aliases 区城管局\n"
    rows = owned(env, "区城市管理局")
    assert len(rows) == 5 and {r["owner"] for r in rows} == {"区城市管理局"}
    assert [r["id"] for r in owned(env, "區城管局")] == [r["id"] for r in rows]   # the alias filters too
    listing = {o["owner"]: o for o in json.loads(run_cli("owners", "--format", "json", env=env).stdout)}
    assert "区城管局" not in listing and listing["区城市管理局"]["open"] == 5
    assert listing["区城市管理局"]["variants"] == ["区城管局"]      # the alias, one per key
    walkway = next(r for r in rows if r["task"] == "推進濱海步道貫通工程")
    assert walkway["sequence"] == 1
    history = run_cli("show", walkway["id"], env=env).stdout
    assert "owner 區城管局 → 区城市管理局 (merge)" in history

    # later imports (and ingests) of the old name land on the new one
    later = tmp_path / "later.xlsx"
    sheetdata.write_xlsx(later, LATER, title="2024年城市家具整治")
    assert run_cli("import", str(later), env=env).returncode == 0
    assert [r["owner"] for r in owned(env, "区城市管理局") if r["task"] == "完成城市家具整治提升"] == ["区城市管理局"]

    renamed = run_cli("owners", "rename", "区城市更新局", "区城市更新和保护局", env=env)
    assert renamed.returncode == 0 and ": 1 milestones" in renamed.stdout
    assert [r["owner"] for r in owned(env, "区城市更新局")] == ["区城市更新和保护局"]
    taken = run_cli("owners", "rename", "区人社局", "区城市管理局", env=env)
    assert taken.returncode == 2 and "owners merge" in taken.stderr and len(taken.stderr.splitlines()) == 1
    missing = run_cli("owners", "merge", "区不存在局", "区人社局", env=env)
    assert missing.returncode == 7 and missing.stderr.startswith("deadlines: error: no owner '区不存在局'")
    assert len(owned(env, "区人社局")) == 2          # a refused merge changed nothing


@pytest.fixture
def served(tmp_path):
    env = {**os.environ, "DEADLINES_DB": f"sqlite:///{tmp_path / 'f.db'}"}
    env.pop("DEADLINES_TODAY", None)
    store_tables(tmp_path, env)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "scheduler", "--today", TODAY, "serve", "--port", str(port)],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("server did not start: " + proc.stderr.read().decode())
    yield base, env
    proc.terminate()
    proc.wait(timeout=10)


def events(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    return sorted(str(ev["SUMMARY"]) for ev in icalendar.Calendar.from_ical(response.content).walk("VEVENT"))


def token_for(owner, env) -> str:
    created = run_cli("feed-token", "create", "--owner", owner, env=env)
    assert created.returncode == 0, created.stderr
    return created.stdout.split()[0]


def test_feeds_use_the_same_owner_matching_as_status(served):
    """Regression: "today `status --owner 市北` matches by substring but a token for `市北` gives
    an empty feed"."""
    base, env = served
    partial = token_for("市北", env)
    listed = owned(env, "市北")
    assert len(listed) == 3
    assert len(events(httpx.get(f"{base}/feeds/private/{partial}.ics"))) == len(listed)
    traditional = token_for("市北區", env)
    assert events(httpx.get(f"{base}/feeds/private/{traditional}.ics")) == \
        events(httpx.get(f"{base}/feeds/private/{partial}.ics"))

    old = token_for("区城管局", env)
    before_owner = httpx.get(f"{base}/feeds/owner/区城市管理局.ics")
    assert len(events(before_owner)) == 2 and len(events(httpx.get(f"{base}/feeds/private/{old}.ics"))) == 3
    assert run_cli("owners", "merge", "区城管局", "区城市管理局", env=env).returncode == 0
    time.sleep(1.1)                     # the site's change stamp is read at most once a second
    after_owner = httpx.get(f"{base}/feeds/owner/区城市管理局.ics",
                            headers={"If-None-Match": before_owner.headers["etag"]})
    summaries = events(after_owner)
    assert len(summaries) == 5 and after_owner.headers["etag"] != before_owner.headers["etag"]
    assert all(s.startswith("[区城市管理局] ") for s in summaries)
    assert events(httpx.get(f"{base}/feeds/private/{old}.ics")) == summaries    # the old name's token follows
    assert httpx.get(f"{base}/feeds/owner/nobody.ics").status_code == 404


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


def test_merge_changes_what_subscribers_receive(tmp_path):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        env = {"DEADLINES_DB": f"sqlite:///{tmp_path / 'd.db'}", "DEADLINES_SMTP_HOST": "127.0.0.1",
               "DEADLINES_SMTP_PORT": str(port), "DEADLINES_SMTP_FROM": "digest@deadlines.test",
               "DEADLINES_SMTP_RETRIES": "0", "DEADLINES_SMTP_BACKOFF": "0", "DEADLINES_SMTP_TIMEOUT": "5"}
        store_tables(tmp_path, env)
        assert run_cli("subscribe", "office@example.org", "--owner", "区城市管理局", env=env).returncode == 0
        assert run_cli("subscribe", "old@example.org", "--owner", "區城管局", env=env).returncode == 0
        before = run_cli("digest", "--dry-run", "--today", "2024-11-01", "--to", "office@example.org", env=env)
        assert "完成道路保洁机械化改造" in before.stdout and "建成口袋公园10处" not in before.stdout
        assert run_cli("owners", "merge", "区城管局", "区城市管理局", env=env).returncode == 0
        sent = run_cli("digest", "--send", "--today", "2024-11-01", env=env)
        assert sent.returncode == 0 and "2 queued, 2 sent" in sent.stdout, sent.stdout + sent.stderr
        texts = {m["To"]: m.get_body(("plain",)).get_content() for m in inbox.messages}
        for address in ("office@example.org", "old@example.org"):
            text = texts[address]
            assert "== 区城市管理局 ==" in text and "区城管局" not in text and "區城管局" not in text
            for task in ("完成道路保洁机械化改造", "建成口袋公园10处", "完成背街小巷整治50条"):
                assert task in text, (address, task)
        items = {a: sorted(line for line in t.splitlines() if line.startswith("  - ")) for a, t in texts.items()}
        assert items["office@example.org"] == items["old@example.org"] and len(items["old@example.org"]) == 3
    finally:
        controller.stop()
