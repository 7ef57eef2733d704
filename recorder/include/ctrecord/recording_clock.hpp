// RecordingClock: monotonic nanoseconds since the recording started (steady_clock), the time
// base of every event in a trace.
#pragma once

#include <chrono>
#include <cstdint>

namespace ctrecord {

class RecordingClock {
 public:
  RecordingClock() : start_(std::chrono::steady_clock::now()) {}
  std::uint64_t now_ns() const {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::steady_clock::now() - start_)
                                          .count());
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

}  // namespace ctrecord
