// The child program of the Windows spawn tests: each argument is one action, run in order.
//   out:TEXT  err:TEXT  (C stdio, CRT text mode: "\n" becomes "\r\n")
//   binout:TEXT         (stdout switched to binary mode first: "\n" stays "\n")
//   echo                (stdin copied to stdout in binary mode until its end)
//   big:N               (N bytes of 'x' to stdout, binary)
//   cwd                 (the working directory, UTF-8, binary: "C:\dir\n")
//   env:NAME            (NAME's value, UTF-8, binary: "value\n", or "<unset>\n")
//   sleep:MS  exit:N
#include <fcntl.h>
#include <io.h>
#include <windows.h>

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

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
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
