// The child program of the Windows spawn tests: each argument is one action, run in order.
//   out:TEXT  err:TEXT  (C stdio, CRT text mode: "\n" becomes "\r\n")
//   binout:TEXT         (stdout switched to binary mode first: "\n" stays "\n")
//   echo                (stdin copied to stdout in binary mode until its end)
//   big:N               (N bytes of 'x' to stdout, binary)
//   sleep:MS  exit:N
#include <fcntl.h>
#include <io.h>
#include <windows.h>

#include <cstdio>
#include <cstdlib>
#include <string>

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
