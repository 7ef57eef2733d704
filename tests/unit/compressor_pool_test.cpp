// CompressorPool and the writer host's parallel, adaptive compression: frames come back in
// submission order whatever order the workers finish in, every frame decompresses to its
// input, and a trace written while compression falls behind (faster levels) still reads back
// event for event, with a note saying which levels were used.
#include "ctrecord/compressor_pool.hpp"

#include <gtest/gtest.h>
#include <zstd.h>

#include <random>

#include "ctrecord/trace_file_writer.hpp"
#include "ctrecord/trace_reader.hpp"
#include "ctrecord/trace_writer_host.hpp"
#include "trace_test_util.hpp"

using namespace ctrecord;

namespace {

std::string text_of(std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s;
  while (s.size() < size) {
    s += "tests/test_mod.py::test_case[" + std::to_string(rng() % 1000) + "] PASSED in " +
         std::to_string(rng() % 100) + "ms\n";
  }
  s.resize(size);
  return s;
}

std::string decompress(const std::string& frame) {
  const auto size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  EXPECT_NE(size, ZSTD_CONTENTSIZE_UNKNOWN);
  EXPECT_NE(size, ZSTD_CONTENTSIZE_ERROR);
  std::string out(static_cast<std::size_t>(size), '\0');
  const auto n = ZSTD_decompress(out.data(), out.size(), frame.data(), frame.size());
  EXPECT_FALSE(ZSTD_isError(n)) << ZSTD_getErrorName(n);
  out.resize(n);
  return out;
}

}  // namespace

TEST(CompressorPool, ResultsComeBackInSubmissionOrder) {
  CompressorPool pool(3);
  std::vector<std::string> inputs;
  std::vector<CompressedFrame> outputs;
  // Large and small frames mixed, so later small ones finish before earlier large ones.
  for (unsigned i = 0; i < 40; ++i) {
    inputs.push_back(text_of(i % 4 == 0 ? 600000 : 100 + i, i));
    pool.submit(EncodedFrame{inputs.back(), i}, i % 3 == 0 ? 3 : -50);
    while (pool.in_flight() > 6) outputs.push_back(pool.pop_oldest());
    while (auto ready = pool.pop_ready()) outputs.push_back(std::move(*ready));
  }
  while (pool.in_flight() > 0) outputs.push_back(pool.pop_oldest());
  ASSERT_EQ(outputs.size(), inputs.size());
  for (unsigned i = 0; i < outputs.size(); ++i) {
    EXPECT_EQ(outputs[i].events, i);
    EXPECT_EQ(outputs[i].level, i % 3 == 0 ? 3 : -50);
    EXPECT_EQ(outputs[i].input_bytes, inputs[i].size());
    EXPECT_TRUE(outputs[i].error.empty()) << outputs[i].error;
    EXPECT_EQ(decompress(outputs[i].data), inputs[i]) << "frame " << i;
  }
  EXPECT_EQ(pool.waiting(), 0u);
}

TEST(CompressorPool, DestructorFinishesSubmittedJobs) {
  auto pool = std::make_unique<CompressorPool>(1);
  for (unsigned i = 0; i < 5; ++i) pool->submit(EncodedFrame{text_of(200000, i), 1}, 1);
  pool.reset();  // must not hang or crash with jobs queued
}

TEST(TraceWriterHost, FallingBehindUsesFasterLevelsAndLosesNothing) {
  ctrtest::TempFile file;
  std::vector<std::string> payloads;
  std::map<int, std::uint64_t> levels;
  {
    TraceWriterHostOptions options;
    options.frame_bytes = 64 << 10;
    options.compression_level = 19;  // slow on purpose: compression cannot keep up
    options.compression_threads = 1;
    TraceWriterHost host(
        std::make_unique<TraceFileWriter>(ctrtest::open_for_writing(file.path()), file.path()),
        options);
    for (unsigned i = 0; i < 200; ++i) {
      payloads.push_back(text_of(32 << 10, i));
      IoChunk chunk;
      chunk.stream = Stream::Stdout;
      chunk.t_ns = i;
      chunk.bytes = payloads.back();
      ASSERT_TRUE(host.post(std::move(chunk)));
    }
    const auto error = host.finish([](const TraceWriterStats&) { return EndEvent{}; });
    ASSERT_FALSE(error) << *error;
    levels = host.frames_by_level();
  }
  std::uint64_t faster = 0, total = 0;
  for (const auto& [level, frames] : levels) {
    total += frames;
    if (level < 19) faster += frames;
  }
  EXPECT_EQ(total, 100u);  // 200 x 32 KiB in 64 KiB frames
  EXPECT_GT(faster, 0u) << "level 19 on one thread kept up with an unthrottled producer?";
  TraceReader reader(file.path());
  std::size_t next = 0;
  bool noted = false;
  while (auto event = reader.next()) {
    if (const auto* chunk = std::get_if<IoChunk>(&*event)) {
      ASSERT_LT(next, payloads.size());
      EXPECT_EQ(chunk->bytes, payloads[next]) << "chunk " << next;
      ++next;
    } else if (const auto* note = std::get_if<NoteEvent>(&*event)) {
      noted = note->text.find("compression fell behind") != std::string::npos;
    }
  }
  EXPECT_TRUE(reader.complete());
  EXPECT_EQ(next, payloads.size());
  EXPECT_TRUE(noted) << "no note about the faster levels";
}

TEST(TraceWriterHost, FixedLevelWhenNotAdaptive) {
  ctrtest::TempFile file;
  std::map<int, std::uint64_t> levels;
  {
    TraceWriterHostOptions options;
    options.frame_bytes = 64 << 10;
    options.compression_level = 5;
    options.adaptive_compression = false;
    options.compression_threads = 1;
    TraceWriterHost host(
        std::make_unique<TraceFileWriter>(ctrtest::open_for_writing(file.path()), file.path()),
        options);
    for (unsigned i = 0; i < 50; ++i) {
      IoChunk chunk;
      chunk.bytes = text_of(32 << 10, i);
      ASSERT_TRUE(host.post(std::move(chunk)));
    }
    ASSERT_FALSE(host.finish([](const TraceWriterStats&) { return EndEvent{}; }));
    levels = host.frames_by_level();
  }
  ASSERT_EQ(levels.size(), 1u);
  EXPECT_EQ(levels.begin()->first, 5);
}
