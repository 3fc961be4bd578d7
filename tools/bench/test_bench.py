"""Unit tests of the bench's reading of published diagnostics (no server is started).

    python3 -m unittest discover -s tools/bench -p 'test_*.py'
"""
import threading
import unittest

import bench

URI = "file:///w/.dlt/config.toml"
ERROR = {"range": {"start": {"line": 3, "character": 0}}, "message": "duplicate key"}
OTHER = {"range": {"start": {"line": 7, "character": 2}}, "message": "unknown field"}


def server(diags, watch=URI):
    """A `bench.Server` with the given publishes, `(time, uri, version, diagnostics)`."""
    srv = bench.Server.__new__(bench.Server)
    srv.cv = threading.Condition()
    srv.diags = list(diags)
    srv.watch = watch
    srv.dead = False
    return srv


class Settled(unittest.TestCase):
    def test_a_provisional_empty_list_is_not_the_diagnostics(self):
        srv = server([(1.0, URI, None, []), (1.2, URI, None, [ERROR])])
        self.assertEqual(srv.settled(0.5, 9.0), (1.0, 1.2))

    def test_a_list_published_again_unchanged_settled_with_its_first_publish(self):
        srv = server([(1.0, URI, None, [ERROR]), (1.5, URI, None, [ERROR])])
        self.assertEqual(srv.settled(0.5, 9.0), (1.0, 1.0))

    def test_the_order_of_the_diagnostics_does_not_matter(self):
        srv = server([(1.0, URI, None, [ERROR, OTHER]), (1.5, URI, None, [OTHER, ERROR])])
        self.assertEqual(srv.settled(0.5, 9.0), (1.0, 1.0))

    def test_an_empty_list_that_stays_is_settled_at_once(self):
        srv = server([(1.0, URI, None, []), (1.1, URI, None, [])])
        self.assertEqual(srv.settled(0.5, 9.0), (1.0, 1.0))

    def test_only_the_window_the_version_and_the_watched_file_count(self):
        srv = server(
            [
                (0.4, URI, 2, [OTHER]),  # before the window
                (1.0, "file:///w/.dlt/secrets.toml", 2, None),  # another file
                (1.1, URI, 1, [OTHER]),  # an older version, late
                (1.2, URI, 2, []),
                (1.3, URI, 2, [ERROR]),
                (9.5, URI, 2, [OTHER]),  # after the window
            ]
        )
        self.assertEqual(srv.settled(0.5, 9.0, version=2), (1.2, 1.3))

    def test_nothing_published(self):
        self.assertEqual(server([]).settled(0.0, 9.0), (None, None))


class EditFigures(unittest.TestCase):
    def test_without_versions_each_edit_settles_before_the_next(self):
        # Two edits at 10 and 20: the first one's real list came after an empty one.
        srv = server(
            [
                (10.001, URI, None, []),
                (10.003, URI, None, [ERROR]),
                (20.002, URI, None, [ERROR]),
            ]
        )
        srv.wait_quiet = lambda uri, quiet: None
        r = {}
        bench.edit_figures(r, srv, URI, [(10.0, 2), (20.0, 3)])
        self.assertEqual(r["edit n"], 2)
        self.assertEqual(r["edit provisional"], 1)
        # Latencies 3 and 2 ms (not 1 and 2: the first edit's empty list is not its figure).
        self.assertAlmostEqual(r["edit→diagnostics p50"], 0.0025, places=9)
        self.assertAlmostEqual(r["edit first publish p50"], 0.0015, places=9)

    def test_with_versions_a_late_publish_still_counts_for_its_edit(self):
        srv = server(
            [
                (10.001, URI, 2, [OTHER]),
                (20.001, URI, 3, []),
                (20.004, URI, 2, [ERROR]),  # edit 2's list, after edit 3 was sent
                (20.005, URI, 3, []),
            ]
        )
        srv.wait_quiet = lambda uri, quiet: None
        r = {}
        bench.edit_figures(r, srv, URI, [(10.0, 2), (20.0, 3)])
        # Latencies 10.004 s (version 2 settled on its late list) and 1 ms.
        self.assertEqual(r["edit provisional"], 1)
        self.assertAlmostEqual(r["edit→diagnostics p50"], (10.004 + 0.001) / 2, places=9)


class Edits(unittest.TestCase):
    DEMO = (
        '# a comment = "x"\n[runtime]\nlog_level = "WARNING"\ndlthub_telemetry = false\n'
        '[destination.warehouse]\ndestination_type = \'duckdb\'\nquery = """\nempty = ""\n'
        'path = "C:\\\\"\n'
    )

    def test_integers_are_edited_where_there_are_some(self):
        lines, _ = bench.value_edit_lines("[a]\nport = 5432\nname = \"x\"\nworkers = 4\n", 4)
        self.assertEqual(sorted(set(lines)), [1, 3])
        self.assertEqual(bench.edit_column("port = 5432"), 10)

    def test_a_file_without_integers_has_its_strings_edited_inside_their_quotes(self):
        lines, text_lines = bench.value_edit_lines(self.DEMO, 6)
        # log_level and destination_type: not the comment, the boolean, the multi-line string's
        # opening, the empty string or the one ending in an escape.
        self.assertEqual(sorted(set(lines)), [2, 5])
        for n in lines:
            line = text_lines[n]
            col = bench.edit_column(line)
            edited = line[:col] + "1" + line[col + 1 :]
            self.assertEqual(edited[-1], line[-1], edited)  # the closing quote stays
            self.assertTrue(bench.editable_string(edited.split("=", 1)[1].strip()), edited)


if __name__ == "__main__":
    unittest.main()
