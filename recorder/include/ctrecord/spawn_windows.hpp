// Child process start-up and capture, Windows back end (the counterpart of spawn.hpp and the
// spawn loop): CreateProcessW with STARTUPINFOEX and PROC_THREAD_ATTRIBUTE_HANDLE_LIST, so the
// child inherits exactly its three standard handles (pipes made here) and nothing else the
// process holds, even handles marked inheritable; one reader thread per output pipe
// (ReadFile), mirroring to this process's stdout/stderr; stdin fed from a string or the NUL
// device; the exit code. Bytes are raw: a CRT text-mode child's "\r\n" stays "\r\n".
#pragma once

#include <windows.h>

#include <optional>
#include <string>
#include <vector>

#include "ctrecord/chunk_handler.hpp"

namespace ctrecord {

struct WinChildSpec {
  std::wstring executable;         // full path of the .exe
  std::vector<std::wstring> argv;  // argv[0] first; quoted into one command line
  // Fed to the child's stdin through a pipe, then closed; nullopt: stdin is the NUL device.
  std::optional<std::string> stdin_bytes;
  bool mirror = true;  // also write the output to this process's stdout/stderr
};

struct WinChildResult {
  DWORD exit_code = 0;
  std::string read_error;  // set when a pipe read failed before the end of the stream
};

// Runs the child to its end and until every holder of its output pipes closed them; each
// chunk read goes to `on_chunk` (stdout, stderr and the stdin bytes the child was given).
// Throws EnvironmentError when a pipe or the process cannot be created (the path and the
// system's message): nothing is left open then.
WinChildResult run_captured_child(const WinChildSpec& spec, const ChunkHandler& on_chunk);

// argv as one command line that CommandLineToArgvW and the CRT split back into argv.
std::wstring quote_command_line(const std::vector<std::wstring>& argv);

}  // namespace ctrecord
