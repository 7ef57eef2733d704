// The trace's record of output masking, as two notes: one after the start event saying that
// output was masked and with which --redact patterns (a replay reads them back and masks its
// own recording the same way), one before the exit event with the counts. Writer and reader
// of the text are here together so they cannot drift apart.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ctrecord/output_masker.hpp"

namespace ctrecord {

// "output masked: ...\n--redact PATTERN\n..." (patterns hold no newline).
std::string redaction_start_note(std::size_t secret_values,
                                 const std::vector<std::string>& patterns);
// The patterns of a note written by redaction_start_note; nullopt for any other note.
std::optional<std::vector<std::string>> parse_redaction_start_note(std::string_view text);

// "masked N occurrences of M secret values, K --redact matches".
std::string redaction_summary_note(const MaskCounts& counts, std::size_t secret_values);

}  // namespace ctrecord
