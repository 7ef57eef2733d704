// Tests of the replay reports: the summary line, JSON (valid even for ill-formed UTF-8) and
// JUnit XML (well-formed even with NUL, ESC and 0xff bytes in a diff).
#include "ctreplay/report.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "../../replay/src/report_escape.hpp"

namespace {

using ctreplay::Outcome;
using ctreplay::TraceVerdict;

std::filesystem::path temp_path(const std::string& name) {
  return std::filesystem::temp_directory_path() /
         ("ctreplay_report_test_" + std::to_string(::getpid()) + "_" + name);
}

// The bytes of a string literal, NULs included.
template <std::size_t N>
std::string bytes(const char (&literal)[N]) {
  return std::string(literal, N - 1);
}

TraceVerdict same_verdict() {
  TraceVerdict verdict;
  verdict.trace = "traces/run.ctrace";
  verdict.command = "./prog --flag";
  verdict.outcome = Outcome::Same;
  verdict.seconds = 3.214;
  verdict.streams = {ctreplay::compare_stream("stdout", "a\n", "a\n"),
                     ctreplay::compare_stream("stderr", "", "")};
  verdict.normalizers = {"durations", "dates"};
  return verdict;
}

TraceVerdict regression_verdict() {
  TraceVerdict verdict = same_verdict();
  verdict.outcome = Outcome::Regression;
  verdict.seconds = 0.5;
  std::string expected;
  for (int i = 1; i <= 10; ++i) expected += "line " + std::to_string(i) + "\n";
  std::string actual = expected;
  actual.replace(actual.find("line 4"), 6, "line X");
  verdict.streams[0] = ctreplay::compare_stream("stdout", expected, actual);
  verdict.first_stream = "stdout";
  verdict.first_byte_offset = verdict.streams[0].first->byte_offset;
  verdict.first_time_ns = 12'000'000;
  verdict.exit = {.expected_status = 0, .actual_status = 1, .same = false};
  verdict.notes = {"causal stdin timed out at chunk 3; fed the rest"};
  return verdict;
}

TraceVerdict error_verdict() {
  TraceVerdict verdict;
  verdict.trace = "traces/bad.ctrace";
  verdict.outcome = Outcome::Error;
  verdict.error = "truncated trace at offset 42";
  verdict.seconds = 0.004;
  return verdict;
}

// A diff with NUL, ESC (ANSI colour) and 0xff bytes, as a hostile program might print.
TraceVerdict hostile_verdict() {
  TraceVerdict verdict = regression_verdict();
  verdict.trace = "traces/<weird> & \"quoted\" 'name'\x01.ctrace";
  verdict.streams[1].stream = "stderr";
  verdict.streams[1].same = false;
  verdict.streams[1].diff = bytes("-a\0b\n+\x1b[31mred\x1b[0m \xff\xfe \xef\xbf\xbf ]]> \r\n");
  verdict.streams[1].first = ctreplay::Divergence{1, 1};
  verdict.error = bytes("nul\0here");
  verdict.notes.push_back("bad \xc3 note \x7f \x08");
  return verdict;
}

TEST(Report, OutcomeNames) {
  EXPECT_EQ(ctreplay::outcome_name(Outcome::Same), "same");
  EXPECT_EQ(ctreplay::outcome_name(Outcome::Regression), "regression");
  EXPECT_EQ(ctreplay::outcome_name(Outcome::Error), "error");
}

TEST(Report, SummaryLines) {
  EXPECT_EQ(ctreplay::summary_line(same_verdict()), "same        3.21 s  traces/run.ctrace");
  EXPECT_EQ(ctreplay::summary_line(regression_verdict()),
            "REGRESSION  0.50 s  traces/run.ctrace  (stdout differs at byte 26, line 4, 0.012 s "
            "into the recording; exit 0 -> 1)");
  EXPECT_EQ(ctreplay::summary_line(error_verdict()),
            "ERROR       0.00 s  traces/bad.ctrace: truncated trace at offset 42");
}

TEST(Report, SummaryNamesEveryDifferingStreamFirstDivergenceFirst) {
  TraceVerdict verdict = regression_verdict();
  verdict.streams[1] = ctreplay::compare_stream("stderr", "x\n", "y\n");
  verdict.streams[0] = ctreplay::compare_stream("stdout", "same\n", "same\n");
  verdict.streams.push_back(ctreplay::compare_stream("merged", "a\nb\n", "a\nc\n"));
  verdict.first_stream = "merged";
  verdict.exit = {.expected_status = 0, .actual_status = 137, .same = false, .timed_out = true};
  EXPECT_EQ(ctreplay::summary_line(verdict),
            "REGRESSION  0.50 s  traces/run.ctrace  (merged differs at byte 2, line 2, 0.012 s "
            "into the recording; stderr differs at byte 0, line 1; timed out; exit 0 -> 137)");
}

TEST(Report, JsonHasEveryField) {
  const std::string json =
      ctreplay::json_report({same_verdict(), regression_verdict(), error_verdict()});
  for (const char* needle :
       {"{\"traces\":[{\"trace\":\"traces/run.ctrace\",\"command\":\"./prog --flag\","
        "\"outcome\":\"same\",\"error\":\"\",\"streams\":[{\"stream\":\"stdout\",\"same\":true,"
        "\"binary\":false,\"first\":null,\"diff\":\"\",\"cut_lines\":0},",
        "\"exit\":{\"expected_status\":0,\"actual_status\":1,\"same\":false,\"timed_out\":false}",
        "\"first\":{\"byte_offset\":26,\"line\":4}",
        "\"diff\":\"--- recorded/stdout\\n+++ replayed/stdout\\n@@ -1,7 +1,7 @@\\n line 1\\n",
        "\"first_stream\":\"stdout\",\"first_byte_offset\":26,\"first_time_ns\":12000000,",
        "\"normalizers\":[\"durations\",\"dates\"],\"notes\":[\"causal stdin timed out at chunk 3; "
        "fed the rest\"],\"seconds\":0.500,\"updated\":false,\"replayed_trace\":null,"
        "\"tests_compared\":false,\"tests_note\":null,\"tests\":[]}",
        "\"first_stream\":null,\"first_byte_offset\":null,\"first_time_ns\":null",
        "\"summary\":{\"same\":1,\"regression\":1,\"error\":1}}"}) {
    EXPECT_NE(json.find(needle), std::string::npos) << needle << "\nin\n" << json;
  }
}

TEST(Report, JsonEscapesIllFormedUtf8AsLatin1CodePoints) {
  std::string out;
  ctreplay::detail::append_json_string(out, bytes("\0 \x1b \xff \xc3\xa9 \xc3 \"\\"));
  EXPECT_EQ(out, "\"\\u0000 \\u001b \\u00ff \xc3\xa9 \\u00c3 \\\"\\\\\"");
}

TEST(Report, EmptyReports) {
  EXPECT_EQ(ctreplay::json_report({}),
            "{\"traces\":[],\n\"summary\":{\"same\":0,\"regression\":0,\"error\":0}}\n");
  const std::string xml = ctreplay::junit_report({});
  EXPECT_NE(xml.find("<testsuites name=\"ctest-replay\" tests=\"0\" failures=\"0\" errors=\"0\" "
                     "skipped=\"0\""),
            std::string::npos);
}

TEST(Report, XmlEscaping) {
  std::string out;
  ctreplay::detail::append_xml_escaped(
      out, bytes("<a b='c' & \"d\">\t\n\r\0\x1b\xff\xef\xbf\xbe\xef\xbf\xbd\xf0\x9f\x98\x80"),
      false);
  EXPECT_EQ(out,
            "&lt;a b=&apos;c&apos; &amp; &quot;d&quot;&gt;\t\n&#13;\\x00\\x1b\\xff\\xef\\xbf\\xbe"
            "\xef\xbf\xbd\xf0\x9f\x98\x80");
  std::string attribute;
  ctreplay::detail::append_xml_escaped(attribute, "a\tb\nc", true);
  EXPECT_EQ(attribute, "a&#9;b&#10;c");
}

TEST(Report, JunitStructure) {
  const std::string xml =
      ctreplay::junit_report({same_verdict(), regression_verdict(), error_verdict()});
  for (const char* needle : {
           "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
           "<testsuites name=\"ctest-replay\" tests=\"3\" failures=\"1\" errors=\"1\" "
           "skipped=\"0\" time=\"3.718\">",
           "<testsuite name=\"traces/run.ctrace\" tests=\"1\" failures=\"0\" errors=\"0\" "
           "skipped=\"0\" time=\"3.214\">",
           "<testcase classname=\"ctest-replay\" name=\"traces/run.ctrace\" time=\"3.214\">\n"
           "    </testcase>",
           "<testsuite name=\"traces/run.ctrace\" tests=\"1\" failures=\"1\" errors=\"0\" "
           "skipped=\"0\" time=\"0.500\">",
           "<failure message=\"stdout differs at byte 26, line 4, 0.012 s into the recording; exit "
           "0 -&gt; 1\" type=\"regression\">first divergence: stdout at byte 26, 0.012 s into the "
           "recording\n--- recorded/stdout\n",
           "-line 4\n+line X\n",
           "exit status: recorded 0, replayed 1\n</failure>",
           "<system-out>causal stdin timed out at chunk 3; fed the rest\n</system-out>",
           "<testsuite name=\"traces/bad.ctrace\" tests=\"1\" failures=\"0\" errors=\"1\"",
           "<error message=\"truncated trace at offset 42\" type=\"error\">truncated trace at "
           "offset 42</error>",
           "<property name=\"command\" value=\"./prog --flag\"/>",
           "<property name=\"normalizers\" value=\"durations,dates\"/>",
           "</testsuites>\n",
       }) {
    EXPECT_NE(xml.find(needle), std::string::npos) << needle << "\nin\n" << xml;
  }
}

TEST(Report, JunitWithHostileBytesHasNoForbiddenBytes) {
  const std::string xml = ctreplay::junit_report({hostile_verdict(), error_verdict()});
  for (const char ch : xml) {
    const auto byte = static_cast<unsigned char>(ch);
    EXPECT_FALSE(byte < 0x20 && byte != '\t' && byte != '\n') << "byte " << int(byte);
  }
  EXPECT_TRUE(ctreplay::detail::is_valid_utf8(xml));
  EXPECT_EQ(xml.find("\xef\xbf\xbf"), std::string::npos);
  EXPECT_NE(xml.find("-a\\x00b\n+\\x1b[31mred\\x1b[0m \\xff\\xfe \\xef\\xbf\\xbf ]]&gt; &#13;\n"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("name=\"traces/&lt;weird&gt; &amp; &quot;quoted&quot; &apos;name&apos;\\x01"
                     ".ctrace\""),
            std::string::npos);
  EXPECT_NE(xml.find("bad \\xc3 note \x7f \\x08"), std::string::npos);
}

// Parses the report with a real XML parser when python3 is there.
TEST(Report, JunitWithHostileBytesParses) {
  if (std::system("python3 -c 'import xml.dom.minidom' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "python3 with xml.dom.minidom not available";
  }
  const auto path = temp_path("junit.xml");
  {
    std::ofstream file(path, std::ios::binary);
    file << ctreplay::junit_report({hostile_verdict(), regression_verdict(), error_verdict()});
  }
  const std::string command =
      "python3 -c 'import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]); "
      "cases = d.getElementsByTagName(\"testcase\"); "
      "assert len(cases) == 3, len(cases); "
      "assert len(d.getElementsByTagName(\"failure\")) == 2; "
      "assert len(d.getElementsByTagName(\"error\")) == 1; "
      "text = d.getElementsByTagName(\"failure\")[0].firstChild.data; "
      "assert \"\\\\x1b[31mred\" in text, text' '" +
      path.string() + "'";
  const int status = std::system(command.c_str());
  std::filesystem::remove(path);
  EXPECT_EQ(status, 0) << command;
}

TEST(Report, JsonWithHostileBytesParses) {
  if (std::system("python3 -c 'import json' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "python3 not available";
  }
  const auto path = temp_path("report.json");
  {
    std::ofstream file(path, std::ios::binary);
    file << ctreplay::json_report({hostile_verdict(), error_verdict()});
  }
  const std::string command =
      "python3 -c 'import sys, json; d = json.load(open(sys.argv[1], encoding=\"utf-8\")); "
      "assert d[\"summary\"] == {\"same\": 0, \"regression\": 1, \"error\": 1}, d[\"summary\"]; "
      "s = d[\"traces\"][0][\"streams\"][1]; "
      "assert s[\"diff\"].startswith(\"-a\\x00b\\n+\\x1b[31m\"), repr(s[\"diff\"]); "
      "assert \"\\xff\\xfe\" in s[\"diff\"]' '" +
      path.string() + "'";
  const int status = std::system(command.c_str());
  std::filesystem::remove(path);
  EXPECT_EQ(status, 0) << command;
}

}  // namespace
