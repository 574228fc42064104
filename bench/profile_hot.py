"""Cheap profile of the hot requests, in process (Flask test client, SQLite in a temp folder).

    .venv/bin/python bench/profile_hot.py [--requests 200] [--scale-students 1000]

Prints the top functions by cumulative time for: autosave, submit of the 20-item module,
and the heatmap and item-analysis pages over a seeded cohort. Uses bench/load.py's seeding.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))


def top(prof: cProfile.Profile, title: str, seconds: float, n: int, lines: int = 25) -> None:
    """The project's own functions by cumulative time, then every function by own time."""
    print(f"\n===== {title}: {n} requests, {seconds / n * 1000:.1f} ms each (in process, under cProfile)")
    for order, pattern, count in (
        ("cumulative", r"training|quizzes|flask_login|flask_wtf", lines),
        ("tottime", "", 15),
    ):
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats(order).print_stats(pattern, count) if pattern else pstats.Stats(
            prof, stream=out
        ).sort_stats(order).print_stats(count)
        text = out.getvalue()
        print(f"-- by {order}")
        print(text[text.find("ncalls") :].rstrip())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--scale-students", type=int, default=1000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="academy-profile-"))
    try:
        os.environ.update(
            {
                "DATABASE_URL": f"sqlite:///{tmp / 'academy.db'}",
                "INSTANCE_PATH": str(tmp),
                "SECRET_KEY": secrets.token_hex(16),
            }
        )
        import load

        world = load.World()
        world.set_up()
        client, attempt, token = load.student_with_open_attempt(world, "prof-save")
        stage0 = world.stages[0].stage.items
        prof = cProfile.Profile()
        t = time.perf_counter()
        prof.enable()
        for seq in range(1, args.requests + 1):
            item = stage0[seq % len(stage0)]
            values = world.page_values(attempt, item, seq % 2 == 0)
            r = client.post(
                f"/attempts/{attempt}/autosave",
                headers={"X-CSRFToken": token},
                json={"stage": 0, "item": item.key, "values": values, "seq": seq},
            )
            assert r.status_code == 200, r.data
        prof.disable()
        top(prof, "autosave", time.perf_counter() - t, args.requests)

        n = max(20, args.requests // 4)
        posts = load.submits_ready(world, n, "prof-submit")
        prof = cProfile.Profile()
        t = time.perf_counter()
        prof.enable()
        for client, path, data in posts:
            r = client.post(path, data=data)
            assert r.status_code == 302, r.data[:300]
        prof.disable()
        top(prof, "submit (20 items)", time.perf_counter() - t, n)

        info = load.seed_scale(world, args.scale_students, args.scale_students * 100)
        staff = load._signed_in_client(world, "admin@bench.test")
        for name, path in (
            ("heatmap", f"/reports/cohorts/{info['cohort']}/heatmap"),
            ("item analysis", f"/author/modules/{load.MODULE}/analysis"),
        ):
            staff.get(path)
            prof = cProfile.Profile()
            t = time.perf_counter()
            prof.enable()
            staff.get(path)
            prof.disable()
            top(prof, f"{name} ({info['answers']} answers)", time.perf_counter() - t, 1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
