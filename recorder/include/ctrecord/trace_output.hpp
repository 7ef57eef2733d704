// Creating the trace file a recording writes to, and replacing an existing one atomically.
#pragma once

#include <string>

#include "ctrecord/unique_fd.hpp"

namespace ctrecord {

// Opens `path` for writing, mode 0600, close-on-exec. `exclusive` (default paths) creates the
// parent folders and refuses to overwrite (O_EXCL); otherwise an existing file is truncated
// (and a regular one set to 0600). Throws EnvironmentError naming the path and errno text.
// Used in place (in-process sessions); ctest-record uses TraceOutput.
UniqueFd create_trace_file(const std::string& path, bool exclusive);

// Where ctest-record writes a trace. A new file (or a default path) is written in place. When
// `path` names an existing regular file (or a symlink to one), the trace is written to a new
// temp file next to it, `<file>.recording-XXXXXX` (0600, O_EXCL), and commit() renames it over
// the file once the recording has ended: until then the old file stays whole, and a recorder
// killed mid-run (SIGKILL) leaves it as it was, with the temp file readable to its last frame.
// Anything else (/dev/null, a FIFO, a device) is written in place without a mode change.
class TraceOutput {
 public:
  // Throws EnvironmentError naming the path and errno text.
  static TraceOutput open(const std::string& path, bool exclusive);

  UniqueFd take_fd() { return std::move(fd_); }
  const std::string& path() const noexcept { return path_; }              // as given
  const std::string& write_path() const noexcept { return write_path_; }  // where bytes go
  bool replaces_existing() const noexcept { return !target_.empty(); }
  // Renames the temp file over the existing file; nothing to do when written in place.
  // Throws EnvironmentError (the temp file is then left where it is).
  void commit();

 private:
  UniqueFd fd_;
  std::string path_;
  std::string write_path_;
  std::string target_;  // the regular file a commit replaces (a symlink's target); "" in place
};

}  // namespace ctrecord
