// ctest-record --artifact-dir: the trace's folder, summary.json and junit.xml (see
// ctharness/record_artifacts.hpp). Both documents come from reading the finished trace back:
// one pass for the summary and the tests (sizes only), and, when something failed, a second
// pass keeping the last bytes of the failing tests' output (and of the whole run's) for the
// JUnit failure texts, so memory stays bounded whatever the trace's size.
#include "ctharness/record_artifacts.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <filesystem>
#include <unordered_map>

#include "ctharness/json_writer.hpp"
#include "ctharness/record_cli.hpp"
#include "ctharness/text_format.hpp"
#include "ctharness/trace_json.hpp"
#include "ctharness/trace_summary.hpp"
#include "ctrecord/errors.hpp"
#include "ctrecord/fd_io.hpp"
#include "ctrecord/log.hpp"
#include "ctrecord/start_metadata.hpp"
#include "ctrecord/trace_reader.hpp"
#include "ctrecord/unique_fd.hpp"
#include "ctreplay/report.hpp"
#include "ctreplay/test_records.hpp"

namespace ctharness {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kTailBytes = 64 * 1024;  // of each output kept for a failure text

// The last kTailBytes of a byte stream.
class Tail {
 public:
  void add(std::string_view bytes) {
    total_ += bytes.size();
    kept_.append(bytes);
    if (kept_.size() > 2 * kTailBytes) kept_.erase(0, kept_.size() - kTailBytes);
  }
  std::string_view text() const {
    const std::string_view all(kept_);
    return all.size() > kTailBytes ? all.substr(all.size() - kTailBytes) : all;
  }
  std::uint64_t total() const { return total_; }

 private:
  std::string kept_;
  std::uint64_t total_ = 0;
};

struct FailingOutput {
  std::array<Tail, 3> streams;
  std::vector<std::pair<std::string, Tail>> captured;
};

struct ArtifactData {
  TraceSummary summary;
  std::optional<std::string> unreadable;  // the trace could not be opened at all
  std::array<Tail, 3> whole;              // the whole run's output (no tests, command failed)
  std::unordered_map<std::string, FailingOutput> failing;  // by test id
};

bool test_failed(const ctreplay::TestRecord& test) {
  const auto kind = ctreplay::junit_kind(test.outcome);
  return kind == ctreplay::JunitKind::Failure || kind == ctreplay::JunitKind::Error;
}

ArtifactData gather(const RecordArtifactsRun& run) {
  ArtifactData data;
  try {
    ctrecord::TraceReader reader(run.trace_path);
    data.summary = summarize_trace(reader);
  } catch (const std::exception& e) {
    data.unreadable = e.what();
    data.summary.path = run.trace_path;
    return data;
  }
  for (const auto& test : data.summary.tests) {
    if (test_failed(test)) data.failing.try_emplace(test.id);
  }
  if (data.failing.empty() && run.status == 0) return data;
  try {
    ctrecord::TraceReader reader(run.trace_path);
    while (auto event = reader.next()) {
      if (const auto* chunk = std::get_if<ctrecord::IoChunk>(&*event)) {
        const auto stream = static_cast<std::size_t>(chunk->stream);
        data.whole[stream].add(chunk->bytes);
        if (const auto it = data.failing.find(chunk->context); it != data.failing.end()) {
          it->second.streams[stream].add(chunk->bytes);
        }
      } else if (const auto* captured = std::get_if<ctrecord::CapturedEvent>(&*event)) {
        const auto it = data.failing.find(captured->test_id);
        if (it == data.failing.end()) continue;
        auto& sections = it->second.captured;
        auto section = std::find_if(sections.begin(), sections.end(),
                                    [&](const auto& s) { return s.first == captured->section; });
        if (section == sections.end()) {
          sections.emplace_back(captured->section, Tail{});
          section = sections.end() - 1;
        }
        section->second.add(captured->bytes);
      }
    }
  } catch (const std::exception&) {
    // Already summarised; the failure texts just have less in them.
  }
  return data;
}

std::string relative_to(const std::string& path, const std::string& dir) {
  std::error_code ec;
  const fs::path abs_path = fs::absolute(path, ec);
  const fs::path abs_dir = fs::absolute(dir, ec);
  if (ec) return path;
  const fs::path rel = abs_path.lexically_normal().lexically_relative(abs_dir.lexically_normal());
  return rel.empty() ? path : rel.string();
}

std::string program_name(const std::vector<std::string>& command) {
  if (command.empty()) return "command";
  const auto slash = command[0].find_last_of('/');
  return slash == std::string::npos ? command[0] : command[0].substr(slash + 1);
}

std::string seconds_text(std::uint64_t ns) {
  return fmt::format("{:.3f}", static_cast<double>(ns) / 1e9);
}

std::string xml(std::string_view text, bool attribute = true) {
  return ctreplay::xml_escape(text, attribute);
}

void append_labelled(std::string& out, const std::string& label, const Tail& tail) {
  if (tail.total() == 0) return;
  if (tail.total() > tail.text().size()) {
    out +=
        fmt::format("--- {} (last {} of {} bytes) ---\n", label, tail.text().size(), tail.total());
  } else {
    out += "--- " + label + " ---\n";
  }
  out += tail.text();
  if (!tail.text().empty() && tail.text().back() != '\n') out += '\n';
}

std::string output_text(const std::array<Tail, 3>& streams) {
  std::string out;
  append_labelled(out, "stdout", streams[static_cast<std::size_t>(ctrecord::Stream::Stdout)]);
  append_labelled(out, "stderr", streams[static_cast<std::size_t>(ctrecord::Stream::Stderr)]);
  return out;
}

std::string exit_text(const RecordArtifactsRun& run, const TraceSummary& summary) {
  return summary.exit ? describe_exit(*summary.exit) : "status " + std::to_string(run.status);
}

struct JunitCounts {
  std::size_t tests = 0, failures = 0, errors = 0, skipped = 0;
};

std::string test_case(const ctreplay::TestRecord& test, const ArtifactData& data,
                      const std::string& program, JunitCounts& counts) {
  const auto name = ctreplay::junit_name(test.id, program);
  std::string out = "    <testcase classname=\"" + xml(name.classname) + "\" name=\"" +
                    xml(name.name) + "\" time=\"" + seconds_text(test.duration_ns) + "\">\n";
  ++counts.tests;
  const auto kind = ctreplay::junit_kind(test.outcome);
  if (kind == ctreplay::JunitKind::Failure || kind == ctreplay::JunitKind::Error) {
    std::string text = "outcome: " + test.outcome + "\n";
    if (const auto it = data.failing.find(test.id); it != data.failing.end()) {
      for (const auto& [section, tail] : it->second.captured) {
        append_labelled(text, "captured " + section, tail);
      }
      text += output_text(it->second.streams);
    }
    const bool failure = kind == ctreplay::JunitKind::Failure;
    (failure ? counts.failures : counts.errors) += 1;
    const std::string tag = failure ? "failure" : "error";
    const std::string message =
        test.outcome == ctreplay::kUnfinishedOutcome
            ? "unfinished: the command ended during this test (" +
                  (data.summary.exit ? describe_exit(*data.summary.exit) : "no exit recorded") + ")"
            : test.outcome;
    out += "      <" + tag + " message=\"" + xml(message) + "\" type=\"" + xml(test.outcome) +
           "\">" + xml(text, false) + "</" + tag + ">\n";
  } else if (kind == ctreplay::JunitKind::Skipped) {
    ++counts.skipped;
    out += "      <skipped message=\"" + xml(test.outcome) + "\"/>\n";
  }
  out += "    </testcase>\n";
  return out;
}

std::string command_case(const RecordArtifactsRun& run, const ArtifactData& data,
                         const std::string& classname, const std::string& name,
                         JunitCounts& counts) {
  const std::uint64_t duration = data.summary.exit ? data.summary.exit->duration_ns : 0;
  std::string out = "    <testcase classname=\"" + xml(classname) + "\" name=\"" + xml(name) +
                    "\" time=\"" + seconds_text(duration) + "\">\n";
  ++counts.tests;
  if (run.status != 0) {
    ++counts.failures;
    out += "      <failure message=\"" + xml(exit_text(run, data.summary)) +
           "\" type=\"exit-status\">" + xml(output_text(data.whole), false) + "</failure>\n";
  }
  out += "    </testcase>\n";
  return out;
}

std::string summary_json(const RecordArtifactsRun& run, const ArtifactData& data) {
  const TraceSummary& s = data.summary;
  std::string out;
  JsonWriter json(out);
  json.begin_object();
  json.key("tool").value("ctest-record");
  json.key("version").value(ctrecord::tool_version());
  json.key("command").begin_array();
  for (const auto& word : run.command) json.bytes_value(word);
  json.end_array();
  json.key("status").value(static_cast<std::int64_t>(run.status));
  json.key("passed").value(run.status == 0);
  json.key("started");
  if (s.start) {
    json.value(format_utc_time(s.start->start_unix_ns));
  } else {
    json.null();
  }
  json.key("duration_ns").value(s.exit ? s.exit->duration_ns : std::uint64_t{0});
  json.key("exit");
  if (s.exit) {
    json.begin_object();
    write_exit_fields(json, *s.exit);
    json.end_object();
  } else {
    json.null();
  }
  json.key("trace").bytes_value(relative_to(run.trace_path, run.dir));
  json.key("trace_complete").value(s.complete && !data.unreadable);
  json.key("trace_error");
  if (data.unreadable) {
    json.bytes_value(*data.unreadable);
  } else if (run.trace_error) {
    json.bytes_value(*run.trace_error);
  } else if (s.error) {
    json.bytes_value(*s.error);
  } else {
    json.null();
  }
  write_streams_json(json, s);
  write_end_json(json, s);
  write_tests_json(json, s.tests);
  write_notes_json(json, s);
  json.end_object();
  out += '\n';
  return out;
}

std::string junit_xml(const RecordArtifactsRun& run, const ArtifactData& data) {
  const std::string program = program_name(run.command);
  const std::string command = shell_join(run.command);
  JunitCounts counts;
  std::string cases;
  bool any_failed = false;
  for (const auto& test : data.summary.tests) {
    cases += test_case(test, data, program, counts);
    any_failed = any_failed || test_failed(test);
  }
  if (data.summary.tests.empty()) {
    cases += command_case(run, data, "ctest-record", command, counts);
  } else if (run.status != 0 && !any_failed) {
    // The tests all passed, yet the command failed (a crash after them, a collection error):
    // CI must see it.
    cases += command_case(run, data, program, "exit status", counts);
  }
  const std::string time =
      seconds_text(data.summary.exit ? data.summary.exit->duration_ns : std::uint64_t{0});
  const std::string totals = "tests=\"" + std::to_string(counts.tests) + "\" failures=\"" +
                             std::to_string(counts.failures) + "\" errors=\"" +
                             std::to_string(counts.errors) + "\" skipped=\"" +
                             std::to_string(counts.skipped) + "\" time=\"" + time + "\"";
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"ctest-record\" " + totals + ">\n";
  out += "  <testsuite name=\"" + xml(command) + "\" " + totals;
  if (data.summary.start) {
    out += " timestamp=\"" + format_utc_time(data.summary.start->start_unix_ns) + "\" hostname=\"" +
           xml(data.summary.start->hostname) + "\"";
  }
  out += ">\n    <properties>\n";
  auto property = [&out](const std::string& name, const std::string& value) {
    out += "      <property name=\"" + name + "\" value=\"" + xml(value) + "\"/>\n";
  };
  property("command", command);
  property("status", std::to_string(run.status));
  property("trace", relative_to(run.trace_path, run.dir));
  if (data.unreadable || run.trace_error) {
    property("trace_error", data.unreadable ? *data.unreadable : *run.trace_error);
  }
  out += "    </properties>\n";
  out += cases;
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace

void write_artifact_file(const std::string& path, const std::string& text) {
  ctrecord::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) throw ctrecord::EnvironmentError("open", path, errno);
  if (const int err = ctrecord::write_all(fd.get(), text)) {
    throw ctrecord::EnvironmentError("write", path, err);
  }
  if (::close(fd.release()) != 0) throw ctrecord::EnvironmentError("close", path, errno);
}

ArtifactTracePath prepare_artifact_trace_path(const std::string& dir,
                                              const std::optional<std::string>& output,
                                              const std::string& argv0) {
  if (dir.empty()) throw ctrecord::UsageError("--artifact-dir needs a folder");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw ctrecord::EnvironmentError("creating the artifact folder", dir, ec.value());
  if (!fs::is_directory(dir, ec)) {
    throw ctrecord::EnvironmentError("creating the artifact folder", dir, ENOTDIR);
  }
  if (!output) {
    return {default_trace_path(argv0, dir.c_str(), std::time(nullptr), ::getpid()), true};
  }
  if (!output->empty() && output->front() == '/') return {*output, false};
  const fs::path path = fs::path(dir) / *output;
  if (path.has_parent_path()) {
    fs::create_directories(path.parent_path(), ec);
    if (ec) {
      throw ctrecord::EnvironmentError("creating folder", path.parent_path().string(), ec.value());
    }
  }
  return {path.string(), false};
}

std::string record_summary_json(const RecordArtifactsRun& run) {
  return summary_json(run, gather(run));
}

std::string record_junit_xml(const RecordArtifactsRun& run) {
  return junit_xml(run, gather(run));
}

void write_record_artifacts(const RecordArtifactsRun& run) {
  const ArtifactData data = gather(run);
  std::error_code ec;
  fs::create_directories(run.dir, ec);  // it may have gone while the command ran
  write_artifact_file((fs::path(run.dir) / kArtifactSummaryFile).string(), summary_json(run, data));
  write_artifact_file((fs::path(run.dir) / kArtifactJunitFile).string(), junit_xml(run, data));
}

int finish_record_artifacts(const RecordArtifactsRun& run, int exit_status, int own_failure) {
  try {
    write_record_artifacts(run);
    ctrecord::log::info("artifacts: {}", run.dir);
    return exit_status;
  } catch (const std::exception& e) {
    ctrecord::log::error("the CI artifacts in {} are missing or incomplete: {}", run.dir, e.what());
    return exit_status == 0 ? own_failure : exit_status;
  }
}

}  // namespace ctharness
