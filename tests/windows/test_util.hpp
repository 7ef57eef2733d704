// Helpers of the Windows back-end tests: a thread-safe chunk collector and the path of the
// win_child fixture (next to the test binary).
#pragma once

#include <windows.h>

#include <mutex>
#include <string>
#include <vector>

#include "ctrecord/chunk_handler.hpp"
#include "ctrecord/spawn_windows.hpp"

class ChunkCollector {
 public:
  ctrecord::ChunkHandler handler() {
    return [this](ctrecord::IoChunk chunk) {
      std::lock_guard lock(mutex_);
      chunks_.push_back(std::move(chunk));
    };
  }
  // Every byte of one stream, in the order read.
  std::string bytes(ctrecord::Stream stream) {
    std::lock_guard lock(mutex_);
    std::string all;
    for (const auto& chunk : chunks_)
      if (chunk.stream == stream) all += chunk.bytes;
    return all;
  }

 private:
  std::mutex mutex_;
  std::vector<ctrecord::IoChunk> chunks_;
};

inline std::wstring fixture_path(const wchar_t* name) {
  std::wstring path(MAX_PATH, L'\0');
  const DWORD length = GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size()));
  path.resize(length);
  return path.substr(0, path.find_last_of(L"\\/") + 1) + name;
}

// A spec that runs the win_child fixture (next to the test binary) with `args` as its
// actions, without mirroring its output.
inline ctrecord::WinChildSpec child(std::vector<std::wstring> args) {
  ctrecord::WinChildSpec spec;
  spec.executable = fixture_path(L"win_child.exe");
  spec.argv.push_back(spec.executable);
  for (auto& arg : args) spec.argv.push_back(std::move(arg));
  spec.mirror = false;
  return spec;
}
