// What ctest-replay prints for a verdict, and the verdict file a worker process hands back.
#include <fmt/format.h>

#include <cereal/archives/binary.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <fstream>

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
void serialize(Archive& ar, TraceVerdict& v) {
  int outcome = static_cast<int>(v.outcome);
  ar(v.trace, v.command, outcome, v.error, v.streams, v.exit, v.first_stream, v.first_byte_offset,
     v.first_time_ns, v.normalizers, v.notes, v.seconds, v.updated, v.interrupted_by);
  v.outcome = static_cast<Outcome>(outcome);
}
}  // namespace ctreplay

namespace ctharness {

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
  return out;
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
