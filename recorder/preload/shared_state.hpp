// The shim's process-wide view of the recorder's shared memory: found and mapped once from
// CTEST_RECORD_SEQUENCER by the constructor, kept mapped for the life of the process (stdio
// flushes at exit still sequence), dropped for good when sequencing has to stop.
#pragma once

#include <ctrecord/order_protocol.hpp>

namespace ctrecord::shim {

// Maps the recorder's SharedState named by CTEST_RECORD_SEQUENCER (inherited memfd, or
// /proc/<recorder pid>/fd/<fd> when the descriptor was closed) and checks it. Returns false,
// leaving the process inactive, when anything is missing or wrong.
bool attach_from_environment() noexcept;

// The shared state while this process sequences its writes, else null (also in a vfork
// child, which shares the parent's memory but must not take the lock).
order::SharedState* active_state() noexcept;

// This process stops sequencing (the recorder disabled it, went away, or the ring stayed
// full): every later write goes straight to the real call.
void deactivate() noexcept;

// 1 (stdout) or 2 (stderr) when `fd` is one of the recorder's capture pipes (a FIFO whose
// st_dev/st_ino is the pipe's, whatever the descriptor's number), else 0. Checked with fstat
// on every call: descriptors are closed, dup2'ed and reused behind the shim's back. May change
// errno.
int capture_stream_of(const order::SharedState& state, int fd) noexcept;

}  // namespace ctrecord::shim
