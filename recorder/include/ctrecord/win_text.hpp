// Windows back end: text between the system's UTF-16 (wide) strings and the UTF-8 the trace
// holds. Ill-formed UTF-16 (a lone surrogate) becomes U+FFFD; ill-formed UTF-8, the same.
#pragma once

#include <string>
#include <string_view>

namespace ctrecord {

std::string utf8_from_wide(std::wstring_view text);
std::wstring wide_from_utf8(std::string_view text);

}  // namespace ctrecord
