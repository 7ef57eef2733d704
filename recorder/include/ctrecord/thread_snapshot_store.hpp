// ThreadSnapshotStore: the latest context (e.g. the running test's id) per thread, plus the
// one set most recently by any thread. Capture stamps chunks with the latter: at the
// descriptor level the writing thread of a byte is not known.
#pragma once

#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

namespace ctrecord {

class ThreadSnapshotStore {
 public:
  void set(std::thread::id thread, std::string context);
  std::string get(std::thread::id thread) const;  // "" when that thread set none
  std::string latest() const;                     // "" when none, or cleared last
  std::size_t threads() const;

  static ThreadSnapshotStore& global();  // the process-wide store behind set_context()

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::thread::id, std::string> by_thread_;
  std::string latest_;
};

}  // namespace ctrecord
