// Output masking: secret values and --redact matches replaced by a mask, across chunk borders.
#include "ctrecord/output_masker.hpp"

#include <algorithm>

#include "ctrecord/start_metadata.hpp"

namespace ctrecord {

namespace {

// A region that pathological overlapping secrets ("aaaaaa" in a run of a's) make longer than
// this is emitted whole instead of being held back, so held bytes stay bounded.
constexpr std::size_t kMaxHeldRegion = std::size_t{1} << 20;

struct Region {
  std::size_t begin = 0;
  std::size_t end = 0;
};

// Every occurrence of every secret in `bytes`, overlapping ones merged into one region (so no
// part of either secret survives), sorted.
std::vector<Region> secret_regions(const std::vector<std::string>& secrets,
                                   std::string_view bytes) {
  std::vector<Region> found;
  for (const std::string& secret : secrets) {
    if (secret.empty()) continue;
    for (std::size_t pos = bytes.find(secret); pos != std::string_view::npos;
         pos = bytes.find(secret, pos + 1)) {
      found.push_back({pos, pos + secret.size()});
    }
  }
  std::sort(found.begin(), found.end(), [](const Region& a, const Region& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
  });
  std::vector<Region> merged;
  for (const Region& region : found) {
    if (!merged.empty() && region.begin < merged.back().end) {
      merged.back().end = std::max(merged.back().end, region.end);
    } else {
      merged.push_back(region);
    }
  }
  return merged;
}

// Length of the longest suffix of `bytes` that is a proper prefix of some secret.
std::size_t partial_secret_tail(const std::vector<std::string>& secrets, std::string_view bytes) {
  const std::size_t n = bytes.size();
  std::size_t hold = 0;
  for (const std::string& secret : secrets) {
    if (secret.size() < 2) continue;
    const std::size_t longest = std::min(secret.size() - 1, n);
    if (longest <= hold) continue;
    for (std::size_t pos = n - longest; pos < n - hold; ++pos) {
      pos = bytes.find(secret[0], pos);
      if (pos == std::string_view::npos || pos >= n - hold) break;
      if (bytes.substr(pos) == std::string_view(secret).substr(0, n - pos)) {
        hold = n - pos;
        break;
      }
    }
  }
  return hold;
}

// Start of the line that `cut` falls in (just after the last '\n' before it).
std::size_t line_start(std::string_view bytes, std::size_t cut) {
  if (cut == 0) return 0;
  const std::size_t newline = bytes.rfind('\n', cut - 1);
  return newline == std::string_view::npos ? 0 : newline + 1;
}

// Applies every pattern to every line of `text` (lines end after '\n'; the last may be open).
std::string mask_patterns(const std::vector<std::shared_ptr<const RedactPattern>>& patterns,
                          std::string_view text, MaskCounts& counts) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    end = end == std::string_view::npos ? text.size() : end;
    std::string line(text.substr(pos, end - pos));
    for (const auto& pattern : patterns) {
      std::size_t from = 0;
      while (from <= line.size()) {
        const auto match = pattern->find(line, from);
        if (!match || match->second == 0) break;
        line.replace(match->first, match->second, kMask);
        from = match->first + kMask.size();
        ++counts.pattern_matches;
      }
    }
    out += line;
    if (end < text.size()) out += '\n';
    pos = end + 1;
  }
  return out;
}

}  // namespace

std::vector<std::string> secret_values_of(const std::vector<std::string>& environment) {
  std::vector<std::string> values;
  for (const std::string& entry : environment) {
    const std::size_t eq = entry.find('=');
    if (eq == std::string::npos || !is_secret_env_name(std::string_view(entry).substr(0, eq))) {
      continue;
    }
    std::string value = entry.substr(eq + 1);
    if (value.size() >= kMinSecretBytes) values.push_back(std::move(value));
  }
  std::sort(values.begin(), values.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() > b.size() : a < b;
  });
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

StreamMasker::StreamMasker(std::shared_ptr<const MaskRules> rules) : rules_(std::move(rules)) {}

std::string StreamMasker::push(std::string_view bytes) {
  held_.append(bytes);
  return take(safe_cut());
}

std::string StreamMasker::flush() {
  return take(held_.size());
}

std::size_t StreamMasker::safe_cut() const {
  const std::size_t n = held_.size();
  const std::vector<Region> regions = secret_regions(rules_->secrets, held_);
  std::size_t cut = n - partial_secret_tail(rules_->secrets, held_);
  // Never inside a secret (a later byte may extend it into an overlapping one), and with
  // patterns only at a line's start unless the open line is already too long.
  for (int round = 0; round < 4; ++round) {
    const std::size_t before = cut;
    for (const Region& region : regions) {
      if (region.begin < cut && cut < region.end) {
        cut = n - region.begin > kMaxHeldRegion ? region.end : region.begin;
      }
    }
    if (!rules_->patterns.empty()) {
      const std::size_t start = line_start(held_, cut);
      if (n - start <= kMaxPatternLine) cut = start;
    }
    if (cut == before) break;
  }
  for (const Region& region : regions) {
    if (region.begin < cut && cut < region.end) cut = region.end;
  }
  return cut;
}

std::string StreamMasker::take(std::size_t cut) {
  if (cut == 0) return {};
  const std::string_view final_part = std::string_view(held_).substr(0, cut);
  std::string out;
  out.reserve(cut);
  std::size_t pos = 0;
  for (const Region& region : secret_regions(rules_->secrets, final_part)) {
    out.append(final_part.substr(pos, region.begin - pos));
    out.append(kMask);
    ++counts_.secrets_masked;
    pos = region.end;
  }
  out.append(final_part.substr(pos));
  if (!rules_->patterns.empty()) out = mask_patterns(rules_->patterns, out, counts_);
  held_.erase(0, cut);
  return out;
}

std::string mask_whole(const MaskRules& rules, std::string_view bytes, MaskCounts& counts) {
  StreamMasker masker(std::shared_ptr<const MaskRules>(std::shared_ptr<void>(), &rules));
  std::string out = masker.push(bytes);
  out += masker.flush();
  counts += masker.counts();
  return out;
}

}  // namespace ctrecord
