// The shim's stdout/stderr: at start-up, when fd 1 (fd 2) is a capture pipe, `stdout`
// (`stderr`) becomes a fopencookie stream whose writes are sequenced writes to fd 1 (fd 2),
// buffered as glibc would have buffered the original. glibc's own stream is kept: code that
// captured it before the constructor ran (std::cout set up by a library's constructor) is
// routed to the shim's stream, and freopen or wide output hands the stream back to glibc's.
#pragma once

#include <stdio.h>

namespace ctrecord::shim {

// Constructor: installs the shim's streams where fd 1 / fd 2 is a capture pipe.
void install_std_streams() noexcept;

// The stream an interposed byte-output function should use for `fp`: the shim's stream for
// glibc's original while the shim's is installed, glibc's original for a shim stream that was
// handed back, else `fp` itself.
FILE* route(FILE* fp) noexcept;

// 1 or 2 for a shim stream (what fileno would say of glibc's stream), else -1.
int shim_stream_fd(FILE* fp) noexcept;

// Before freopen or any wide-character output on `fp`: if it is a shim stream (or the glibc
// stream one replaced), flushes the shim stream, puts glibc's stream back in stdout/stderr
// and returns it; otherwise returns `fp`.
FILE* hand_back(FILE* fp) noexcept;

// fwide(fp, 0) for a shim stream still in place: 0 before any output, -1 after (the shim's
// stream is byte-oriented); `known` false for any other stream.
int shim_stream_orientation(FILE* fp, bool& known) noexcept;

}  // namespace ctrecord::shim
