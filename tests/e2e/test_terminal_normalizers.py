"""Terminal-aware normalisers end to end (issue 7, docs/normalizers.md): `--ansi=strip|keep`
and the `progress` built-in on ctest-replay and `ctest-trace diff`.

Recording on a pty is not driven here (tests/e2e/test_tty*.py own that): the recordings are
pipe recordings of fixtures/terminal_output.py, which prints colours, a window title and a
'\\r' progress bar whether or not it runs on a terminal, steered by CTR_TERM_* variables that
a replay changes with `ctest-replay --env NAME=VALUE`. On a pipe recording `progress` is off
unless asked for (`--normalize progress`), so these tests turn it on by name.
"""
import json
import unittest

from ctr_helpers import TRACE_BIN, py_fixture
from test_replay import ReplayTestCase, clean_env, dicts_in

FIXTURE = "terminal_output.py"


def term_env(**extra):
    """The test's environment without any CTR_TERM_* variable, plus `extra`."""
    env = clean_env()
    for name in [n for n in env if n.startswith("CTR_TERM_")]:
        del env[name]
    env.update(extra)
    return env


class TerminalNormalizerTestCase(ReplayTestCase):

    def record_fixture(self, trace="t.ctrace", **variables):
        r = self.record_ok(py_fixture(FIXTURE), trace, env=term_env(**variables))
        return r.trace

    def replay_with(self, trace, *options, **variables):
        """ctest-replay OPTIONS --env NAME=VALUE... TRACE (stdin /dev/null)."""
        env_args = []
        for name, value in variables.items():
            env_args += ["--env", "%s=%s" % (name, value)]
        return self.replay(*(list(options) + env_args + [trace]), env=term_env())

    def trace_diff(self, *args):
        return self.run_argv([TRACE_BIN, "diff"] + list(args), env=term_env())


class AnsiOptionTest(TerminalNormalizerTestCase):
    """A colour change: a regression by default (--ansi=keep), the same with --ansi=strip."""

    def setUp(self):
        super().setUp()
        self.trace = self.record_fixture(CTR_TERM_COLOR="green")
        stdout = self.cat(self.trace, "stdout")
        self.assertIn(b"\x1b[1;32mok\x1b[0m", stdout, "the fixture did not print colours")
        self.assertIn(b"\x1b]0;terminal_output\x07", stdout)

    def test_same_colours_replay_same_either_way(self):
        for option in ([], ["--ansi=keep"], ["--ansi=strip"]):
            r = self.replay_with(self.trace, *option, CTR_TERM_COLOR="green")
            self.assert_status(r, 0, "unchanged colours with %r" % option)

    def test_colour_change_is_a_regression_by_default_with_a_readable_diff(self):
        for option in ([], ["--ansi=keep"]):
            r = self.replay_with(self.trace, *option, CTR_TERM_COLOR="red")
            self.assert_status(r, 1, "green -> red with %r" % option)
            # The escape sequences are shown as text, not run by the reader's terminal.
            self.assert_diff_lines(r, "status: \\e[1;32mok\\e[0m", "status: \\e[1;31mok\\e[0m")
            self.assertNotIn(b"\x1b[1;31mok", r.stdout + r.stderr)

    def test_strip_ignores_colours_titles_and_modes(self):
        for colour in ("red", "none"):
            r = self.replay_with(self.trace, "--ansi=strip", CTR_TERM_COLOR=colour)
            self.assert_status(r, 0, "green -> %s with --ansi=strip" % colour)

    def test_strip_still_reports_a_real_change(self):
        r = self.replay_with(self.trace, "--ansi=strip", "--normalize", "progress",
                             CTR_TERM_COLOR="red", CTR_TERM_FINAL="90")
        self.assert_status(r, 1, "final percentage changed")
        self.assert_diff_lines(r, "downloading 100% [##########]",
                               "downloading  90% [######")

    def test_keep_wins_over_a_rules_file(self):
        with open(self.path(".ctest-replay"), "w") as f:
            f.write("normalize ansi\n")
        r = self.replay_with(self.trace, CTR_TERM_COLOR="red")  # cwd: self.tmp
        self.assert_status(r, 0, "rules file turns ansi on")
        r = self.replay_with(self.trace, "--ansi=keep", CTR_TERM_COLOR="red")
        self.assert_status(r, 1, "--ansi=keep over the rules file")

    def test_bad_value_is_a_usage_error(self):
        r = self.replay_with(self.trace, "--ansi=colour")
        self.assert_status(r, 2, "--ansi=colour")
        self.assertIn("--ansi takes keep or strip", self.text(r))

    def test_trace_diff_takes_ansi(self):
        other = self.record_fixture("red.ctrace", CTR_TERM_COLOR="red")
        r = self.trace_diff(self.trace, other)
        self.assertEqual(r.status, 1, r.describe())
        self.assertIn("\\e[1;31mok", self.text(r))
        r = self.trace_diff("--ansi", "strip", self.trace, other)
        self.assertEqual(r.status, 0, r.describe())


class ProgressNormalizerTest(TerminalNormalizerTestCase):
    """A progress bar with a different number of frames: the same once collapsed."""

    def setUp(self):
        super().setUp()
        self.trace = self.record_fixture(CTR_TERM_STEPS="3")
        stdout = self.cat(self.trace, "stdout")
        self.assertEqual(stdout.count(b"\rdownloading"), 3, stdout)

    def test_off_for_pipe_recordings_frames_count(self):
        r = self.replay_with(self.trace, CTR_TERM_STEPS="7")
        self.assert_status(r, 1, "3 -> 7 frames, progress off (pipe recording)")
        self.assertIn("\\rdownloading", self.text(r), "bare CRs shown in the diff")

    def test_turned_on_by_name_final_state_compares(self):
        r = self.replay_with(self.trace, "--normalize", "progress", CTR_TERM_STEPS="7")
        self.assert_status(r, 0, "3 -> 7 frames, --normalize progress")
        # Frames that erase the line first (ESC[K) collapse to the same final state too.
        r = self.replay_with(self.trace, "--normalize", "progress", CTR_TERM_STEPS="5",
                             CTR_TERM_ERASE="1")
        self.assert_status(r, 0, "3 -> 5 erasing frames, --normalize progress")

    def test_no_normalize_wins(self):
        r = self.replay_with(self.trace, "--normalize", "progress", "--no-normalize", "progress",
                             CTR_TERM_STEPS="7")
        self.assert_status(r, 1, "--no-normalize progress after --normalize progress")

    def test_final_state_change_is_a_regression(self):
        r = self.replay_with(self.trace, "--normalize", "progress", CTR_TERM_STEPS="7",
                             CTR_TERM_FINAL="50")
        self.assert_status(r, 1, "final 100% -> 50%")
        self.assert_diff_lines(r, "-downloading 100% [##########]", "+downloading  50% [#####")

    def test_coloured_frames_collapse_with_or_without_strip(self):
        coloured = self.record_fixture("c.ctrace", CTR_TERM_COLOR="green", CTR_TERM_STEPS="2")
        for option in ([], ["--ansi=strip"]):
            r = self.replay_with(coloured, "--normalize", "progress", *option,
                                 CTR_TERM_COLOR="green", CTR_TERM_STEPS="6")
            self.assert_status(r, 0, "2 -> 6 coloured frames with %r" % option)

    def test_reports_list_the_active_normalizers(self):
        json_path = self.path("report.json")
        r = self.replay_with(self.trace, "--normalize", "progress", "--ansi=strip", "--json",
                             json_path, CTR_TERM_STEPS="7")
        self.assert_status(r, 0, "with a JSON report")
        with open(json_path) as f:
            report = json.load(f)
        lists = [d["normalizers"] for d in dicts_in(report) if "normalizers" in d]
        self.assertTrue(lists, report)
        self.assertEqual(lists[0][:3], ["ansi", "progress", "crlf"], report)

    def test_list_normalizers(self):
        r = self.replay("--list-normalizers", env=term_env())
        self.assert_status(r, 0, "--list-normalizers")
        names = [line.split()[0] for line in r.stdout.decode().splitlines() if line.strip()]
        self.assertEqual(names[:3], ["ansi", "progress", "crlf"], r.stdout)


if __name__ == "__main__":
    unittest.main()
