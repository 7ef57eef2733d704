// What ctest-replay prints for a verdict, the verdict file a worker process hands back, and
// the --artifact-dir files.
#include <fmt/format.h>

#include <cereal/archives/binary.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <filesystem>
#include <fstream>

#include "ctharness/record_artifacts.hpp"
#include "ctharness/replay_cli.hpp"
#include "ctrecord/errors.hpp"

namespace ctreplay {
// Serialisation of verdicts between a worker and its parent (same binary, same version:
// not a stable format).
template <class Archive>
void serialize(Archive& ar, Divergence& d) {
  ar(d.byte_offset, d.line);
}
template <class Archive>
void serialize(Archive& ar, StreamComparison& s) {
  ar(s.stream, s.same, s.binary, s.first, s.diff, s.cut_lines);
}
template <class Archive>
void serialize(Archive& ar, ExitComparison& e) {
  ar(e.expected_status, e.actual_status, e.same, e.timed_out);
}
template <class Archive>
void serialize(Archive& ar, TestComparison& t) {
  int change = static_cast<int>(t.change);
  ar(t.id, change, t.recorded_outcome, t.replayed_outcome, t.recorded_duration_ns,
     t.replayed_duration_ns, t.differences);
  t.change = static_cast<TestChange>(change);
}
template <class Archive>
void serialize(Archive& ar, TraceVerdict& v) {
  int outcome = static_cast<int>(v.outcome);
  ar(v.trace, v.command, outcome, v.error, v.streams, v.exit, v.first_stream, v.first_byte_offset,
     v.first_time_ns, v.normalizers, v.notes, v.seconds, v.updated, v.interrupted_by,
     v.tests_compared, v.tests, v.tests_note, v.replayed_trace);
  v.outcome = static_cast<Outcome>(outcome);
}
}  // namespace ctreplay

namespace ctharness {

namespace {
// The per-test part of a regression: a count line, then one line per test that differs.
// Console diffs are already in the whole-stream diffs above; a captured section's diff is
// shown here (it is in no stream).
std::string test_details(const ctreplay::TraceVerdict& verdict) {
  using ctreplay::TestChange;
  if (!verdict.tests_compared) return {};
  std::size_t counts[4] = {0, 0, 0, 0};
  for (const auto& test : verdict.tests) ++counts[static_cast<int>(test.change)];
  if (counts[0] == verdict.tests.size()) return {};
  std::string out = fmt::format(
      "  tests: {} same, {} changed, {} removed, {} added\n",
      counts[static_cast<int>(TestChange::Same)], counts[static_cast<int>(TestChange::Changed)],
      counts[static_cast<int>(TestChange::Removed)], counts[static_cast<int>(TestChange::Added)]);
  for (const auto& test : verdict.tests) {
    if (test.change == TestChange::Same) continue;
    out += fmt::format("  test {}: {}{}\n", test.id,
                       test.change == TestChange::Changed ? "changed: " : "",
                       ctreplay::test_change_reason(test));
    for (const auto& output : test.differences) {
      if (output.stream.rfind("captured ", 0) != 0) continue;
      out += output.diff;
      if (!output.diff.empty() && output.diff.back() != '\n') out += '\n';
    }
  }
  return out;
}
}  // namespace

std::string describe_verdict(const ctreplay::TraceVerdict& verdict, bool details) {
  std::string out = ctreplay::summary_line(verdict);
  if (out.empty() || out.back() != '\n') out += '\n';
  return details ? out + verdict_details(verdict) : out;
}

std::string verdict_details(const ctreplay::TraceVerdict& verdict) {
  std::string out;
  for (const auto& note : verdict.notes) out += "  note: " + note + "\n";
  if (verdict.outcome != ctreplay::Outcome::Regression) return out;
  if (verdict.first_stream) {
    out += fmt::format("  first divergence: {} at byte {}", *verdict.first_stream,
                       verdict.first_byte_offset.value_or(0));
    if (verdict.first_time_ns) {
      out += fmt::format(", {:.3f} s into the recording",
                         static_cast<double>(*verdict.first_time_ns) / 1e9);
    }
    out += "\n";
  }
  if (!verdict.exit.same) {
    out += fmt::format("  exit status: recorded {}, replayed {}{}\n", verdict.exit.expected_status,
                       verdict.exit.actual_status, verdict.exit.timed_out ? " (timed out)" : "");
  }
  for (const auto& stream : verdict.streams) {
    if (stream.same) continue;
    out += stream.diff;
    if (!stream.diff.empty() && stream.diff.back() != '\n') out += '\n';
  }
  out += test_details(verdict);
  if (verdict.replayed_trace) out += "  the replay's trace: " + *verdict.replayed_trace + "\n";
  return out;
}

void prepare_artifact_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw ctrecord::EnvironmentError("creating the artifact folder", dir, ec.value());
  if (!std::filesystem::is_directory(dir, ec)) {
    throw ctrecord::EnvironmentError("creating the artifact folder", dir, ENOTDIR);
  }
}

void write_replay_artifacts(const std::string& dir,
                            const std::vector<ctreplay::TraceVerdict>& verdicts) {
  prepare_artifact_dir(dir);
  write_artifact_file(dir + "/" + kArtifactSummaryFile, ctreplay::json_report(verdicts));
  write_artifact_file(dir + "/" + kArtifactJunitFile, ctreplay::junit_report(verdicts));
}

void save_verdict(const ctreplay::TraceVerdict& verdict, const std::string& path) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  {
    cereal::BinaryOutputArchive archive(file);
    ctreplay::TraceVerdict copy = verdict;
    archive(copy);
  }
  if (!file.flush()) throw ctrecord::EnvironmentError("write", path, errno);
}

ctreplay::TraceVerdict load_verdict(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw ctrecord::EnvironmentError("open", path, errno);
  ctreplay::TraceVerdict verdict;
  try {
    cereal::BinaryInputArchive archive(file);
    archive(verdict);
  } catch (const std::exception& e) {
    throw ctrecord::EnvironmentError("reading the worker's verdict " + path + ": " + e.what());
  }
  return verdict;
}

}  // namespace ctharness
