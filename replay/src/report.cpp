// Replay verdicts as text, JSON and JUnit XML: see ctreplay/report.hpp.
//
// JSON: strings that are not well-formed UTF-8 keep their valid parts; each byte of an
// ill-formed sequence is written as \u00XX (its Latin-1 reading), so the document is always
// valid JSON. The exact bytes are in the trace (`ctest-trace cat`).
// JUnit XML: bytes XML 1.0 forbids (C0 controls other than \t \n \r, ill-formed UTF-8,
// U+FFFE, U+FFFF) become the literal text \xNN, one per byte, lowercase hex.
#include "ctreplay/report.hpp"

#include <cstdio>

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
  out += verdict.updated ? ",\"updated\":true}" : ",\"updated\":false}";
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

}  // namespace

std::string outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::Same: return "same";
    case Outcome::Regression: return "regression";
    case Outcome::Error: return "error";
  }
  return "error";
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
  std::size_t failures = 0;
  std::size_t errors = 0;
  double total_seconds = 0;
  for (const TraceVerdict& verdict : verdicts) {
    failures += verdict.outcome == Outcome::Regression ? 1 : 0;
    errors += verdict.outcome == Outcome::Error ? 1 : 0;
    total_seconds += verdict.seconds < 0 ? 0 : verdict.seconds;
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"ctest-replay\" tests=\"" + std::to_string(verdicts.size()) +
         "\" failures=\"" + std::to_string(failures) + "\" errors=\"" + std::to_string(errors) +
         "\" time=\"" + junit_time(total_seconds) + "\">\n";
  for (const TraceVerdict& verdict : verdicts) {
    const bool failed = verdict.outcome == Outcome::Regression;
    const bool error = verdict.outcome == Outcome::Error;
    const std::string name = xml(verdict.trace, true);
    const std::string time = junit_time(verdict.seconds);
    out += "  <testsuite name=\"" + name + "\" tests=\"1\" failures=\"" + (failed ? "1" : "0") +
           "\" errors=\"" + (error ? "1" : "0") + "\" skipped=\"0\" time=\"" + time + "\">\n";
    out += "    <properties>\n";
    out += "      <property name=\"command\" value=\"" + xml(verdict.command, true) + "\"/>\n";
    std::string normalizers;
    for (const std::string& normalizer : verdict.normalizers) {
      normalizers += (normalizers.empty() ? "" : ",") + normalizer;
    }
    out += "      <property name=\"normalizers\" value=\"" + xml(normalizers, true) + "\"/>\n";
    out += "    </properties>\n";
    out +=
        "    <testcase classname=\"ctest-replay\" name=\"" + name + "\" time=\"" + time + "\">\n";
    if (failed) {
      std::string message = regression_reasons(verdict);
      if (message.empty()) message = "regression";
      out += "      <failure message=\"" + xml(message, true) + "\" type=\"regression\">" +
             xml(failure_text(verdict), false) + "</failure>\n";
    } else if (error) {
      out += "      <error message=\"" + xml(verdict.error, true) + "\" type=\"error\">" +
             xml(verdict.error, false) + "</error>\n";
    }
    if (!verdict.notes.empty()) {
      std::string notes;
      for (const std::string& note : verdict.notes) notes += note + "\n";
      out += "      <system-out>" + xml(notes, false) + "</system-out>\n";
    }
    out += "    </testcase>\n";
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

}  // namespace ctreplay
