// The child program of the Windows spawn tests: each argument is one action, run in order.
//   out:TEXT  err:TEXT  (C stdio, CRT text mode: "\n" becomes "\r\n")
//   binout:TEXT         (stdout switched to binary mode first: "\n" stays "\n")
//   echo                (stdin copied to stdout in binary mode until its end)
//   big:N               (N bytes of 'x' to stdout, binary)
//   cwd                 (the working directory, UTF-8, binary: "C:\dir\n")
//   env:NAME            (NAME's value, UTF-8, binary: "value\n", or "<unset>\n")
//   read:N              (N bytes read from stdin, unbuffered, binary, and dropped)
//   pid                 (its own process id, binary: "pid:N\n")
//   arg:N               (argv[N] as the CRT split it, binary: "[text]\n")
//   wargv               (each argument as CommandLineToArgvW splits GetCommandLineW,
//                        UTF-8, binary: "[text]\n" each)
//   grandchild:MS       (starts win_child sleep:MS with this process's stdout and stderr,
//                        inherited, and does not wait for it; binary: "gpid:N\n")
//   sleep:MS  exit:N
// Without arguments, the one action in the variable WIN_CHILD_ACTION, if set (for a command
// line that the CRT under Wine cannot split: a quoted argv[0] ending in '\').
// clang-format off
#include <windows.h>  // first: shellapi.h needs its types
#include <shellapi.h>
// clang-format on
#include <fcntl.h>
#include <io.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

// `text` as UTF-8 and "\n" on stdout, in binary mode.
void print_utf8(const std::wstring& text) {
  std::string out(text.size() * 4 + 1, '\0');
  const int size = WideCharToMultiByte(CP_UTF8, 0, text.data(), static_cast<int>(text.size()),
                                       out.data(), static_cast<int>(out.size()), nullptr, nullptr);
  out.resize(static_cast<std::size_t>(size));
  out += '\n';
  std::fflush(stdout);
  _setmode(1, _O_BINARY);
  std::fwrite(out.data(), 1, out.size(), stdout);
}

void print_binary(const std::string& line) {
  std::fflush(stdout);
  _setmode(1, _O_BINARY);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

// Starts win_child sleep:MS sharing this process's stdout and stderr; returns its pid.
DWORD start_grandchild(const std::string& ms) {
  std::wstring self(32768, L'\0');
  self.resize(GetModuleFileNameW(nullptr, self.data(), static_cast<DWORD>(self.size())));
  std::wstring line = L"\"" + self + L"\" sleep:" + std::wstring(ms.begin(), ms.end());
  STARTUPINFOW startup{};
  startup.cb = sizeof(startup);
  startup.dwFlags = STARTF_USESTDHANDLES;
  startup.hStdInput = nullptr;
  startup.hStdOutput = GetStdHandle(STD_OUTPUT_HANDLE);
  startup.hStdError = GetStdHandle(STD_ERROR_HANDLE);
  SetHandleInformation(startup.hStdOutput, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
  SetHandleInformation(startup.hStdError, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
  PROCESS_INFORMATION info{};
  if (!CreateProcessW(self.c_str(), line.data(), nullptr, nullptr, TRUE, 0, nullptr, nullptr,
                      &startup, &info)) {
    std::fprintf(stderr, "win_child: CreateProcessW failed: %lu\n", GetLastError());
    std::exit(101);
  }
  CloseHandle(info.hThread);
  CloseHandle(info.hProcess);
  return info.dwProcessId;
}

}  // namespace

int main(int argc, char** argv) {
  const char* from_env = argc == 1 ? std::getenv("WIN_CHILD_ACTION") : nullptr;
  for (int i = 1; i < argc || (i == 1 && from_env != nullptr); ++i) {
    const std::string arg = i < argc ? argv[i] : from_env;
    const std::size_t colon = arg.find(':');
    const std::string action = arg.substr(0, colon);
    const std::string value = colon == std::string::npos ? "" : arg.substr(colon + 1);
    if (action == "out") {
      std::printf("%s\n", value.c_str());
    } else if (action == "err") {
      std::fprintf(stderr, "%s\n", value.c_str());
    } else if (action == "binout") {
      std::fflush(stdout);
      _setmode(1, _O_BINARY);
      std::printf("%s\n", value.c_str());
    } else if (action == "echo") {
      _setmode(0, _O_BINARY);
      _setmode(1, _O_BINARY);
      char buffer[4096];
      std::size_t got = 0;
      while ((got = std::fread(buffer, 1, sizeof buffer, stdin)) > 0)
        std::fwrite(buffer, 1, got, stdout);
    } else if (action == "expect") {  // exit 0 when stdin held exactly `value`, else 3
      _setmode(0, _O_BINARY);
      std::string input;
      char buffer[4096];
      std::size_t got = 0;
      while ((got = std::fread(buffer, 1, sizeof buffer, stdin)) > 0) input.append(buffer, got);
      if (input != value) return 3;
    } else if (action == "big") {
      std::fflush(stdout);
      _setmode(1, _O_BINARY);
      const std::string chunk(65536, 'x');
      for (long left = std::atol(value.c_str()); left > 0; left -= 65536)
        std::fwrite(chunk.data(), 1, left < 65536 ? static_cast<std::size_t>(left) : 65536, stdout);
    } else if (action == "cwd") {
      std::wstring dir(32768, L'\0');
      dir.resize(GetCurrentDirectoryW(static_cast<DWORD>(dir.size()), dir.data()));
      print_utf8(dir);
    } else if (action == "env") {
      const std::wstring name(value.begin(), value.end());  // ASCII names
      std::wstring text(32768, L'\0');
      const DWORD length =
          GetEnvironmentVariableW(name.c_str(), text.data(), static_cast<DWORD>(text.size()));
      if (length == 0 && GetLastError() == ERROR_ENVVAR_NOT_FOUND) {
        text = L"<unset>";
      } else {
        text.resize(length);
      }
      print_utf8(text);
    } else if (action == "read") {
      _setmode(0, _O_BINARY);
      std::string buffer(static_cast<std::size_t>(std::atol(value.c_str())), '\0');
      std::size_t got = 0;
      while (got < buffer.size()) {
        const int n = _read(0, buffer.data() + got, static_cast<unsigned>(buffer.size() - got));
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
      }
    } else if (action == "pid") {
      print_binary("pid:" + std::to_string(GetCurrentProcessId()) + "\n");
    } else if (action == "arg") {
      const int n = std::atoi(value.c_str());
      print_binary("[" + std::string(n < argc ? argv[n] : "<none>") + "]\n");
    } else if (action == "wargv") {
      int count = 0;
      wchar_t** args = CommandLineToArgvW(GetCommandLineW(), &count);
      for (int k = 0; k < count; ++k) {
        const std::wstring text = args[k];
        std::string out(text.size() * 4 + 1, '\0');
        out.resize(static_cast<std::size_t>(
            WideCharToMultiByte(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), out.data(),
                                static_cast<int>(out.size()), nullptr, nullptr)));
        print_binary("[" + out + "]\n");
      }
      LocalFree(args);
    } else if (action == "grandchild") {
      print_binary("gpid:" + std::to_string(start_grandchild(value)) + "\n");
    } else if (action == "sleep") {
      std::fflush(nullptr);
      Sleep(static_cast<DWORD>(std::atol(value.c_str())));
    } else if (action == "exit") {
      std::fflush(nullptr);
      return std::atoi(value.c_str());
    } else {
      std::fprintf(stderr, "win_child: unknown action %s\n", arg.c_str());
      return 100;
    }
  }
  return 0;
}
