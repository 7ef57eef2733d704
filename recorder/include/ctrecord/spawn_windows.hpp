// Child process start-up and capture, Windows back end (the counterpart of spawn.hpp and the
// spawn loop): CreateProcessW with STARTUPINFOEX and PROC_THREAD_ATTRIBUTE_HANDLE_LIST, so the
// child inherits exactly its three standard handles (pipes made here) and nothing else the
// process holds, even handles marked inheritable; one reader thread per output pipe
// (ReadFile), mirroring to this process's stdout/stderr; stdin fed from a string or the NUL
// device; the exit code. Bytes are raw: a CRT text-mode child's "\r\n" stays "\r\n".
//
// Like ChildSpec on POSIX: a bare program name is looked up in this process's PATH (never the
// child's environment; resolve_win_command), a relative path is relative to `cwd` when that
// is set, the environment is inherited or given whole (a UTF-16 block), and a program that
// cannot be started is a WinSpawnError naming it, with the system's message and the shell's
// status (127 not found, 126 otherwise) for a caller that reports it as an exit status.
// The child's pid is in the result and given to `on_started` before any chunk is read; each
// stdout/stderr chunk's producer is the child's pid (stdin chunks: 0, as on POSIX). After the
// child exited, the output pipes are read to their end; one that sits idle for `drain_timeout`
// (a descendant still holds it) has its read cancelled and is named in `held_open`. Not done: a job
// object (descendants are neither tracked nor killed), Ctrl+C forwarding
// (docs/platform-contract.md).
#pragma once

#include <windows.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ctrecord/chunk_handler.hpp"
#include "ctrecord/errors.hpp"

namespace ctrecord {

struct WinChildSpec {
  // What to run: a path (relative to `cwd` when that is set), or a bare name (no '\', '/' or
  // ':') looked up in PATH. ".exe" is appended to a name without an extension when that file
  // exists (CreateProcess's own rule).
  std::wstring executable;
  // argv[0] first; quoted into one command line (quote_command_line: argv[0] must not
  // contain '"').
  std::vector<std::wstring> argv;
  // Fed to the child's stdin through a pipe, then closed; nullopt: stdin is the NUL device.
  std::optional<std::string> stdin_bytes;
  bool mirror = true;  // also write the output to this process's stdout/stderr
  std::wstring cwd;    // the child's working directory ("": ours)
  // The child's whole environment, "NAME=VALUE" each (sorted by name for the block, as
  // Windows wants); nullopt: ours. An entry without '=' or with a NUL is a UsageError.
  std::optional<std::vector<std::wstring>> environment;
  // After the child exited: how long an output pipe may sit idle, open but empty (a
  // descendant holding it), before its blocked read is cancelled and the stream reported in
  // held_open; output still flowing is never cut. The
  // stdin feeder is stopped as soon as the child exited (as POSIX stops stdin then).
  std::chrono::milliseconds drain_timeout{2000};
  // Called once with the child's pid right after CreateProcessW, before any chunk is read (on
  // the calling thread). If it throws, the child is terminated and the exception rethrown.
  std::function<void(DWORD pid)> on_started;
};

struct WinChildResult {
  DWORD pid = 0;  // the child's process id
  DWORD exit_code = 0;
  // From CreateProcessW's return to the wait seeing the child's exit.
  std::chrono::steady_clock::duration run_time{};
  // The first problem that left the capture incomplete: a pipe read failed before the end of
  // the stream, writing stdin failed, or the chunk handler threw ("" when none).
  std::string read_error;
  std::vector<Stream> held_open;  // output streams still held open at the drain timeout
  // With stdin_bytes: why the feeding ended, as POSIX's stdin stream_closed reasons: "eof"
  // (all written), "child-closed", "child-exited" (stopped at the child's exit),
  // "write-error". "" without stdin_bytes (stdin is NUL).
  std::string stdin_closed_reason;
};

// A program that could not be started: not found in PATH, or CreateProcessW failed.
class WinSpawnError : public EnvironmentError {
 public:
  WinSpawnError(const std::string& message, DWORD error)
      : EnvironmentError(message), error_(error) {}
  DWORD error() const noexcept { return error_; }  // the Win32 error code
  // The shell's status for it (spawn_failure_status on POSIX): 127 when the program, a
  // directory on its path or the cwd does not exist, 126 otherwise.
  int status() const noexcept {
    return error_ == ERROR_FILE_NOT_FOUND || error_ == ERROR_PATH_NOT_FOUND ||
                   error_ == ERROR_DIRECTORY
               ? 127
               : 126;
  }

 private:
  DWORD error_;
};

struct ResolvedWinCommand {
  std::wstring path;  // what to run (empty when not found)
  DWORD error = 0;    // ERROR_FILE_NOT_FOUND when path is empty
};

// Finds `name` as execvp would, with CreateProcess's ".exe" rule: a name with a '\', '/' or
// ':' is taken as given (name + ".exe" when the name has no extension and that file exists);
// a bare name is searched in the directories of `path_env` (';'-separated, quotes stripped,
// empty entries skipped; null: this process's PATH), as name.exe when it has no extension.
// Directories never match. Unlike CreateProcess with no application name, neither the
// program's own folder nor the current or system folders are searched (unless PATH has them).
ResolvedWinCommand resolve_win_command(const std::wstring& name, const wchar_t* path_env);

// Runs the child to its end and until every holder of its output pipes closed them (or until
// an output pipe sat idle for `drain_timeout` after the child's exit); each chunk read goes to
// `on_chunk` (stdout, stderr, and the stdin bytes the child was given, each piece once it was
// written into the pipe). A handler that throws does not end the run: the error is in read_error.
// Throws WinSpawnError when the program is not found or CreateProcessW fails (the program, the
// cwd if set, the system's message), UsageError for a bad environment entry or a '"' in
// argv[0], EnvironmentError when a pipe cannot be created or waiting for the child fails:
// nothing is left open then. Any failure after the child started (on_started throwing,
// a reader thread that cannot be created, a failed wait) terminates the child, stops the
// threads (bounded) and rethrows.
WinChildResult run_captured_child(const WinChildSpec& spec, const ChunkHandler& on_chunk);

// argv as one command line that CommandLineToArgvW and the CRT split back into argv. argv[0]
// follows other rules (no backslash escapes: it ends at the next '"' when quoted, else at the
// first space or tab), so it is written verbatim, in quotes when it is empty or has a space or
// tab; a '"' in it cannot be written and is a UsageError. The other arguments are escaped.
std::wstring quote_command_line(const std::vector<std::wstring>& argv);

}  // namespace ctrecord
