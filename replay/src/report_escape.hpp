// Private helpers of the differ and the reports: UTF-8 validation and the JSON / XML
// escaping the reports need. Kept local to replay/ (the JSON writer in harness/ is not
// available here).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ctreplay::detail {

// Length (1-4) of the well-formed UTF-8 sequence starting at text[pos], or 0 when the bytes
// there are not one (stray continuation byte, truncated or overlong sequence, surrogate,
// beyond U+10FFFF). pos must be < text.size().
std::size_t utf8_sequence_length(std::string_view text, std::size_t pos);

bool is_valid_utf8(std::string_view text);

// Appends `text` as a JSON string literal (with the quotes). Control characters, '"' and
// '\\' are escaped as JSON requires (U+2028/U+2029 as well, for JavaScript consumers). A
// byte that is not part of well-formed UTF-8 is written as \u00XX (its Latin-1 reading),
// so the result is always valid JSON; the exact bytes are in the trace.
void append_json_string(std::string& out, std::string_view text);

// Appends `text` escaped for XML 1.0 character data or attribute values: & < > " ' as
// entities; \t \n \r as character references when `attribute` (so attribute-value
// normalisation keeps them) and \r always (parsers turn a literal CR into LF); every byte
// XML 1.0 forbids (other C0 controls, bytes of ill-formed UTF-8, U+FFFE and U+FFFF) as the
// literal text \xNN (two lowercase hex digits per byte).
void append_xml_escaped(std::string& out, std::string_view text, bool attribute);

}  // namespace ctreplay::detail
