// ThreadSnapshotStore: per-thread latest context behind a mutex.
#include "ctrecord/thread_snapshot_store.hpp"

namespace ctrecord {

void ThreadSnapshotStore::set(std::thread::id thread, std::string context) {
  std::lock_guard lock(mutex_);
  latest_ = context;
  if (context.empty()) {
    by_thread_.erase(thread);  // keeps the map bounded by threads that hold a context now
  } else {
    by_thread_[thread] = std::move(context);
  }
}

std::string ThreadSnapshotStore::get(std::thread::id thread) const {
  std::lock_guard lock(mutex_);
  const auto it = by_thread_.find(thread);
  return it == by_thread_.end() ? std::string() : it->second;
}

std::string ThreadSnapshotStore::latest() const {
  std::lock_guard lock(mutex_);
  return latest_;
}

std::size_t ThreadSnapshotStore::threads() const {
  std::lock_guard lock(mutex_);
  return by_thread_.size();
}

ThreadSnapshotStore& ThreadSnapshotStore::global() {
  static ThreadSnapshotStore store;
  return store;
}

}  // namespace ctrecord
