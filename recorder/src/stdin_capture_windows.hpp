// Windows back end of in-process capture: StdinCapture, what WinSession does with standard
// input (CRT descriptor 0 and STD_INPUT_HANDLE). The counterpart of POSIX Session's stdin
// handling (StdinRelay + FileStdin):
//
//   - a regular file (GetFileType == FILE_TYPE_DISK) stays in place, untouched; stop() reads
//     back the range between the file position at start and the position at stop (through a
//     DuplicateHandle copy: same file object, same position) and hands it on as stdin chunks.
//     No read-ahead, so nothing is unconsumed.
//   - anything else (pipe, console, NUL, unknown): descriptor 0's handle is kept out of the
//     CRT's close and given back at stop, the same value (the _dup2 trap, see
//     std_stream_swap_windows.hpp), a pipe's read end becomes descriptor 0 in the original
//     mode and the std handle, and a feeder thread reads a duplicate of the original stdin
//     and writes into the pipe, handing what it fed on as stdin chunks. At stop the
//     original is put back first, then the feeder is stopped even when it is blocked in
//     ReadFile (nothing to read) or WriteFile (the program stopped reading): the blocked call
//     is cancelled with CancelSynchronousIo while our copy of the read end is drained, which
//     also makes room for a blocked write. Bytes fed but never read by the program, plus bytes
//     read from the original but never fed, are the unconsumed count: later readers of stdin
//     will not see them.
//   - descriptor 0 not open: left alone, nothing recorded.
#pragma once

#include <windows.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "ctrecord/win_handle.hpp"
#include "pipe_reader_windows.hpp"

namespace ctrecord {

class StdinCapture {
 public:
  enum class Mode { Closed, File, Forwarded };

  struct Result {
    std::uint64_t unconsumed_bytes = 0;  // read ahead from the original, never read by the program
    std::string error;                   // the capture of stdin is incomplete ("" when it is not)
    // Why the stdin stream ended, as POSIX's stream_closed reasons: "file-consumed" (a file),
    // "eof" (the original ended before stop), "session-stopped"; "" when nothing was captured.
    std::string closed_reason;
  };

  // Looks at descriptor 0 and sets up the capture for its kind. Throws EnvironmentError with
  // nothing changed. `sink` must outlive this object.
  explicit StdinCapture(ChunkSink& sink);
  StdinCapture(const StdinCapture&) = delete;
  StdinCapture& operator=(const StdinCapture&) = delete;
  ~StdinCapture();  // stop() when it was not called

  Mode mode() const noexcept { return mode_; }
  // Puts descriptor 0 and STD_INPUT_HANDLE back (the same file; the text/binary mode as at
  // start), stops the feeder, records a file's consumed range. Never blocks for long. The
  // second call returns an empty result.
  Result stop() noexcept;

 private:
  void start_forwarding(HANDLE fd_handle);
  void feed() noexcept;
  void set_error(const char* what, DWORD err) noexcept;
  std::uint64_t drain_pipe() noexcept;
  Result record_file_range() noexcept;
  Result record_file_range_or_throw();

  ChunkSink& sink_;
  Mode mode_ = Mode::Closed;
  bool stopped_ = false;
  // File mode.
  UniqueHandle file_;  // DuplicateHandle of descriptor 0's handle (shares the file position)
  LARGE_INTEGER start_position_{};
  // Forwarded mode.
  HANDLE original_std_ = nullptr;  // GetStdHandle value at start (not owned)
  int text_mode_ = 0;         // descriptor 0's _setmode mode at start (text, binary, _O_U16TEXT...)
  HANDLE kept_ = nullptr;     // descriptor 0's handle at start, given back at stop
  UniqueHandle source_copy_;  // a duplicate of it: the feeder's source
  HANDLE source_ = nullptr;   // source_copy_.get()
  bool source_is_pipe_ = false;  // a zero-byte read is not the end of a pipe
  bool swapped_ = false;
  UniqueHandle pipe_read_copy_;  // our copy of the pipe's read end: counts what is left unread
  UniqueHandle pipe_write_;      // the feeder's end; closed at the original's end
  UniqueHandle finished_;        // manual-reset event, set when the feeder returns
  std::atomic<bool> cancelled_{false};
  bool source_ended_ = false;       // the feeder's; read after join: the original reached its end
  std::uint64_t unfed_bytes_ = 0;   // feeder only until joined
  std::string error_;               // feeder only until joined
  std::unique_ptr<char[]> buffer_;  // the feeder's, allocated before it starts
  std::thread thread_;
};

}  // namespace ctrecord
