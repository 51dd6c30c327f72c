"""`peixunquan import-roster` on the embedded SQLite file while something else writes to it (as
`make run`'s server does), and run again after it was interrupted."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from peixunquan import PROJECT_ROOT
from tests.support.cli import run_cli
from tests.support.factories import id_number

ROWS = 2000


@pytest.fixture
def demo_db(tmp_path: Path) -> tuple[Path, int]:
    """The demo database with its targeted batch enlarged to take the whole roster."""
    assert run_cli(tmp_path, "migrate").returncode == 0
    assert run_cli(tmp_path, "demo").returncode == 0
    db = tmp_path / "x.sqlite3"
    with sqlite3.connect(db) as conn:
        [(batch_id,)] = conn.execute("SELECT id FROM batch WHERE distribution = 'targeted'").fetchall()
        conn.execute("UPDATE batch SET quantity = 5000, remaining = 5000 WHERE id = ?", (batch_id,))
    return db, batch_id


def _roster(tmp_path: Path) -> Path:
    numbers = [id_number(born=date(1990, 1, 1) + timedelta(days=n // 1000), serial=n) for n in range(ROWS)]
    roster = tmp_path / "roster.csv"
    roster.write_text("姓名,身份证号\n" + "".join(f"李四,{n}\n" for n in numbers), encoding="utf-8")
    return roster


def _count(db: Path, sql: str, *args) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchone()[0]


def test_import_waits_for_a_concurrent_writer_and_every_row_lands(tmp_path: Path, demo_db):
    db, batch_id = demo_db
    roster = _roster(tmp_path)
    commits = tmp_path / "writer-commits"
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.support.sqlite_writer", str(db), str(commits)], cwd=PROJECT_ROOT
    )
    try:
        while not commits.exists():  # the writer is writing before the import starts
            time.sleep(0.01)
        before = int(commits.read_text())
        done = run_cli(tmp_path, "import-roster", str(roster), "--batch", str(batch_id), timeout=180)
        written_meanwhile = int(commits.read_text()) - before
    finally:
        writer.kill()
        writer.wait()
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"共 {ROWS} 行：新发放 {ROWS}，已存在 0，未通过 0" in done.stdout
    assert written_meanwhile > 20  # the writer really wrote all along
    assert _count(db, "SELECT count(*) FROM voucher WHERE batch_id = ?", batch_id) == ROWS
    assert _count(db, "SELECT remaining FROM batch WHERE id = ?", batch_id) == 5000 - ROWS


def test_an_interrupted_import_run_again_finishes_without_duplicates(tmp_path: Path, demo_db):
    db, batch_id = demo_db
    roster = _roster(tmp_path)
    # The import dies while writing its second thousand rows (as it did on "database is locked").
    with sqlite3.connect(db) as conn:
        conn.execute(
            "CREATE TRIGGER interrupt AFTER INSERT ON voucher"
            " WHEN (SELECT count(*) FROM voucher WHERE batch_id = NEW.batch_id) > 1000"
            " BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
        )
    first = run_cli(tmp_path, "import-roster", str(roster), "--batch", str(batch_id), timeout=180)
    assert first.returncode == 4  # interrupted: run it again
    assert "导入中断" in first.stderr and "已写入 1000 / 2000 行" in first.stderr
    assert "重新运行" in first.stderr  # what to do next
    assert _count(db, "SELECT count(*) FROM voucher WHERE batch_id = ?", batch_id) == 1000

    with sqlite3.connect(db) as conn:
        conn.execute("DROP TRIGGER interrupt")
    again = run_cli(tmp_path, "import-roster", str(roster), "--batch", str(batch_id), timeout=180)
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"共 {ROWS} 行：新发放 1000，已存在 1000，未通过 0" in again.stdout
    assert "跳过此前已导入的 1000 行" in again.stdout
    assert _count(db, "SELECT count(*) FROM voucher WHERE batch_id = ?", batch_id) == ROWS
    assert _count(db, "SELECT count(DISTINCT person_id) FROM voucher WHERE batch_id = ?", batch_id) == ROWS
    assert _count(db, "SELECT count(*) FROM outbox_message WHERE kind = 'voucher_issued'") == ROWS
    assert _count(db, "SELECT remaining FROM batch WHERE id = ?", batch_id) == 5000 - ROWS
