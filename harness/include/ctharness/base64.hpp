// Base64 (RFC 4648, standard alphabet, with padding) for byte payloads in JSON output.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ctharness {

std::string base64_encode(std::string_view bytes);
// nullopt when `text` is not canonical padded base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace ctharness
