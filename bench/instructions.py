"""Instructions per autosave and per submit, counted by valgrind: the same figure on a busy machine.

    .venv/bin/python bench/instructions.py [--saves 100] [--submits 50]

Wall-clock and CPU times on a shared 2-core machine move by a third between runs; the
number of instructions a request executes does not (valgrind's callgrind counts them).
This runs the hot requests in process with the Flask test client on SQLite, as
bench/profile_hot.py does, under ``valgrind --tool=callgrind`` with counting switched on
only around the timed requests, and prints millions of instructions (MIr) per request.
The figures include the test client's own work (building the request, reading the
response): compare them between commits, not with the gunicorn figures of bench/load.py.
It takes about a minute (valgrind runs the set-up some fifty times slower).
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def control(*args: str) -> None:
    """Tell the callgrind running this process to switch counting on or off, or to dump."""
    subprocess.run(["callgrind_control", *args, str(os.getpid())], check=True, capture_output=True)


def measured(run) -> None:
    """Count the instructions of ``run()`` only, into a dump file of their own."""
    control("-i", "on")
    run()
    control("-d")
    control("-i", "off")


def requests(args) -> None:
    """Inside valgrind: set up, then the counted autosaves and submits."""
    sys.path.insert(0, str(BENCH.parent))
    sys.path.insert(0, str(BENCH))
    import load

    world = load.World()
    world.set_up()
    client, attempt, token = load.student_with_open_attempt(world, "count-save")
    stage0 = world.stages[0].stage.items

    def save(seq: int) -> None:
        item = stage0[seq % len(stage0)]
        body = {"stage": 0, "item": item.key, "values": world.page_values(attempt, item, seq % 2 == 0), "seq": seq}
        response = client.post(f"/attempts/{attempt}/autosave", headers={"X-CSRFToken": token}, json=body)
        assert response.status_code == 200, response.data

    warm = 50  # SQLAlchemy compiles and caches each statement on its first use: not counted
    for seq in range(1, warm + 1):
        save(seq)
    measured(lambda: [save(seq) for seq in range(warm + 1, warm + 1 + args.saves)])

    posts = load.submits_ready(world, args.submits + 10, "count-submit")

    def submit(post) -> None:
        submitter, path, data = post
        response = submitter.post(path, data=data)
        assert response.status_code == 302, response.data[:300]

    for post in posts[:10]:
        submit(post)
    measured(lambda: [submit(post) for post in posts[10:]])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--saves", type=int, default=100)
    parser.add_argument("--submits", type=int, default=50)
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        requests(args)
        return 0
    if not shutil.which("valgrind"):
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="academy-instructions-"))
    try:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp / 'academy.db'}",
            "INSTANCE_PATH": str(tmp),
            "SECRET_KEY": secrets.token_hex(16),
        }
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={tmp / 'callgrind.out'}",
            sys.executable,
            __file__,
            "--inside",
            f"--saves={args.saves}",
            f"--submits={args.submits}",
        ]
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            print(done.stdout[-2000:], done.stderr[-3000:], sep="\n", file=sys.stderr)
            return 1
        # One dump per counted block, numbered in order; "totals:" is that block's count.
        dumps = sorted(tmp.glob("callgrind.out.*"), key=lambda p: int(p.suffix[1:]))
        totals = [int(re.search(r"^totals: (\d+)", p.read_text(), re.M).group(1)) for p in dumps[:2]]
        print(f"autosave  {totals[0] / args.saves / 1e6:7.2f} MIr per request ({args.saves} requests)")
        print(f"submit    {totals[1] / args.submits / 1e6:7.2f} MIr per request ({args.submits} requests, 20 items)")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
