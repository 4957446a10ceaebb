"""Digests against real SMTP servers on loopback (aiosmtpd): one bad address never jams the
outbox, retries are bounded, STARTTLS and implicit TLS work with a test CA (trustme)."""

import ssl

import pytest
import trustme
from aiosmtpd.controller import Controller

from .conftest import SEEDS, run_cli
from .test_digest import Inbox, free_port, mail_env


class Picky(Inbox):
    """Refuses some recipients at RCPT: 451 (try later) or 550 (never)."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("later@"):
            return "451 4.3.0 try again later"
        if address.startswith("gone@"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def serve():
    controllers = []

    def start(inbox=None, **kwargs):
        inbox = inbox or Inbox()
        port = free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        controllers.append(controller)
        inbox.port = port
        return inbox

    yield start
    for controller in controllers:
        controller.stop()


def subscribe(env, *emails):
    assert run_cli("ingest", str(SEEDS), env=env).returncode == 0
    for email in emails:
        result = run_cli("subscribe", email, env=env)
        assert result.returncode == 0, result.stderr


def outbox(env) -> dict[str, list[str]]:
    lines = run_cli("outbox", "--format", "tsv", env=env).stdout.splitlines()[1:]   # header
    return {fields[2]: fields for fields in (line.split("\t") for line in lines)}


def test_one_bad_address_does_not_jam_the_outbox(serve, db_url):
    """`subscribe 'üser@exämple.org'` was accepted; sending raised UnicodeEncodeError (exit 70),
    the row stayed `sending`, later rows were never tried, and after the lease it crashed again."""
    server = serve(enable_SMTPUTF8=False)
    env = mail_env(db_url, server.port)
    subscribe(env, "aüser@exämple.org", "office@example.org", "user@exämple.org")
    sent = run_cli("digest", "--send", "--today", "2023-07-01", env=env)
    assert sent.returncode == 8, sent.stderr
    assert "3 queued, 2 sent, 1 failed" in sent.stdout and "Traceback" not in sent.stderr
    assert sorted(m["To"] for m in server.messages) == ["office@example.org",
                                                        "user@xn--exmple-cua.org"]
    rows = outbox(env)
    assert rows["aüser@exämple.org"][1] == "failed" and "SMTPUTF8" in rows["aüser@exämple.org"][7]
    again = run_cli("digest", "--send", "--today", "2023-07-01", env=env)
    assert again.returncode == 0 and "0 queued, 0 sent, 0 failed" in again.stdout


def test_an_smtputf8_server_gets_the_international_address(serve, db_url):
    server = serve(enable_SMTPUTF8=True)
    env = mail_env(db_url, server.port)
    subscribe(env, "üser@exämple.org")
    sent = run_cli("digest", "--send", "--today", "2023-07-01", env=env)
    assert sent.returncode == 0 and "1 sent" in sent.stdout, sent.stderr
    assert server.messages[0]["To"] == "üser@exämple.org"


@pytest.mark.parametrize("bad,needle", [
    ("x" * 10_000 + "@example.org", "10012 characters, the limit is 254"),
    ("x@y.z\r\nBcc: victim@example.org", "not an e-mail address"),
    ("no-at-sign", "not an e-mail address"),
])
def test_bad_addresses_are_refused_in_one_line(bad, needle, db_url):
    """A 10,000-character address was accepted (then refused by the server and retried without
    limit); `digest --to $'x@y.z\\r\\nBcc: …'` ended in a ValueError (exit 70)."""
    for args in (["subscribe", bad], ["digest", "--dry-run", "--to", bad]):
        result = run_cli(*args, env={"DEADLINES_DB": db_url})
        assert result.returncode == 2, result.stderr
        assert result.stderr.count("\n") == 1 and needle in result.stderr
    assert run_cli("subscribers", env={"DEADLINES_DB": db_url}).stdout == ""


def test_refused_recipients_are_retried_a_bounded_number_of_times(serve, db_url):
    """An address the server refused was retried without limit and never shown as failed."""
    server = serve(Picky())
    env = mail_env(db_url, server.port, DEADLINES_DIGEST_MAX_ATTEMPTS="2")
    subscribe(env, "gone@example.org", "later@example.org", "office@example.org")
    first = run_cli("digest", "--send", "--today", "2023-07-01", env=env)
    assert first.returncode == 8 and "1 sent, 2 failed" in first.stdout
    rows = outbox(env)
    assert rows["gone@example.org"][1] == "failed" and "550" in rows["gone@example.org"][7]
    assert rows["later@example.org"][1] == "retrying" and rows["later@example.org"][5:7] == ["1", "2"]
    second = run_cli("digest", "--send", "--today", "2023-07-01", env=env)
    assert "0 sent, 1 failed" in second.stdout
    assert outbox(env)["later@example.org"][1:2] == ["failed"]
    third = run_cli("digest", "--send", "--today", "2023-07-01", env=env)
    assert third.returncode == 0 and "0 sent, 0 failed" in third.stdout
    assert len(server.messages) == 1
    failed = run_cli("outbox", "--state", "failed", "--format", "tsv", env=env)
    assert len(failed.stdout.splitlines()) == 3   # header + 2


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    ca, stranger = trustme.CA(), trustme.CA()
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))

    def context(authority):
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        authority.issue_cert("127.0.0.1").configure_cert(ctx)
        return ctx

    return {"ca": str(folder / "ca.pem"), "good": context(ca), "wrong": context(stranger)}


def test_starttls_with_a_test_ca(serve, tls, db_url):
    server = serve(tls_context=tls["good"], require_starttls=True)
    env = mail_env(db_url, server.port, DEADLINES_SMTP_STARTTLS="true",
                   DEADLINES_SMTP_CA_FILE=tls["ca"])
    subscribe(env, "office@example.org")
    sent = run_cli("digest", "--send", "--today", "2023-07-01", env=env)
    assert sent.returncode == 0 and "1 sent" in sent.stdout, sent.stderr
    assert len(server.messages) == 1


def test_implicit_tls_with_a_test_ca(serve, tls, db_url):
    server = serve(ssl_context=tls["good"])
    env = mail_env(db_url, server.port, DEADLINES_SMTP_TLS="true", DEADLINES_SMTP_CA_FILE=tls["ca"])
    subscribe(env, "office@example.org")
    sent = run_cli("digest", "--send", "--today", "2023-07-01", env=env)
    assert sent.returncode == 0 and "1 sent" in sent.stdout, sent.stderr
    assert len(server.messages) == 1


@pytest.mark.parametrize("case", ["wrong certificate", "no STARTTLS"])
def test_tls_failures_are_one_line_and_keep_the_digest(serve, tls, db_url, case):
    """A wrong certificate, or a server without STARTTLS: one clear line, kept for retry."""
    if case == "wrong certificate":
        server = serve(tls_context=tls["wrong"])
        needle = "TLS certificate refused"
    else:
        server = serve()
        needle = "does not offer STARTTLS"
    env = mail_env(db_url, server.port, DEADLINES_SMTP_STARTTLS="true",
                   DEADLINES_SMTP_CA_FILE=tls["ca"])
    subscribe(env, "office@example.org")
    sent = run_cli("digest", "--send", "--today", "2023-07-01", env=env)
    assert sent.returncode == 8 and "1 failed" in sent.stdout
    row = outbox(env)["office@example.org"]
    assert row[1] == "retrying" and needle in row[7] and row[5:7] == ["0", "5"]
    assert server.messages == []


@pytest.mark.parametrize("template,needle", [
    ("{{ cycler.__init__.__globals__.os.getcwd() }}", "SecurityError"),
    ("{% if %}", "line 1: TemplateSyntaxError"),
    ("{{ 1 / 0 }}", "ZeroDivisionError"),
])
def test_user_templates_are_sandboxed_and_their_errors_named(tmp_path, db_url, template, needle):
    """Digest templates ran unsandboxed (`cycler.__init__.__globals__.os` reachable); a template
    that raised or did not parse ended in exit 70 without naming the file."""
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "digest.txt.j2").write_text(template, encoding="utf-8")
    env = {"DEADLINES_DB": db_url, "DEADLINES_TEMPLATES_DIR": str(folder)}
    result = run_cli("digest", "--dry-run", "--to", "a@example.org", env=env)
    assert result.returncode == 3, result.stderr
    assert result.stderr.count("\n") == 1 and needle in result.stderr
    assert str(folder / "digest.txt.j2") in result.stderr and str(tmp_path) + "\n" not in result.stdout


def test_a_missing_templates_folder_is_an_error(tmp_path, db_url):
    env = {"DEADLINES_DB": db_url, "DEADLINES_TEMPLATES_DIR": str(tmp_path / "nope")}
    result = run_cli("digest", "--dry-run", "--to", "a@example.org", env=env)
    assert result.returncode == 3 and "is not a folder" in result.stderr
