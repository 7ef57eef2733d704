// --redact patterns: RE2 regexes over bytes (Latin-1, so any byte matches as itself) behind the
// recorder's RedactPattern interface. Used by ctest-record for --redact and by the replay for
// the patterns a trace recorded. RE2: linear time, so no pattern can hang a recording.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ctrecord/output_masker.hpp"

namespace ctreplay {

// Throws ctrecord::UsageError naming the pattern and what is wrong with it (bad regex, empty,
// a newline in it).
std::shared_ptr<const ctrecord::RedactPattern> compile_redact_pattern(const std::string& text);

std::vector<std::shared_ptr<const ctrecord::RedactPattern>> compile_redact_patterns(
    const std::vector<std::string>& texts);

}  // namespace ctreplay
