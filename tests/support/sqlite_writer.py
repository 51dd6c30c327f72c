"""A second process writing to a SQLite file in a loop, as `make run`'s server does while it
delivers notices (short write transactions, one after another), so a test can show what else
waits for the lock and what fails.

    python -m tests.support.sqlite_writer DB_FILE COUNT_FILE

It runs until killed, writing its number of commits to COUNT_FILE after each one.
"""

from __future__ import annotations

import sqlite3
import sys
import time
from pathlib import Path

HOLD_S = 0.02  # how long each transaction keeps the write lock
RETRY_S = 0.001  # a busy server takes the lock again as soon as it is free
PAUSE_S = 0.003  # between its transactions


def main(db_file: str, count_file: str) -> None:
    # No busy timeout of its own: it polls, so it gets the lock the moment another writer lets go
    # (SQLite's busy handler sleeps up to 100 ms between tries and would lose that race).
    conn = sqlite3.connect(db_file, timeout=0, isolation_level=None)
    commits = 0
    partial = Path(count_file + ".partial")
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # locked by the other writer
            time.sleep(RETRY_S)
            continue
        # What the outbox worker does: lease the newest rows (a write, even when nothing changes).
        conn.execute(
            "UPDATE outbox_message SET attempts = attempts"
            " WHERE id IN (SELECT id FROM outbox_message ORDER BY id DESC LIMIT 20)"
        )
        conn.execute("UPDATE batch SET updated_at = updated_at")
        time.sleep(HOLD_S)
        conn.execute("COMMIT")
        commits += 1
        # Replaced whole, never truncated in place: a reader must not find it empty mid-write.
        partial.write_text(str(commits))
        partial.replace(count_file)
        time.sleep(PAUSE_S)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
