// flush_std_streams(): what a capture does before it swaps or restores the standard
// descriptors, on every platform, so bytes buffered before go where they were meant to.
#pragma once

namespace ctrecord {

// fflush(nullptr) and the narrow C++ standard streams (cout, cerr, clog).
void flush_std_streams();

}  // namespace ctrecord
