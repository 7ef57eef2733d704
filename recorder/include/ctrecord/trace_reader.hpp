// TraceReader: reads a .ctrace file event by event without trusting it. Every problem
// (wrong magic, unsupported version, truncated or corrupt frame, absurd length) stops reading
// with a TraceFormatError naming the byte offset; events before it stay available. Memory is
// bounded by trace_format::kMaxFrameBytes (plus the decoded events of one frame).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ctrecord/errors.hpp"
#include "ctrecord/trace_events.hpp"

namespace ctrecord {

class TraceReader {
 public:
  // Opens `path` and checks the header. Throws EnvironmentError when the file cannot be
  // opened/read and TraceFormatError when the header is wrong (not a trace, newer version).
  explicit TraceReader(const std::string& path);
  ~TraceReader();
  TraceReader(const TraceReader&) = delete;
  TraceReader& operator=(const TraceReader&) = delete;

  // The next event, or nullopt when reading stopped: at the end of the file, or at a problem
  // (then error() says what and where).
  std::optional<TraceEvent> next();

  // True once the End event was read and nothing but EOF followed it.
  bool complete() const noexcept;
  // Why reading stopped early (truncated/corrupt frame, bytes after the end record, ...).
  const std::optional<TraceFormatError>& error() const noexcept;

  std::uint32_t format_version() const noexcept;
  std::uint64_t frames_read() const noexcept;
  std::uint64_t file_size() const noexcept;
  const std::string& path() const noexcept;

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace ctrecord
