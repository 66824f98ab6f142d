"""The suite benchmark reads pytest's summary and the machine's CPU times right."""

from __future__ import annotations

from benchmarks.suite import CpuTimes, Tests, shares


def test_the_last_summary_line_gives_the_counts_and_seconds() -> None:
    output = (
        "== 3 passed in 1.00s ==\n...\n"
        "=========== 1265 passed, 2 skipped, 79 warnings in 611.09s (0:10:11) ===========\n"
        "WALL 651.26 s\n"
    )
    tests = Tests.parse(output)
    assert tests is not None
    assert tests.counts == {"passed": 1265, "skipped": 2, "warning": 79}
    assert tests.seconds == 611.09
    failed = Tests.parse("==== 1 failed, 640 passed, 1 skipped, 1 warning in 597.70s ====")
    assert failed is not None
    assert failed.counts["failed"] == 1
    assert failed.seconds == 597.7
    assert Tests.parse("make: *** [Makefile:31: test] Error 1\n") is None


def test_idle_and_steal_are_shares_of_the_time_in_between() -> None:
    before = CpuTimes.parse("cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3\n")
    after = CpuTimes.parse("cpu  250 10 90 900 60 5 5 30 0 0\ncpu0 1 2 3\n")
    # busy 150+10+40+5+5 = 210, idle 100+10 = 110, steal 30: 350 ticks in all.
    assert shares(before, after) == (110 / 350, 30 / 350)
    assert shares(after, after) == (0.0, 0.0)
