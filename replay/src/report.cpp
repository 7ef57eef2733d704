// Replay verdicts as text, JSON and JUnit XML: see ctreplay/report.hpp.
//
// JSON: strings that are not well-formed UTF-8 keep their valid parts; each byte of an
// ill-formed sequence is written as \u00XX (its Latin-1 reading), so the document is always
// valid JSON. The exact bytes are in the trace (`ctest-trace cat`).
// JUnit XML: bytes XML 1.0 forbids (C0 controls other than \t \n \r, ill-formed UTF-8,
// U+FFFE, U+FFFF) become the literal text \xNN, one per byte, lowercase hex.
#include "ctreplay/report.hpp"

#include <cstdio>

#include "ctreplay/test_records.hpp"
#include "report_escape.hpp"

namespace ctreplay {

namespace {

// `seconds` with `decimals` digits after the point.
std::string format_seconds(double seconds, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, seconds);
  return buffer;
}

std::string stream_reason(const TraceVerdict& verdict, const StreamComparison& stream) {
  std::string reason = stream.stream + (stream.binary ? " (binary) differs" : " differs");
  if (stream.first) {
    reason += " at byte " + std::to_string(stream.first->byte_offset);
    if (!stream.binary) reason += ", line " + std::to_string(stream.first->line);
  }
  if (verdict.first_time_ns && verdict.first_stream == stream.stream) {
    reason += ", " + format_seconds(static_cast<double>(*verdict.first_time_ns) / 1e9, 3) +
              " s into the recording";
  }
  return reason;
}

// Why a trace regressed: differing streams (the first divergence first), then the exit
// status. "" when nothing differs.
std::string regression_reasons(const TraceVerdict& verdict) {
  std::vector<std::string> reasons;
  for (const StreamComparison& stream : verdict.streams) {
    if (!stream.same && verdict.first_stream == stream.stream) {
      reasons.push_back(stream_reason(verdict, stream));
    }
  }
  for (const StreamComparison& stream : verdict.streams) {
    if (!stream.same && verdict.first_stream != stream.stream) {
      reasons.push_back(stream_reason(verdict, stream));
    }
  }
  if (verdict.exit.timed_out) reasons.emplace_back("timed out");
  if (!verdict.exit.same) {
    reasons.push_back("exit " + std::to_string(verdict.exit.expected_status) + " -> " +
                      std::to_string(verdict.exit.actual_status));
  }
  for (TestChange change : {TestChange::Changed, TestChange::Removed, TestChange::Added}) {
    std::vector<const std::string*> ids;
    for (const TestComparison& test : verdict.tests) {
      if (test.change == change) ids.push_back(&test.id);
    }
    if (ids.empty()) continue;
    std::string text = std::to_string(ids.size()) + (ids.size() == 1 ? " test " : " tests ") +
                       test_change_name(change) + ": ";
    constexpr std::size_t kNamed = 5;
    for (std::size_t i = 0; i < ids.size() && i < kNamed; ++i) {
      text += (i > 0 ? ", " : "") + *ids[i];
    }
    if (ids.size() > kNamed) text += " and " + std::to_string(ids.size() - kNamed) + " more";
    reasons.push_back(std::move(text));
  }
  std::string joined;
  for (const std::string& reason : reasons) {
    if (!joined.empty()) joined += "; ";
    joined += reason;
  }
  return joined;
}

template <typename T>
void append_json_optional_number(std::string& out, const std::optional<T>& value) {
  out += value ? std::to_string(*value) : "null";
}

void append_json_strings(std::string& out, const std::vector<std::string>& values) {
  out += '[';
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    detail::append_json_string(out, values[i]);
  }
  out += ']';
}

void append_json_stream(std::string& out, const StreamComparison& stream) {
  out += "{\"stream\":";
  detail::append_json_string(out, stream.stream);
  out += ",\"same\":";
  out += stream.same ? "true" : "false";
  out += ",\"binary\":";
  out += stream.binary ? "true" : "false";
  out += ",\"first\":";
  if (stream.first) {
    out += "{\"byte_offset\":" + std::to_string(stream.first->byte_offset) +
           ",\"line\":" + std::to_string(stream.first->line) + "}";
  } else {
    out += "null";
  }
  out += ",\"diff\":";
  detail::append_json_string(out, stream.diff);
  out += ",\"cut_lines\":" + std::to_string(stream.cut_lines) + "}";
}

void append_json_optional_string(std::string& out, const std::optional<std::string>& value) {
  if (value) {
    detail::append_json_string(out, *value);
  } else {
    out += "null";
  }
}

void append_json_test(std::string& out, const TestComparison& test) {
  out += "{\"id\":";
  detail::append_json_string(out, test.id);
  out += ",\"change\":";
  detail::append_json_string(out, test_change_name(test.change));
  out += ",\"recorded_outcome\":";
  append_json_optional_string(out, test.recorded_outcome);
  out += ",\"replayed_outcome\":";
  append_json_optional_string(out, test.replayed_outcome);
  out += ",\"recorded_duration_ns\":" + std::to_string(test.recorded_duration_ns);
  out += ",\"replayed_duration_ns\":" + std::to_string(test.replayed_duration_ns);
  out += ",\"outcome_changed\":";
  out += test.outcome_changed() ? "true" : "false";
  out += ",\"differences\":[";
  for (std::size_t i = 0; i < test.differences.size(); ++i) {
    if (i > 0) out += ',';
    append_json_stream(out, test.differences[i]);
  }
  out += "]}";
}

void append_json_verdict(std::string& out, const TraceVerdict& verdict) {
  out += "{\"trace\":";
  detail::append_json_string(out, verdict.trace);
  out += ",\"command\":";
  detail::append_json_string(out, verdict.command);
  out += ",\"outcome\":";
  detail::append_json_string(out, outcome_name(verdict.outcome));
  out += ",\"error\":";
  detail::append_json_string(out, verdict.error);
  out += ",\"streams\":[";
  for (std::size_t i = 0; i < verdict.streams.size(); ++i) {
    if (i > 0) out += ',';
    append_json_stream(out, verdict.streams[i]);
  }
  out += "],\"exit\":{\"expected_status\":" + std::to_string(verdict.exit.expected_status) +
         ",\"actual_status\":" + std::to_string(verdict.exit.actual_status) +
         ",\"same\":" + (verdict.exit.same ? "true" : "false") +
         ",\"timed_out\":" + (verdict.exit.timed_out ? "true" : "false") + "}";
  out += ",\"first_stream\":";
  if (verdict.first_stream) {
    detail::append_json_string(out, *verdict.first_stream);
  } else {
    out += "null";
  }
  out += ",\"first_byte_offset\":";
  append_json_optional_number(out, verdict.first_byte_offset);
  out += ",\"first_time_ns\":";
  append_json_optional_number(out, verdict.first_time_ns);
  out += ",\"normalizers\":";
  append_json_strings(out, verdict.normalizers);
  out += ",\"notes\":";
  append_json_strings(out, verdict.notes);
  out += ",\"seconds\":" + format_seconds(verdict.seconds, 3);
  out += verdict.updated ? ",\"updated\":true" : ",\"updated\":false";
  out += ",\"replayed_trace\":";
  append_json_optional_string(out, verdict.replayed_trace);
  out += ",\"tests_compared\":";
  out += verdict.tests_compared ? "true" : "false";
  out += ",\"tests_note\":";
  append_json_optional_string(
      out, verdict.tests_note.empty() ? std::nullopt : std::optional(verdict.tests_note));
  out += ",\"tests\":[";
  for (std::size_t i = 0; i < verdict.tests.size(); ++i) {
    if (i > 0) out += ',';
    append_json_test(out, verdict.tests[i]);
  }
  out += "]}";
}

std::string xml(std::string_view text, bool attribute) {
  std::string out;
  detail::append_xml_escaped(out, text, attribute);
  return out;
}

std::string junit_time(double seconds) {
  return format_seconds(seconds < 0 ? 0 : seconds, 3);
}

// The failure text of a regression: the first divergence, every differing stream's diff,
// the exit status.
std::string failure_text(const TraceVerdict& verdict) {
  std::string text;
  if (verdict.first_stream && verdict.first_byte_offset) {
    text += "first divergence: " + *verdict.first_stream + " at byte " +
            std::to_string(*verdict.first_byte_offset);
    if (verdict.first_time_ns) {
      text += ", " + format_seconds(static_cast<double>(*verdict.first_time_ns) / 1e9, 3) +
              " s into the recording";
    }
    text += "\n";
  }
  for (const StreamComparison& stream : verdict.streams) {
    if (stream.same) continue;
    text += stream.diff;
    if (!stream.diff.empty() && stream.diff.back() != '\n') text += '\n';
  }
  if (verdict.exit.timed_out) text += "timed out\n";
  if (!verdict.exit.same) {
    text += "exit status: recorded " + std::to_string(verdict.exit.expected_status) +
            ", replayed " + std::to_string(verdict.exit.actual_status) + "\n";
  }
  return text;
}

// The failure text of a changed test: the outcome change, then each differing output's diff.
std::string test_failure_text(const TestComparison& test) {
  std::string text;
  if (test.change == TestChange::Removed) {
    return "recorded outcome: " + test.recorded_outcome.value_or("?") +
           "; the replay did not report this test\n";
  }
  if (test.outcome_changed()) {
    text += "outcome: recorded " + *test.recorded_outcome + ", replayed " + *test.replayed_outcome +
            "\n";
  }
  for (const StreamComparison& output : test.differences) {
    text += output.diff;
    if (!output.diff.empty() && output.diff.back() != '\n') text += '\n';
  }
  return text;
}

}  // namespace

std::string outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::Same: return "same";
    case Outcome::Regression: return "regression";
    case Outcome::Error: return "error";
  }
  return "error";
}

std::string test_change_name(TestChange change) {
  switch (change) {
    case TestChange::Same: return "same";
    case TestChange::Changed: return "changed";
    case TestChange::Added: return "added";
    case TestChange::Removed: return "removed";
  }
  return "changed";
}

std::string test_change_reason(const TestComparison& test) {
  switch (test.change) {
    case TestChange::Same: return "";
    case TestChange::Added:
      return "added: not in the recording (replayed: " + test.replayed_outcome.value_or("?") + ")";
    case TestChange::Removed:
      return "removed: the replay did not run it (recorded: " +
             test.recorded_outcome.value_or("?") + ")";
    case TestChange::Changed: break;
  }
  std::vector<std::string> reasons;
  if (test.outcome_changed()) {
    reasons.push_back("outcome " + *test.recorded_outcome + " -> " + *test.replayed_outcome);
  }
  for (const StreamComparison& output : test.differences) {
    std::string reason = output.stream + (output.binary ? " (binary) differs" : " differs");
    if (output.first) {
      reason += " at byte " + std::to_string(output.first->byte_offset);
      if (!output.binary) reason += ", line " + std::to_string(output.first->line);
    }
    reasons.push_back(std::move(reason));
  }
  std::string joined;
  for (const std::string& reason : reasons) joined += (joined.empty() ? "" : "; ") + reason;
  return joined;
}

std::string summary_line(const TraceVerdict& verdict) {
  std::string label;
  switch (verdict.outcome) {
    case Outcome::Same: label = "same"; break;
    case Outcome::Regression: label = "REGRESSION"; break;
    case Outcome::Error: label = "ERROR"; break;
  }
  label.resize(12, ' ');
  std::string line = label + format_seconds(verdict.seconds, 2) + " s  " + verdict.trace;
  if (verdict.outcome == Outcome::Regression) {
    const std::string reasons = regression_reasons(verdict);
    if (!reasons.empty()) line += "  (" + reasons + ")";
  } else if (verdict.outcome == Outcome::Error && !verdict.error.empty()) {
    line += ": " + verdict.error;
  }
  return line;
}

std::string json_report(const std::vector<TraceVerdict>& verdicts) {
  std::string out = "{\"traces\":[";
  std::size_t counts[3] = {0, 0, 0};
  for (std::size_t i = 0; i < verdicts.size(); ++i) {
    if (i > 0) out += ",\n";
    append_json_verdict(out, verdicts[i]);
    ++counts[static_cast<int>(verdicts[i].outcome)];
  }
  out += "],\n\"summary\":{\"same\":" + std::to_string(counts[0]) +
         ",\"regression\":" + std::to_string(counts[1]) +
         ",\"error\":" + std::to_string(counts[2]) + "}}\n";
  return out;
}

std::string junit_report(const std::vector<TraceVerdict>& verdicts) {
  struct Counts {
    std::size_t tests = 0, failures = 0, errors = 0, skipped = 0;
  };
  Counts total;
  double total_seconds = 0;
  std::string suites;
  for (const TraceVerdict& verdict : verdicts) {
    Counts counts;
    std::string cases;
    const std::string trace_name = xml(verdict.trace, true);
    if (verdict.tests_compared) {
      for (const TestComparison& test : verdict.tests) {
        ++counts.tests;
        const JunitName junit = junit_name(test.id, verdict.trace);
        const bool removed = test.change == TestChange::Removed;
        const auto seconds =
            static_cast<double>(removed ? test.recorded_duration_ns : test.replayed_duration_ns) /
            1e9;
        cases += "    <testcase classname=\"" + xml(junit.classname, true) + "\" name=\"" +
                 xml(junit.name, true) + "\" time=\"" + junit_time(seconds) + "\">\n";
        if (test.change == TestChange::Changed || removed) {
          ++counts.failures;
          cases += "      <failure message=\"" + xml(test_change_reason(test), true) +
                   "\" type=\"regression\">" + xml(test_failure_text(test), false) + "</failure>\n";
        } else if (test.change == TestChange::Added) {
          cases += "      <system-out>" + xml(test_change_reason(test) + "\n", false) +
                   "</system-out>\n";
        } else if (junit_kind(test.replayed_outcome.value_or("")) == JunitKind::Skipped) {
          ++counts.skipped;
          cases += "      <skipped message=\"" + xml(test.replayed_outcome.value_or(""), true) +
                   "\"/>\n";
        }
        cases += "    </testcase>\n";
      }
    }
    // The run as a whole (every stream, the exit status): the only testcase without tests.
    const bool failed = verdict.outcome == Outcome::Regression;
    const bool error = verdict.outcome == Outcome::Error;
    const std::string time = junit_time(verdict.seconds);
    ++counts.tests;
    cases += "    <testcase classname=\"ctest-replay\" name=\"" + trace_name + "\" time=\"" + time +
             "\">\n";
    if (failed) {
      ++counts.failures;
      std::string message = regression_reasons(verdict);
      if (message.empty()) message = "regression";
      cases += "      <failure message=\"" + xml(message, true) + "\" type=\"regression\">" +
               xml(failure_text(verdict), false) + "</failure>\n";
    } else if (error) {
      ++counts.errors;
      cases += "      <error message=\"" + xml(verdict.error, true) + "\" type=\"error\">" +
               xml(verdict.error, false) + "</error>\n";
    }
    if (!verdict.notes.empty()) {
      std::string notes;
      for (const std::string& note : verdict.notes) notes += note + "\n";
      cases += "      <system-out>" + xml(notes, false) + "</system-out>\n";
    }
    cases += "    </testcase>\n";

    suites += "  <testsuite name=\"" + trace_name + "\" tests=\"" + std::to_string(counts.tests) +
              "\" failures=\"" + std::to_string(counts.failures) + "\" errors=\"" +
              std::to_string(counts.errors) + "\" skipped=\"" + std::to_string(counts.skipped) +
              "\" time=\"" + time + "\">\n";
    suites += "    <properties>\n";
    suites += "      <property name=\"command\" value=\"" + xml(verdict.command, true) + "\"/>\n";
    std::string normalizers;
    for (const std::string& normalizer : verdict.normalizers) {
      normalizers += (normalizers.empty() ? "" : ",") + normalizer;
    }
    suites += "      <property name=\"normalizers\" value=\"" + xml(normalizers, true) + "\"/>\n";
    suites += "    </properties>\n";
    suites += cases;
    suites += "  </testsuite>\n";
    total.tests += counts.tests;
    total.failures += counts.failures;
    total.errors += counts.errors;
    total.skipped += counts.skipped;
    total_seconds += verdict.seconds < 0 ? 0 : verdict.seconds;
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"ctest-replay\" tests=\"" + std::to_string(total.tests) +
         "\" failures=\"" + std::to_string(total.failures) + "\" errors=\"" +
         std::to_string(total.errors) + "\" skipped=\"" + std::to_string(total.skipped) +
         "\" time=\"" + junit_time(total_seconds) + "\">\n";
  out += suites;
  out += "</testsuites>\n";
  return out;
}

std::string xml_escape(std::string_view text, bool attribute) {
  return xml(text, attribute);
}

}  // namespace ctreplay
