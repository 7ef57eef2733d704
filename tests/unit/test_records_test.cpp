// Tests of the per-test model (ctreplay/test_records.hpp), the per-test comparison of two
// recordings, the per-test parts of the JSON/JUnit reports and the worker hand-over of
// per-test results. Traces are written with the real writer and read back with load_trace.
#include "ctreplay/test_records.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ctharness/replay_cli.hpp"
#include "ctharness/trace_summary.hpp"
#include "ctreplay/loaded_trace.hpp"
#include "ctreplay/replay_run.hpp"
#include "ctreplay/report.hpp"
#include "trace_test_util.hpp"

namespace {

using ctrecord::CapturedEvent;
using ctrecord::IoChunk;
using ctrecord::Stream;
using ctrecord::TestEvent;
using ctrecord::TestPhase;
using ctrecord::TraceEvent;
using ctreplay::TestChange;

ctrecord::StartEvent start() {
  ctrecord::StartEvent s;
  s.argv = {"./suite"};
  s.cwd = "/work";
  s.capture_mode = "spawn";
  return s;
}

IoChunk out(Stream stream, std::string bytes, std::string context = "", std::uint64_t t = 0) {
  IoChunk c;
  c.stream = stream;
  c.t_ns = t;
  c.bytes = std::move(bytes);
  c.context = std::move(context);
  return c;
}

TestEvent started(const std::string& id, std::uint64_t t) {
  return {t, TestPhase::Started, id, "", 0, 1};
}

TestEvent finished(const std::string& id, const std::string& outcome, std::uint64_t t,
                   std::uint64_t duration = 0) {
  return {t, TestPhase::Finished, id, outcome, duration, 1};
}

CapturedEvent captured(const std::string& id, const std::string& section, std::string bytes) {
  return {0, id, section, std::move(bytes), 1};
}

ctrecord::ExitEvent exit_with(int status) {
  ctrecord::ExitEvent e;
  e.exited = true;
  e.code = status;
  e.status = status;
  return e;
}

// A small suite: a passes, b fails (with stderr and a captured section), c is cut off.
std::vector<TraceEvent> suite_events(const std::string& b_value = "42",
                                     const std::string& b_outcome = "failed",
                                     const std::string& captured_text = "cap b\n") {
  return {
      start(),
      out(Stream::Stdout, "session starts\n"),
      started("t.py::a", 100),
      out(Stream::Stdout, "a: one\n", "t.py::a"),
      out(Stream::Stdout, "a: two\n", "t.py::a"),
      finished("t.py::a", "passed", 300, 5000),
      out(Stream::Stdout, "between\n"),
      started("t.py::b", 400),
      out(Stream::Stdout, "b: value " + b_value + "\n", "t.py::b"),
      out(Stream::Stderr, "b: assertion\n", "t.py::b"),
      captured("t.py::b", "stdout call", captured_text),
      captured("t.py::b", "log call", "WARNING x\n"),
      captured("t.py::b", "stdout call", "more\n"),
      finished("t.py::b", b_outcome, 900),
      started("t.py::c", 1000),
      out(Stream::Stdout, "c: crashing\n", "t.py::c"),
      out(Stream::Stdout, "elsewhere\n", "not-a-test"),
      exit_with(1),
      ctrecord::EndEvent{},
  };
}

std::vector<ctreplay::TestRecord> build(const std::vector<TraceEvent>& events, bool keep = true) {
  ctreplay::TestRecordBuilder builder(keep, keep);
  for (const auto& event : events) builder.add(event);
  return builder.finish();
}

TEST(TestRecords, BuildsTestsInOrderWithOutputOutcomeAndDuration) {
  const auto tests = build(suite_events());
  ASSERT_EQ(tests.size(), 3u);
  EXPECT_EQ(tests[0].id, "t.py::a");
  EXPECT_EQ(tests[0].outcome, "passed");
  EXPECT_TRUE(tests[0].finished);
  EXPECT_EQ(tests[0].duration_ns, 5000u);  // the framework's
  EXPECT_EQ(tests[0].started_ns, 100u);
  EXPECT_EQ(tests[0].output[1], "a: one\na: two\n");
  EXPECT_EQ(tests[0].output_size[1], 14u);
  // Two adjacent chunks are one range, after "session starts\n".
  ASSERT_EQ(tests[0].output_ranges[1].size(), 1u);
  EXPECT_EQ(tests[0].output_ranges[1][0], std::make_pair(std::uint64_t{15}, std::uint64_t{14}));

  EXPECT_EQ(tests[1].outcome, "failed");
  EXPECT_EQ(tests[1].duration_ns, 500u);  // none given: the recording's 400..900
  EXPECT_EQ(tests[1].output[1], "b: value 42\n");
  EXPECT_EQ(tests[1].output[2], "b: assertion\n");
  ASSERT_EQ(tests[1].captured.size(), 2u);
  EXPECT_EQ(tests[1].captured[0].section, "stdout call");
  EXPECT_EQ(tests[1].captured[0].bytes, "cap b\nmore\n");
  EXPECT_EQ(tests[1].captured[1].section, "log call");
  EXPECT_EQ(tests[1].captured_size(), 21u);
  ASSERT_NE(tests[1].find_captured("log call"), nullptr);
  EXPECT_EQ(tests[1].find_captured("stderr call"), nullptr);

  EXPECT_EQ(tests[2].outcome, "unfinished");
  EXPECT_FALSE(tests[2].finished);
  EXPECT_EQ(tests[2].duration_ns, 0u);
  EXPECT_EQ(tests[2].output[1], "c: crashing\n");  // not "elsewhere": another context
}

TEST(TestRecords, SizesWithoutBytes) {
  const auto tests = build(suite_events(), false);
  ASSERT_EQ(tests.size(), 3u);
  EXPECT_EQ(tests[0].output[1], "");
  EXPECT_EQ(tests[0].output_size[1], 14u);
  EXPECT_EQ(tests[1].captured[0].bytes, "");
  EXPECT_EQ(tests[1].captured[0].size, 11u);
}

TEST(TestRecords, NoTestEventsNoTests) {
  const auto tests = build({start(), out(Stream::Stdout, "x", "some context"), exit_with(0)});
  EXPECT_TRUE(tests.empty());
}

TEST(TestRecords, RerunKeepsOneRecordLastOutcomeSummedDuration) {
  const auto tests =
      build({started("r", 0), out(Stream::Stdout, "1\n", "r"), finished("r", "failed", 10, 7),
             started("r", 20), out(Stream::Stdout, "2\n", "r"), finished("r", "passed", 30, 8)});
  ASSERT_EQ(tests.size(), 1u);
  EXPECT_EQ(tests[0].runs, 2u);
  EXPECT_EQ(tests[0].outcome, "passed");
  EXPECT_EQ(tests[0].duration_ns, 15u);
  EXPECT_EQ(tests[0].output[1], "1\n2\n");
  EXPECT_EQ(tests[0].started_ns, 0u);
  // Started again and never finished: unfinished.
  const auto cut = build({started("r", 0), finished("r", "passed", 1), started("r", 2)});
  EXPECT_EQ(cut[0].outcome, "unfinished");
}

TEST(TestRecords, FinishOrCapturedWithoutStartAndEmptyOutcome) {
  const auto tests =
      build({finished("f", "", 5), captured("only-captured", "stdout", "x"), started("s", 9)});
  ASSERT_EQ(tests.size(), 3u);
  EXPECT_EQ(tests[0].outcome, "unknown");
  EXPECT_TRUE(tests[0].finished);
  EXPECT_EQ(tests[1].outcome, "unknown");
  EXPECT_FALSE(tests[1].finished);
  EXPECT_EQ(tests[2].outcome, "unfinished");
}

TEST(TestRecords, CountOutcomesUsualFirstThenOthersSorted) {
  std::vector<ctreplay::TestRecord> tests(6);
  const char* outcomes[] = {"zeta", "failed", "passed", "alpha", "passed", "unfinished"};
  for (std::size_t i = 0; i < tests.size(); ++i) tests[i].outcome = outcomes[i];
  const auto counts = ctreplay::count_outcomes(tests);
  const std::vector<std::pair<std::string, std::uint64_t>> want = {
      {"passed", 2}, {"failed", 1}, {"unfinished", 1}, {"alpha", 1}, {"zeta", 1}};
  EXPECT_EQ(counts, want);
}

TEST(TestRecords, JunitKinds) {
  using ctreplay::JunitKind;
  EXPECT_EQ(ctreplay::junit_kind("passed"), JunitKind::Passed);
  EXPECT_EQ(ctreplay::junit_kind("xpassed"), JunitKind::Passed);
  EXPECT_EQ(ctreplay::junit_kind("failed"), JunitKind::Failure);
  EXPECT_EQ(ctreplay::junit_kind("error"), JunitKind::Error);
  EXPECT_EQ(ctreplay::junit_kind("unfinished"), JunitKind::Error);
  EXPECT_EQ(ctreplay::junit_kind("skipped"), JunitKind::Skipped);
  EXPECT_EQ(ctreplay::junit_kind("xfailed"), JunitKind::Skipped);
  EXPECT_EQ(ctreplay::junit_kind("whatever"), JunitKind::Passed);
}

TEST(TestRecords, JunitNames) {
  auto name = [](const std::string& id) {
    const auto n = ctreplay::junit_name(id, "fallback");
    return n.classname + " | " + n.name;
  };
  EXPECT_EQ(name("tests/test_a.py::TestX::test_y[1.5-a::b]"),
            "tests.test_a.TestX | test_y[1.5-a::b]");
  EXPECT_EQ(name("test_a.py::test_z"), "test_a | test_z");
  EXPECT_EQ(name("pkg.mod.Class.test_x"), "pkg.mod.Class | test_x");
  EXPECT_EQ(name("pkg.mod.Class.test_x (case=1.5)"), "pkg.mod.Class | test_x (case=1.5)");
  EXPECT_EQ(name("Suite.Name"), "Suite | Name");
  EXPECT_EQ(name("Prefix/Suite.Name/0"), "Prefix/Suite | Name/0");
  EXPECT_EQ(name("plain"), "fallback | plain");
  EXPECT_EQ(name(".hidden"), "fallback | .hidden");
}

TEST(TestRecords, ReadFromATraceFile) {
  ctrtest::TempFile file;
  ctrtest::write_trace(file.path(), suite_events(), 3);
  const auto tests = ctreplay::read_test_records(file.path(), true);
  ASSERT_EQ(tests.size(), 3u);
  EXPECT_EQ(tests[1].captured[0].bytes, "cap b\nmore\n");
  const auto loaded = ctreplay::load_trace(file.path());
  ASSERT_EQ(loaded.tests.size(), 3u);
  EXPECT_EQ(loaded.tests[0].output[1], "");  // ranges only...
  EXPECT_EQ(loaded.test_output(loaded.tests[0], Stream::Stdout), "a: one\na: two\n");  // ...cut
  EXPECT_EQ(loaded.test_output(loaded.tests[1], Stream::Stderr), "b: assertion\n");
  EXPECT_EQ(loaded.tests[1].captured[0].bytes, "cap b\nmore\n");  // captured bytes are kept
}

// ------------------------------------------------------------------------ comparison
class TestComparisonTest : public ::testing::Test {
 protected:
  ctreplay::TraceVerdict compare(const std::vector<TraceEvent>& recorded,
                                 const std::vector<TraceEvent>& replayed) {
    ctrtest::write_trace(expected_.path(), recorded);
    ctrtest::write_trace(actual_.path(), replayed);
    const auto expected = ctreplay::load_trace(expected_.path());
    const auto actual = ctreplay::load_trace(actual_.path());
    const ctreplay::Normalizer normalizer({}, ctreplay::run_facts(expected),
                                          ctreplay::run_facts(actual));
    return ctreplay::compare_traces(expected, actual, normalizer, {}, false);
  }
  const ctreplay::TestComparison& test(const ctreplay::TraceVerdict& verdict,
                                       const std::string& id) {
    for (const auto& t : verdict.tests) {
      if (t.id == id) return t;
    }
    ADD_FAILURE() << "no test " << id;
    static const ctreplay::TestComparison none;
    return none;
  }
  ctrtest::TempFile expected_;
  ctrtest::TempFile actual_;
};

TEST_F(TestComparisonTest, SameRunSameTests) {
  const auto verdict = compare(suite_events(), suite_events());
  EXPECT_EQ(verdict.outcome, ctreplay::Outcome::Same);
  EXPECT_TRUE(verdict.tests_compared);
  ASSERT_EQ(verdict.tests.size(), 3u);
  for (const auto& t : verdict.tests) {
    EXPECT_EQ(t.change, TestChange::Same) << t.id;
    EXPECT_TRUE(t.differences.empty());
  }
  EXPECT_EQ(verdict.tests[2].recorded_outcome, "unfinished");
}

TEST_F(TestComparisonTest, OutputChangeNamesExactlyThatTest) {
  const auto verdict = compare(suite_events(), suite_events("43"));
  EXPECT_EQ(verdict.outcome, ctreplay::Outcome::Regression);
  EXPECT_EQ(test(verdict, "t.py::a").change, TestChange::Same);
  EXPECT_EQ(test(verdict, "t.py::c").change, TestChange::Same);
  const auto& b = test(verdict, "t.py::b");
  EXPECT_EQ(b.change, TestChange::Changed);
  EXPECT_FALSE(b.outcome_changed());
  ASSERT_EQ(b.differences.size(), 1u);
  EXPECT_EQ(b.differences[0].stream, "stdout");
  EXPECT_NE(b.differences[0].diff.find("-b: value 42\n+b: value 43\n"), std::string::npos)
      << b.differences[0].diff;
  EXPECT_EQ(ctreplay::test_change_reason(b), "stdout differs at byte 10, line 1");
  const std::string line = ctreplay::summary_line(verdict);
  EXPECT_NE(line.find("; 1 test changed: t.py::b)"), std::string::npos) << line;
}

TEST_F(TestComparisonTest, OutcomeAndCapturedChangesAreRegressionsEvenWithSameStreams) {
  const auto verdict = compare(suite_events(), suite_events("42", "passed", "cap B\n"));
  // The console streams are byte-equal; only the outcome and a captured section differ.
  for (const auto& stream : verdict.streams) EXPECT_TRUE(stream.same) << stream.stream;
  EXPECT_EQ(verdict.outcome, ctreplay::Outcome::Regression);
  const auto& b = test(verdict, "t.py::b");
  EXPECT_EQ(b.change, TestChange::Changed);
  EXPECT_TRUE(b.outcome_changed());
  ASSERT_EQ(b.differences.size(), 1u);
  EXPECT_EQ(b.differences[0].stream, "captured stdout call");
  EXPECT_EQ(ctreplay::test_change_reason(b),
            "outcome failed -> passed; captured stdout call differs at byte 4, line 1");
}

TEST_F(TestComparisonTest, NormalisedLikeWholeStreams) {
  auto recorded = suite_events("in 0.25s");
  auto replayed = suite_events("in 1.75s");
  const auto verdict = compare(recorded, replayed);
  EXPECT_EQ(verdict.outcome, ctreplay::Outcome::Same) << ctreplay::summary_line(verdict);
  EXPECT_EQ(test(verdict, "t.py::b").change, TestChange::Same);
}

TEST_F(TestComparisonTest, AddedAndRemovedTests) {
  auto replayed = suite_events();
  // Replace test a by test z.
  for (auto& event : replayed) {
    if (auto* t = std::get_if<TestEvent>(&event); t && t->test_id == "t.py::a") t->test_id = "z";
    if (auto* c = std::get_if<IoChunk>(&event); c && c->context == "t.py::a") c->context = "z";
  }
  const auto verdict = compare(suite_events(), replayed);
  EXPECT_EQ(verdict.outcome, ctreplay::Outcome::Regression);
  ASSERT_EQ(verdict.tests.size(), 4u);
  EXPECT_EQ(verdict.tests[0].id, "t.py::a");
  EXPECT_EQ(verdict.tests[0].change, TestChange::Removed);
  EXPECT_EQ(verdict.tests[0].replayed_outcome, std::nullopt);
  EXPECT_EQ(verdict.tests[3].id, "z");
  EXPECT_EQ(verdict.tests[3].change, TestChange::Added);
  EXPECT_EQ(verdict.tests[3].recorded_outcome, std::nullopt);
  EXPECT_EQ(verdict.tests[3].replayed_outcome, "passed");
  const std::string line = ctreplay::summary_line(verdict);
  EXPECT_NE(line.find("1 test removed: t.py::a; 1 test added: z"), std::string::npos) << line;
}

TEST_F(TestComparisonTest, OneSideWithoutTestsFallsBackWithANote) {
  const std::vector<TraceEvent> plain = {start(), out(Stream::Stdout, "session starts\n"),
                                         exit_with(1), ctrecord::EndEvent{}};
  auto verdict = compare(suite_events(), plain);
  EXPECT_FALSE(verdict.tests_compared);
  EXPECT_TRUE(verdict.tests.empty());
  EXPECT_EQ(verdict.tests_note,
            "tests not compared: the replay reported none (the recording has 3)");
  EXPECT_EQ(verdict.outcome, ctreplay::Outcome::Regression);  // the streams differ, as today
  verdict = compare(plain, plain);
  EXPECT_FALSE(verdict.tests_compared);
  EXPECT_EQ(verdict.tests_note, "");
  EXPECT_EQ(verdict.outcome, ctreplay::Outcome::Same);
  verdict = compare(plain, suite_events());
  EXPECT_EQ(verdict.tests_note,
            "tests not compared: the recording has none (the replay reported 3)");
  const std::string json = ctreplay::json_report({verdict});
  EXPECT_NE(json.find("\"tests_compared\":false,\"tests_note\":\"tests not compared: the "
                      "recording has none (the replay reported 3)\",\"tests\":[]"),
            std::string::npos)
      << json;
}

TEST_F(TestComparisonTest, ReportsCarryPerTestResults) {
  auto replayed = suite_events("43");
  replayed.erase(replayed.begin() + 14, replayed.begin() + 16);  // c never runs
  auto verdict = compare(suite_events(), replayed);
  ASSERT_EQ(verdict.tests.size(), 3u);
  const std::string json = ctreplay::json_report({verdict});
  EXPECT_NE(json.find("{\"id\":\"t.py::a\",\"change\":\"same\",\"recorded_outcome\":\"passed\","
                      "\"replayed_outcome\":\"passed\",\"recorded_duration_ns\":5000,"
                      "\"replayed_duration_ns\":5000,\"outcome_changed\":false,"
                      "\"differences\":[]}"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("{\"id\":\"t.py::b\",\"change\":\"changed\""), std::string::npos);
  EXPECT_NE(json.find("\"differences\":[{\"stream\":\"stdout\",\"same\":false"), std::string::npos);
  EXPECT_NE(json.find("{\"id\":\"t.py::c\",\"change\":\"removed\",\"recorded_outcome\":"
                      "\"unfinished\",\"replayed_outcome\":null"),
            std::string::npos)
      << json;

  const std::string xml = ctreplay::junit_report({verdict});
  for (const char* needle : {
           "<testsuites name=\"ctest-replay\" tests=\"4\" failures=\"3\" errors=\"0\" "
           "skipped=\"0\"",
           "tests=\"4\" failures=\"3\" errors=\"0\" skipped=\"0\"",
           "<testcase classname=\"t\" name=\"a\" time=\"0.000\">\n    </testcase>",
           "<testcase classname=\"t\" name=\"b\" time=\"0.000\">\n      <failure message=\"stdout "
           "differs at byte 10, line 1\" type=\"regression\">--- recorded/stdout\n",
           "-b: value 42\n+b: value 43\n",
           "<testcase classname=\"t\" name=\"c\" time=\"0.000\">\n      <failure "
           "message=\"removed: the replay did not run it (recorded: unfinished)\"",
           "<testcase classname=\"ctest-replay\" name=\"",
       }) {
    EXPECT_NE(xml.find(needle), std::string::npos) << needle << "\nin\n" << xml;
  }
}

TEST(TestReports, SkippedSameTestIsSkippedInJunitAndManyNamesAreCapped) {
  ctreplay::TraceVerdict verdict;
  verdict.trace = "run.ctrace";
  verdict.outcome = ctreplay::Outcome::Regression;
  verdict.tests_compared = true;
  ctreplay::TestComparison skipped;
  skipped.id = "Suite.Skipped";
  skipped.recorded_outcome = skipped.replayed_outcome = "skipped";
  verdict.tests.push_back(skipped);
  for (int i = 0; i < 7; ++i) {
    ctreplay::TestComparison changed;
    changed.id = "Suite.T" + std::to_string(i);
    changed.change = TestChange::Changed;
    changed.recorded_outcome = "passed";
    changed.replayed_outcome = "failed";
    verdict.tests.push_back(changed);
  }
  const std::string xml = ctreplay::junit_report({verdict});
  EXPECT_NE(xml.find("<testcase classname=\"Suite\" name=\"Skipped\" time=\"0.000\">\n      "
                     "<skipped message=\"skipped\"/>"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("tests=\"9\" failures=\"8\" errors=\"0\" skipped=\"1\""), std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<failure message=\"outcome passed -&gt; failed\" type=\"regression\">"
                     "outcome: recorded passed, replayed failed\n</failure>"),
            std::string::npos);
  EXPECT_NE(ctreplay::summary_line(verdict).find(
                "7 tests changed: Suite.T0, Suite.T1, Suite.T2, Suite.T3, Suite.T4 and 2 more"),
            std::string::npos)
      << ctreplay::summary_line(verdict);
}

TEST(TestReports, WorkerVerdictFileCarriesPerTestResults) {
  ctreplay::TraceVerdict verdict;
  verdict.trace = "run.ctrace";
  verdict.outcome = ctreplay::Outcome::Regression;
  verdict.tests_compared = true;
  verdict.tests_note = "a note";
  verdict.replayed_trace = "art/run.replayed.ctrace";
  ctreplay::TestComparison t;
  t.id = "Suite.T";
  t.change = TestChange::Removed;
  t.recorded_outcome = "passed";
  t.recorded_duration_ns = 77;
  t.differences.push_back(ctreplay::compare_stream("captured log", "a\n", "b\n"));
  verdict.tests.push_back(t);
  ctrtest::TempFile file("verdict");
  ctharness::save_verdict(verdict, file.path());
  const auto back = ctharness::load_verdict(file.path());
  EXPECT_TRUE(back.tests_compared);
  EXPECT_EQ(back.tests_note, "a note");
  EXPECT_EQ(back.replayed_trace, "art/run.replayed.ctrace");
  ASSERT_EQ(back.tests.size(), 1u);
  EXPECT_EQ(back.tests[0].id, "Suite.T");
  EXPECT_EQ(back.tests[0].change, TestChange::Removed);
  EXPECT_EQ(back.tests[0].recorded_outcome, "passed");
  EXPECT_EQ(back.tests[0].replayed_outcome, std::nullopt);
  EXPECT_EQ(back.tests[0].recorded_duration_ns, 77u);
  ASSERT_EQ(back.tests[0].differences.size(), 1u);
  EXPECT_EQ(back.tests[0].differences[0].diff, t.differences[0].diff);
  EXPECT_EQ(ctreplay::json_report({back}), ctreplay::json_report({verdict}));
}

TEST(TestReports, DetailsListChangedTestsAndCapturedDiffs) {
  ctreplay::TraceVerdict verdict;
  verdict.trace = "run.ctrace";
  verdict.outcome = ctreplay::Outcome::Regression;
  verdict.tests_compared = true;
  ctreplay::TestComparison same;
  same.id = "Suite.Same";
  same.recorded_outcome = same.replayed_outcome = "passed";
  ctreplay::TestComparison changed = same;
  changed.id = "Suite.Changed";
  changed.change = TestChange::Changed;
  changed.differences.push_back(ctreplay::compare_stream("stdout", "x\n", "y\n"));
  changed.differences.push_back(ctreplay::compare_stream("captured log", "a\n", "b\n"));
  verdict.tests = {same, changed};
  const std::string details = ctharness::verdict_details(verdict);
  EXPECT_NE(details.find("  tests: 1 same, 1 changed, 0 removed, 0 added\n  test Suite.Changed: "
                         "changed: stdout differs at byte 0, line 1; captured log differs at "
                         "byte 0, line 1\n--- recorded/captured log\n"),
            std::string::npos)
      << details;
  EXPECT_EQ(details.find("--- recorded/stdout"), std::string::npos) << details;
}

TEST(TestSummary, InfoTextAndJsonForTests) {
  ctrtest::TempFile file;
  ctrtest::write_trace(file.path(), suite_events());
  ctrecord::TraceReader reader(file.path());
  const auto summary = ctharness::summarize_trace(reader);
  ASSERT_EQ(summary.tests.size(), 3u);
  const auto lines = ctharness::tests_text(summary.tests);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], std::make_pair(std::string("tests"),
                                     std::string("3 (1 passed, 1 failed, 1 unfinished)")));
  EXPECT_EQ(lines[2].second,
            "failed        0.000 s  t.py::b  (stdout 12 B, stderr 13 B, captured 21 B)");
  std::string json;
  ctharness::JsonWriter writer(json);
  writer.begin_object();
  ctharness::write_tests_json(writer, summary.tests);
  writer.end_object();
  EXPECT_NE(json.find("\"test_counts\":{\"passed\":1,\"failed\":1,\"unfinished\":1},"
                      "\"tests\":[{\"id\":\"t.py::a\",\"outcome\":\"passed\",\"finished\":true,"
                      "\"duration_ns\":5000,\"started_ns\":100,\"runs\":1,\"output_bytes\":{"
                      "\"stdout\":14,\"stderr\":0},\"captured_bytes\":0,\"captured\":[]}"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"captured\":[{\"section\":\"stdout call\",\"bytes\":11},{\"section\":"
                      "\"log call\",\"bytes\":10}]"),
            std::string::npos)
      << json;
  EXPECT_TRUE(ctharness::tests_text({}).empty());
}

}  // namespace
