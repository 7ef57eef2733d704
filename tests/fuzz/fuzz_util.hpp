// Helpers shared by the fuzz targets and the seed generator: an in-memory file with a path
// (the reader and the rules-file parser only take paths), the trace header, one zstd frame as
// the writer makes it, and the frame separator of event_decode_fuzz's input.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "ctrecord/trace_format.hpp"

namespace ctrfuzz {

// A memfd reachable by path (/proc/self/fd/N), rewritten for every input: no disk I/O, no
// temporary files left behind by a crash. Opening the path opens the memfd afresh (own offset).
class MemFile {
 public:
  explicit MemFile(const char* name) : fd_(::memfd_create(name, MFD_CLOEXEC)) {
    if (fd_ < 0) die("memfd_create");
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemFile() { ::close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;

  void set(const void* data, std::size_t size) {
    if (::ftruncate(fd_, 0) != 0) die("ftruncate");
    const auto* bytes = static_cast<const char*>(data);
    std::size_t done = 0;
    while (done < size) {
      const ssize_t n = ::pwrite(fd_, bytes + done, size - done, static_cast<off_t>(done));
      if (n <= 0) die("pwrite");
      done += static_cast<std::size_t>(n);
    }
  }
  void set(std::string_view bytes) { set(bytes.data(), bytes.size()); }
  const std::string& path() const { return path_; }

 private:
  [[noreturn]] static void die(const char* what) {
    std::perror(what);
    std::abort();  // a harness failure, not a finding in the code under test
  }
  int fd_;
  std::string path_;
};

// The 16-byte file header: magic, u32 LE version, u32 LE flags.
inline std::string trace_header() {
  namespace tf = ctrecord::trace_format;
  std::string h(tf::kMagic.begin(), tf::kMagic.end());
  const std::uint32_t words[2] = {tf::kCurrentVersion, 0};
  for (const std::uint32_t w : words) {
    for (int i = 0; i < 4; ++i) h.push_back(static_cast<char>((w >> (8 * i)) & 0xff));
  }
  return h;
}

// event_decode_fuzz's input: frame payloads (uncompressed, encoded events) separated by this.
inline constexpr std::string_view kFrameSeparator = "CTRFRAME";

inline std::vector<std::string_view> split_frames(std::string_view input, std::size_t max_frames) {
  std::vector<std::string_view> frames;
  while (frames.size() + 1 < max_frames) {
    const auto at = input.find(kFrameSeparator);
    if (at == std::string_view::npos) break;
    frames.push_back(input.substr(0, at));
    input.remove_prefix(at + kFrameSeparator.size());
  }
  frames.push_back(input);
  return frames;
}

}  // namespace ctrfuzz
