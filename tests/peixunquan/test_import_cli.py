"""`peixunquan import-roster FILE --batch ID`, run as an operator would, on the demo database."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

from tests.support.cli import run_cli
from tests.support.factories import bad_check_digit, id_number


def _targeted_batch(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        [(batch_id,)] = conn.execute("SELECT id FROM batch WHERE distribution = 'targeted'").fetchall()
    return batch_id


def _vouchers(db: Path, batch_id: int) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM voucher WHERE batch_id = ?", (batch_id,)).fetchone()[0]


def test_import_roster_shows_progress_and_the_row_by_row_report(tmp_path: Path):
    assert run_cli(tmp_path, "migrate").returncode == 0
    assert run_cli(tmp_path, "demo").returncode == 0
    db = tmp_path / "x.sqlite3"
    batch_id = _targeted_batch(db)
    good = [id_number(serial=n) for n in range(450)]
    lines = ["姓名,身份证号,手机号"] + [f"李四,{n},13800000000" for n in good]
    lines.insert(11, f"王五,{bad_check_digit(id_number())},")  # data row 11
    lines.insert(21, "赵六,320202199003070012,12345")  # data row 21: the phone is wrong
    roster = tmp_path / "roster.csv"
    roster.write_text("\n".join(lines) + "\n", encoding="gbk")  # as Excel on Chinese Windows saves it

    done = run_cli(tmp_path, "import-roster", str(roster), "--batch", str(batch_id), timeout=120)
    assert done.returncode == 3, done.stderr  # imported, with refused rows listed
    assert "共 452 行：新发放 450，已存在 0，未通过 2" in done.stdout
    assert "第 11 行\tinvalid_id_number" in done.stdout and "第 21 行\tinvalid_phone" in done.stdout
    assert "导入名单" in done.stderr and "100%" in done.stderr and "452/452" in done.stderr
    assert _vouchers(db, batch_id) == 450
    for number in good:
        assert number not in done.stdout + done.stderr

    # Again, as JSON: nothing new.
    as_json = tmp_path / "roster.json"
    as_json.write_text(json.dumps([{"name": "李四", "id_number": n} for n in good[:100]], ensure_ascii=False))
    again = run_cli(tmp_path, "import-roster", str(as_json), "--batch", str(batch_id))
    assert again.returncode == 0, again.stderr
    assert "共 100 行：新发放 0，已存在 100，未通过 0" in again.stdout
    assert _vouchers(db, batch_id) == 450


def test_import_roster_refuses_a_missing_batch_or_file(tmp_path: Path):
    assert run_cli(tmp_path, "migrate").returncode == 0
    roster = tmp_path / "roster.csv"
    roster.write_text(f"姓名,身份证号\n李四,{id_number()}\n")
    missing = run_cli(tmp_path, "import-roster", str(roster), "--batch", "999")
    assert missing.returncode == 1 and "not_found" in missing.stderr
    no_file = run_cli(tmp_path, "import-roster", str(tmp_path / "nope.csv"), "--batch", "1")
    assert no_file.returncode == 1 and "cannot import" in no_file.stderr
    usage = run_cli(tmp_path, "import-roster", str(roster))
    assert usage.returncode == 2 and "--batch" in usage.stderr


def test_import_roster_refuses_garbage_and_caps_its_report(tmp_path: Path):
    assert run_cli(tmp_path, "migrate").returncode == 0
    assert run_cli(tmp_path, "demo").returncode == 0
    db = tmp_path / "x.sqlite3"
    batch_id = _targeted_batch(db)
    garbage = tmp_path / "roster.csv"
    garbage.write_bytes(random.Random(17).randbytes(10 * 1024 * 1024))
    refused = run_cli(tmp_path, "import-roster", str(garbage), "--batch", str(batch_id))
    assert refused.returncode == 1
    assert "not_a_roster: 文件不是人员名单" in refused.stderr and "身份证号" in refused.stderr
    assert refused.stdout == ""

    bad = tmp_path / "bad.csv"
    bad.write_text("姓名,身份证号\n" + "".join(f"某某,{n:018d}\n" for n in range(2500)) + f"李四,{id_number()}\n")
    done = run_cli(tmp_path, "import-roster", str(bad), "--batch", str(batch_id), timeout=120)
    assert done.returncode == 3, done.stderr
    assert "共 2501 行：新发放 1，已存在 0，未通过 2500" in done.stdout
    listed = [line for line in done.stdout.splitlines() if line.startswith("第 ")]
    assert listed[0].startswith("第 1 行\tinvalid_id_number") and listed[-1].startswith("第 100 行\t")
    assert len(listed) == 100
    assert "另有 2400 行未通过，未逐行列出" in done.stdout
    assert _vouchers(db, batch_id) == 1
