// Creating the trace file a recording writes to.
#pragma once

#include <string>

#include "ctrecord/unique_fd.hpp"

namespace ctrecord {

// Opens `path` for writing, mode 0600, close-on-exec. `exclusive` (default paths) creates the
// parent folders and refuses to overwrite (O_EXCL); otherwise an existing file is truncated.
// Throws EnvironmentError naming the path and errno text.
UniqueFd create_trace_file(const std::string& path, bool exclusive);

}  // namespace ctrecord
