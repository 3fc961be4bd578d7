"""Unit tests of tools/bench/scaling.py's reading and judging (no valgrind, no server).

    python3 -m unittest discover -s tools/bench -p 'test_*.py'
"""
import contextlib
import io
import unittest

import scaling


def judged(count, sizes=(1_000, 2_000, 4_000, 8_000), max_ratio=2.1):
    """What `scaling.measure` flags for instruction counts `count(size)`, its table kept quiet."""
    with contextlib.redirect_stdout(io.StringIO()):
        return scaling.measure("case", "lines", list(sizes), count, max_ratio)


class Judging(unittest.TestCase):
    def test_linear_cost_with_a_fixed_part_passes(self):
        self.assertEqual(judged(lambda n: 5_000_000 + 6_000 * n), [])

    def test_a_lookup_per_key_that_grows_with_the_input_is_flagged(self):
        # The quadratic part of the build that searched a list of destinations per key: small
        # at first, then past the limit.
        flagged = judged(lambda n: 6_000 * n + n * n // 4)
        self.assertEqual(len(flagged), 2, flagged)
        self.assertIn("4,000 -> 8,000 lines", flagged[-1])

    def test_the_limit_is_a_ratio_per_doubling(self):
        self.assertEqual(judged(lambda n: n ** 1.07), [])  # 2.10× per doubling
        self.assertEqual(len(judged(lambda n: n ** 1.08)), 3)  # 2.11×

    def test_sizes_must_double(self):
        self.assertEqual(scaling.doublings([5, 10, 20]), [5, 10, 20])
        with self.assertRaises(SystemExit):
            scaling.doublings([5, 10, 30])


class Reading(unittest.TestCase):
    def test_the_total_of_a_callgrind_profile(self):
        profile = "# callgrind format\nversion: 1\nevents: Ir\nfn=main\n16 3\nsummary: 151421164\ntotals: 151421164\n"
        self.assertEqual(scaling.total_of(profile), 151_421_164)

    def test_a_profile_without_a_total_is_an_error(self):
        with self.assertRaises(SystemExit):
            scaling.total_of("events: Ir\nfn=main\n16 3\n")


if __name__ == "__main__":
    unittest.main()
