// compare_tests: the per-test part of a replay verdict (see ctreplay/replay_run.hpp).
#include <unordered_map>

#include "ctreplay/replay_run.hpp"

namespace ctreplay {

namespace {

using ctrecord::Stream;

std::string normalised(const Normalizer& normalizer, std::string_view bytes, Side side) {
  return bytes.empty() ? std::string() : normalizer.apply(bytes, side);
}

void compare_outputs(const LoadedTrace& expected, const TestRecord& recorded,
                     const LoadedTrace& actual, const TestRecord& replayed,
                     const Normalizer& normalizer, const DiffOptions& diff,
                     std::vector<StreamComparison>& differences) {
  for (Stream stream : {Stream::Stdout, Stream::Stderr}) {
    StreamComparison cmp = compare_stream(
        std::string(ctrecord::stream_name(stream)),
        normalised(normalizer, expected.test_output(recorded, stream), Side::Recorded),
        normalised(normalizer, actual.test_output(replayed, stream), Side::Current), diff);
    if (!cmp.same) differences.push_back(std::move(cmp));
  }
  // Sections in recorded order, then the ones only the replay has.
  std::vector<std::string> sections;
  for (const auto& section : recorded.captured) sections.push_back(section.section);
  for (const auto& section : replayed.captured) {
    if (!recorded.find_captured(section.section)) sections.push_back(section.section);
  }
  for (const auto& section : sections) {
    const CapturedSection* before = recorded.find_captured(section);
    const CapturedSection* after = replayed.find_captured(section);
    StreamComparison cmp = compare_stream(
        "captured " + section,
        normalised(normalizer, before ? std::string_view(before->bytes) : "", Side::Recorded),
        normalised(normalizer, after ? std::string_view(after->bytes) : "", Side::Current), diff);
    if (!cmp.same) differences.push_back(std::move(cmp));
  }
}

}  // namespace

std::vector<TestComparison> compare_tests(const LoadedTrace& expected, const LoadedTrace& actual,
                                          const Normalizer& normalizer, const DiffOptions& diff) {
  std::unordered_map<std::string, const TestRecord*> replayed_by_id;
  for (const auto& test : actual.tests) replayed_by_id.emplace(test.id, &test);
  std::unordered_map<std::string, bool> recorded_ids;
  std::vector<TestComparison> result;
  for (const auto& recorded : expected.tests) {
    recorded_ids.emplace(recorded.id, true);
    TestComparison cmp;
    cmp.id = recorded.id;
    cmp.recorded_outcome = recorded.outcome;
    cmp.recorded_duration_ns = recorded.duration_ns;
    const auto it = replayed_by_id.find(recorded.id);
    if (it == replayed_by_id.end()) {
      cmp.change = TestChange::Removed;
      result.push_back(std::move(cmp));
      continue;
    }
    const TestRecord& replayed = *it->second;
    cmp.replayed_outcome = replayed.outcome;
    cmp.replayed_duration_ns = replayed.duration_ns;
    compare_outputs(expected, recorded, actual, replayed, normalizer, diff, cmp.differences);
    cmp.change =
        cmp.outcome_changed() || !cmp.differences.empty() ? TestChange::Changed : TestChange::Same;
    result.push_back(std::move(cmp));
  }
  for (const auto& replayed : actual.tests) {
    if (recorded_ids.count(replayed.id)) continue;
    TestComparison cmp;
    cmp.id = replayed.id;
    cmp.change = TestChange::Added;
    cmp.replayed_outcome = replayed.outcome;
    cmp.replayed_duration_ns = replayed.duration_ns;
    result.push_back(std::move(cmp));
  }
  return result;
}

}  // namespace ctreplay
