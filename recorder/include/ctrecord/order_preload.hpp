// The LD_PRELOAD value that makes a command load the --order=exact shim
// (libctrecord_order.so), and the check that a shim path can go into LD_PRELOAD at all.
#pragma once

#include <string>
#include <string_view>

namespace ctrecord {

// Throws EnvironmentError when `shim` is not an absolute path or holds a space or a colon
// (LD_PRELOAD's separators: the loader would split it).
void check_preload_path(const std::string& shim);

// `existing` (LD_PRELOAD's value, "" when unset) with `shim` appended after a space, or `shim`
// alone; unchanged when it already names `shim`. Throws as check_preload_path().
std::string preload_with(std::string_view existing, const std::string& shim);

}  // namespace ctrecord
