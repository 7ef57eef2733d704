// Tests of ctest-record --artifact-dir's pieces: where the trace goes, and summary.json /
// junit.xml rendered from traces written with the real writer.
#include "ctharness/record_artifacts.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "ctrecord/errors.hpp"
#include "trace_test_util.hpp"

namespace {

using ctrecord::Stream;
using ctrecord::TestEvent;
using ctrecord::TestPhase;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class RecordArtifacts : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(trace_.path()).parent_path().string() + "/art";
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  ctharness::RecordArtifactsRun run(std::vector<ctrecord::TraceEvent> events, int status) {
    ctrecord::StartEvent start;
    start.argv = {"/usr/bin/suite", "--fast"};
    start.hostname = "buildbox";
    start.start_unix_ns = 1714567890123456789;
    ctrecord::ExitEvent exit;
    exit.exited = true;
    exit.code = status;
    exit.status = status;
    exit.duration_ns = 1'500'000'000;
    events.insert(events.begin(), start);
    events.push_back(exit);
    events.push_back(ctrecord::EndEvent{});
    ctrtest::write_trace(trace_path(), events);
    return {dir_, trace_path(), start.argv, status, std::nullopt};
  }
  std::string trace_path() const { return dir_ + "/run.ctrace"; }

  ctrtest::TempFile trace_;
  std::string dir_;
};

ctrecord::IoChunk chunk(Stream stream, std::string bytes, std::string context) {
  ctrecord::IoChunk c;
  c.stream = stream;
  c.bytes = std::move(bytes);
  c.context = std::move(context);
  return c;
}

TEST_F(RecordArtifacts, JunitPerTestWithFailureSkipAndUnfinished) {
  const auto r = run(
      {
          TestEvent{1, TestPhase::Started, "Suite.Ok", "", 0, 1},
          chunk(Stream::Stdout, "ok output\n", "Suite.Ok"),
          TestEvent{2, TestPhase::Finished, "Suite.Ok", "passed", 250'000'000, 1},
          TestEvent{3, TestPhase::Started, "Suite.Bad", "", 0, 1},
          chunk(Stream::Stderr, "expected 1 <got> 2 & \x1b[31mred\n", "Suite.Bad"),
          ctrecord::CapturedEvent{4, "Suite.Bad", "log call", "a log line\n", 1},
          TestEvent{5, TestPhase::Finished, "Suite.Bad", "failed", 0, 1},
          TestEvent{6, TestPhase::Started, "Suite.Skip", "", 0, 1},
          TestEvent{7, TestPhase::Finished, "Suite.Skip", "skipped", 0, 1},
          TestEvent{8, TestPhase::Started, "Suite.Cut", "", 0, 1},
          chunk(Stream::Stdout, "last words\n", "Suite.Cut"),
      },
      1);
  const std::string xml = ctharness::record_junit_xml(r);
  for (const char* needle : {
           "<testsuites name=\"ctest-record\" tests=\"4\" failures=\"1\" errors=\"1\" "
           "skipped=\"1\" time=\"1.500\">",
           "<testsuite name=\"/usr/bin/suite --fast\" tests=\"4\" failures=\"1\" errors=\"1\" "
           "skipped=\"1\" time=\"1.500\" timestamp=\"2024-05-01T12:51:30.123Z\" "
           "hostname=\"buildbox\">",
           "<property name=\"trace\" value=\"run.ctrace\"/>",
           "<testcase classname=\"Suite\" name=\"Ok\" time=\"0.250\">\n    </testcase>",
           "<testcase classname=\"Suite\" name=\"Bad\" time=\"0.000\">\n      <failure "
           "message=\"failed\" type=\"failed\">outcome: failed\n--- captured log call ---\na log "
           "line\n--- stderr ---\nexpected 1 &lt;got&gt; 2 &amp; \\x1b[31mred\n</failure>",
           "<testcase classname=\"Suite\" name=\"Skip\" time=\"0.000\">\n      <skipped "
           "message=\"skipped\"/>",
           "<error message=\"unfinished: the command ended during this test (status 1 (exit code "
           "1))\" type=\"unfinished\">outcome: unfinished\n--- stdout ---\nlast words\n</error>",
       }) {
    EXPECT_TRUE(contains(xml, needle)) << needle << "\nin\n" << xml;
  }
  EXPECT_FALSE(contains(xml, "ok output"));  // passing tests' output stays out
  const std::string json = ctharness::record_summary_json(r);
  EXPECT_TRUE(contains(json, "\"tool\":\"ctest-record\"")) << json;
  EXPECT_TRUE(contains(json,
                       "\"command\":[\"/usr/bin/suite\",\"--fast\"],\"status\":1,"
                       "\"passed\":false,\"started\":\"2024-05-01T12:51:30.123Z\","
                       "\"duration_ns\":1500000000,"))
      << json;
  EXPECT_TRUE(contains(json,
                       "\"trace\":\"run.ctrace\",\"trace_complete\":true,"
                       "\"trace_error\":null,"))
      << json;
  EXPECT_TRUE(contains(json,
                       "\"test_counts\":{\"passed\":1,\"failed\":1,\"skipped\":1,"
                       "\"unfinished\":1}"))
      << json;
}

TEST_F(RecordArtifacts, NoTestsOneTestcaseForTheCommand) {
  auto r = run({chunk(Stream::Stderr, "boom\n", "")}, 2);
  std::string xml = ctharness::record_junit_xml(r);
  EXPECT_TRUE(contains(xml,
                       "<testcase classname=\"ctest-record\" name=\"/usr/bin/suite --fast\" "
                       "time=\"1.500\">\n      <failure message=\"status 2 (exit code 2)\" "
                       "type=\"exit-status\">--- stderr ---\nboom\n</failure>"))
      << xml;
  EXPECT_TRUE(contains(xml, "tests=\"1\" failures=\"1\" errors=\"0\" skipped=\"0\""));
  r = run({chunk(Stream::Stdout, "fine\n", "")}, 0);
  xml = ctharness::record_junit_xml(r);
  EXPECT_TRUE(contains(xml, "tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"0\"")) << xml;
  EXPECT_FALSE(contains(xml, "<failure"));
  EXPECT_TRUE(contains(ctharness::record_summary_json(r), "\"test_counts\":{},\"tests\":[]"));
}

TEST_F(RecordArtifacts, UnreadableTraceStillGivesDocuments) {
  ctrtest::write_file(trace_path(), "not a trace");
  const ctharness::RecordArtifactsRun r{dir_, trace_path(), {"x"}, 3, std::nullopt};
  const std::string json = ctharness::record_summary_json(r);
  EXPECT_TRUE(contains(json, "\"trace_complete\":false,\"trace_error\":\"")) << json;
  const std::string xml = ctharness::record_junit_xml(r);
  EXPECT_TRUE(contains(xml, "<failure message=\"status 3\"")) << xml;
  EXPECT_TRUE(contains(xml, "<property name=\"trace_error\"")) << xml;
}

TEST_F(RecordArtifacts, TracePathInsideTheFolder) {
  const std::string dir = dir_ + "/new/deeper";
  auto p = ctharness::prepare_artifact_trace_path(dir, std::nullopt, "/usr/bin/py test");
  EXPECT_TRUE(std::filesystem::is_directory(dir));
  EXPECT_TRUE(p.default_name);
  EXPECT_EQ(p.path.rfind(dir + "/py_test-", 0), 0u) << p.path;
  p = ctharness::prepare_artifact_trace_path(dir, std::string("sub/x.ctrace"), "prog");
  EXPECT_EQ(p.path, dir + "/sub/x.ctrace");
  EXPECT_FALSE(p.default_name);
  EXPECT_TRUE(std::filesystem::is_directory(dir + "/sub"));
  p = ctharness::prepare_artifact_trace_path(dir, std::string("/abs/x.ctrace"), "prog");
  EXPECT_EQ(p.path, "/abs/x.ctrace");
  ctrtest::write_file(dir + "/file", "x");
  EXPECT_THROW(ctharness::prepare_artifact_trace_path(dir + "/file", std::nullopt, "prog"),
               ctrecord::EnvironmentError);
}

}  // namespace
