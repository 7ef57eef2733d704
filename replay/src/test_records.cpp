// Per-test records of a trace: see ctreplay/test_records.hpp.
#include "ctreplay/test_records.hpp"

#include <algorithm>
#include <type_traits>
#include <variant>

#include "ctrecord/trace_reader.hpp"

namespace ctreplay {

std::uint64_t TestRecord::captured_size() const {
  std::uint64_t total = 0;
  for (const auto& section : captured) total += section.size;
  return total;
}

const CapturedSection* TestRecord::find_captured(std::string_view section) const {
  for (const auto& entry : captured) {
    if (entry.section == section) return &entry;
  }
  return nullptr;
}

TestRecord& TestRecordBuilder::record(const std::string& id, std::uint64_t t_ns) {
  const auto [it, inserted] = index_.try_emplace(id, records_.size());
  if (inserted) {
    TestRecord fresh;
    fresh.id = id;
    fresh.started_ns = t_ns;
    fresh.outcome = std::string(kUnknownOutcome);  // reported only by a captured event so far
    records_.push_back(std::move(fresh));
    timing_.emplace_back();
  }
  return records_[it->second];
}

void TestRecordBuilder::add(const ctrecord::TestEvent& test) {
  TestRecord& rec = record(test.test_id, test.t_ns);
  Timing& timing = timing_[index_.at(test.test_id)];
  if (test.phase == ctrecord::TestPhase::Started) {
    if (rec.runs == 0) rec.started_ns = test.t_ns;
    ++rec.runs;
    rec.finished = false;
    rec.outcome = std::string(kUnfinishedOutcome);
    timing.open_since = test.t_ns;
    return;
  }
  rec.finished = true;
  rec.outcome = test.outcome.empty() ? std::string(kUnknownOutcome) : test.outcome;
  timing.framework_ns += test.duration_ns;
  if (timing.open_since && test.t_ns >= *timing.open_since) {
    timing.recorded_ns += test.t_ns - *timing.open_since;
  }
  timing.open_since.reset();
}

void TestRecordBuilder::add(const ctrecord::IoChunk& chunk) {
  const auto stream = static_cast<std::size_t>(chunk.stream);
  const std::uint64_t offset = stream_offset_[stream];
  stream_offset_[stream] += chunk.bytes.size();
  if (chunk.context.empty() || chunk.bytes.empty()) return;
  const auto it = index_.find(chunk.context);
  if (it == index_.end()) return;  // a context that is no reported test (in-process set_context)
  TestRecord& rec = records_[it->second];
  rec.output_size[stream] += chunk.bytes.size();
  auto& ranges = rec.output_ranges[stream];
  if (!ranges.empty() && ranges.back().first + ranges.back().second == offset) {
    ranges.back().second += chunk.bytes.size();
  } else {
    ranges.emplace_back(offset, chunk.bytes.size());
  }
  if (keep_output_) rec.output[stream] += chunk.bytes;
}

void TestRecordBuilder::add(const ctrecord::CapturedEvent& captured) {
  TestRecord& rec = record(captured.test_id, captured.t_ns);
  auto it = std::find_if(rec.captured.begin(), rec.captured.end(),
                         [&](const CapturedSection& s) { return s.section == captured.section; });
  if (it == rec.captured.end()) {
    rec.captured.push_back({captured.section, 0, {}});
    it = rec.captured.end() - 1;
  }
  it->size += captured.bytes.size();
  if (keep_captured_) it->bytes += captured.bytes;
}

void TestRecordBuilder::add(const ctrecord::TraceEvent& event) {
  if (const auto* chunk = std::get_if<ctrecord::IoChunk>(&event)) {
    add(*chunk);
  } else if (const auto* test = std::get_if<ctrecord::TestEvent>(&event)) {
    add(*test);
  } else if (const auto* captured = std::get_if<ctrecord::CapturedEvent>(&event)) {
    add(*captured);
  }
}

std::vector<TestRecord> TestRecordBuilder::finish() {
  for (std::size_t i = 0; i < records_.size(); ++i) {
    const Timing& timing = timing_[i];
    records_[i].duration_ns = timing.framework_ns != 0 ? timing.framework_ns : timing.recorded_ns;
  }
  index_.clear();
  timing_.clear();
  return std::move(records_);
}

std::vector<TestRecord> read_test_records(const std::string& trace_path, bool keep_bytes) {
  ctrecord::TraceReader reader(trace_path);
  TestRecordBuilder builder(keep_bytes, keep_bytes);
  while (auto event = reader.next()) builder.add(*event);
  return builder.finish();
}

std::string test_output(const TestRecord& test, ctrecord::Stream stream,
                        std::string_view whole_stream) {
  std::string out;
  for (const auto& [offset, size] : test.output_ranges[static_cast<std::size_t>(stream)]) {
    if (offset >= whole_stream.size()) break;
    out.append(whole_stream.substr(offset, size));
  }
  return out;
}

std::vector<std::pair<std::string, std::uint64_t>> count_outcomes(
    const std::vector<TestRecord>& tests) {
  static const char* const kUsual[] = {"passed",  "failed",  "error",     "skipped",
                                       "xfailed", "xpassed", "unfinished"};
  std::vector<std::pair<std::string, std::uint64_t>> counts;
  for (const char* usual : kUsual) counts.emplace_back(usual, 0);
  std::vector<std::pair<std::string, std::uint64_t>> others;
  for (const auto& test : tests) {
    auto it = std::find_if(counts.begin(), counts.end(),
                           [&](const auto& c) { return c.first == test.outcome; });
    if (it != counts.end()) {
      ++it->second;
      continue;
    }
    auto other = std::find_if(others.begin(), others.end(),
                              [&](const auto& c) { return c.first == test.outcome; });
    if (other == others.end()) {
      others.emplace_back(test.outcome, 1);
    } else {
      ++other->second;
    }
  }
  std::erase_if(counts, [](const auto& c) { return c.second == 0; });
  std::sort(others.begin(), others.end());
  counts.insert(counts.end(), others.begin(), others.end());
  return counts;
}

JunitKind junit_kind(std::string_view outcome) {
  if (outcome == "failed") return JunitKind::Failure;
  if (outcome == "error" || outcome == kUnfinishedOutcome) return JunitKind::Error;
  if (outcome == "skipped" || outcome == "xfailed") return JunitKind::Skipped;
  return JunitKind::Passed;
}

namespace {
// Position of the first '[', '(' or ' ' (parameters, subtest descriptions): separators are
// only looked for before it.
std::size_t plain_prefix_end(std::string_view id) {
  const auto pos = id.find_first_of("[( ");
  return pos == std::string_view::npos ? id.size() : pos;
}
}  // namespace

JunitName junit_name(const std::string& id, const std::string& fallback_classname) {
  const std::string_view plain(id.data(), plain_prefix_end(id));
  const auto colons = plain.rfind("::");
  if (colons != std::string_view::npos) {
    // pytest node id: path/to/test_file.py::Class::test -> path.to.test_file.Class
    std::string classname(plain.substr(0, colons));
    const auto py = classname.find(".py");
    if (py != std::string::npos &&
        (py + 3 == classname.size() || classname.compare(py + 3, 2, "::") == 0)) {
      classname.erase(py, 3);
    }
    std::string dotted;
    for (std::size_t i = 0; i < classname.size(); ++i) {
      if (classname.compare(i, 2, "::") == 0) {
        dotted += '.';
        ++i;
      } else {
        dotted += classname[i] == '/' ? '.' : classname[i];
      }
    }
    return {dotted, id.substr(colons + 2)};
  }
  const auto dot = plain.rfind('.');
  if (dot != std::string_view::npos && dot > 0 && dot + 1 < id.size()) {
    return {id.substr(0, dot), id.substr(dot + 1)};
  }
  return {fallback_classname, id};
}

}  // namespace ctreplay
