// The recorder's own fds 0/1/2 as it found them. Closed ones are occupied with /dev/null at
// start-up so no descriptor the recorder opens later can land on 0/1/2 (and be mistaken for a
// standard stream). The child gets a closed stdin closed again; a closed stdout/stderr is
// still captured through a pipe (so the command's writes succeed and are recorded, with no
// console to mirror to); with capture off the child gets all three exactly as they were.
#pragma once

#include <array>

namespace ctrecord {

struct StdFdState {
  std::array<bool, 3> was_closed{};
  std::array<bool, 3> isatty{};
};

// Call first thing in main, before anything opens a descriptor.
StdFdState guard_std_fds() noexcept;

}  // namespace ctrecord
