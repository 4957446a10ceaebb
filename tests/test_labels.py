"""How documents are named and linked for people, and the schema upgrade that stores titles."""

import sqlite3

import pytest

from scheduler.store import labels


@pytest.mark.parametrize("text,title", [
    ("推进“强基层基础 到基层领干 为基层赋能”工程——\n\n市南:让党员干部力量倾注最基层\n\n早报2月13日讯",
     "推进“强基层基础 到基层领干 为基层赋能”工程"),
    ("(吕勇进 通讯员 青岛报道)青岛西海岸新区滨海街道开展作风能力提升年活动。其他",
     "青岛西海岸新区滨海街道开展作风能力提升年活动"),
    ("干出快节奏,跑出“加速度”2021-01-05 06:50 青岛日报社", "干出快节奏,跑出“加速度”"),
    ("", ""),
])
def test_derive_title(text, title):
    assert labels.derive_title(text) == title


@pytest.mark.parametrize("source,url", [
    ("https://www.qingdao.gov.cn/a/1.html", "https://www.qingdao.gov.cn/a/1.html"),
    ("http://example.org/x", "http://example.org/x"), ("/srv/seeds/003.txt", None),
    ("file:///srv/a.txt", None), ("C:\\docs\\a.txt", None), ("-", None), (None, None),
])
def test_public_url_never_returns_a_path(source, url):
    assert labels.public_url(source) == url


def test_frequency_words():
    assert [labels.frequency(r) for r in ("FREQ=WEEKLY", "FREQ=MONTHLY;INTERVAL=3", "FREQ=YEARLY",
                                          "FREQ=MONTHLY;INTERVAL=2", None)] == \
        ["每周", "每季度", "每年", "每2月", ""]


def test_a_version_1_database_gains_document_titles(tmp_path):
    from scheduler.store import connect, documents
    from scheduler.store.tables import SCHEMA_VERSION

    path = tmp_path / "old.db"
    connect(f"sqlite:///{path}").dispose()
    with sqlite3.connect(path) as conn:          # back to the first schema
        conn.executescript(
            "ALTER TABLE documents DROP COLUMN title; UPDATE schema_info SET version = 1;"
            "INSERT INTO documents (id, source, content_hash, published_how, encoding, repairs,"
            " warnings, ingested_at, updated_at) VALUES ('003', 'a.txt', 'x', '', '', '[]', '[]',"
            " '2023-01-01 00:00:00', '2023-01-01 00:00:00');")
    engine = connect(f"sqlite:///{path}")
    [(doc, _)] = documents(engine)
    assert doc.title == "" and labels.doc_title(doc) == "文件 003"
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version FROM schema_info").fetchone() == (SCHEMA_VERSION,)
