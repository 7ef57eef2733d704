// Tests of --keep's retention: only default-named traces of the same program, regular files,
// oldest first; and the default name pattern itself.
#include "ctharness/trace_retention.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

namespace {

namespace fs = std::filesystem;

TEST(TraceRetention, DefaultNamePattern) {
  EXPECT_TRUE(ctharness::is_default_trace_name("prog-20260102T030405Z-123.ctrace", "prog"));
  EXPECT_FALSE(ctharness::is_default_trace_name("prog-20260102T030405Z-.ctrace", "prog"));
  EXPECT_FALSE(ctharness::is_default_trace_name("prog-20260102T030405Z-12x.ctrace", "prog"));
  EXPECT_FALSE(ctharness::is_default_trace_name("prog-2026010T030405Z-123.ctrace", "prog"));
  EXPECT_FALSE(ctharness::is_default_trace_name("prog-20260102T030405Z-123.ctrace.bak", "prog"));
  EXPECT_FALSE(ctharness::is_default_trace_name("prog2-20260102T030405Z-123.ctrace", "prog"));
  EXPECT_FALSE(ctharness::is_default_trace_name("other-20260102T030405Z-123.ctrace", "prog"));
  EXPECT_FALSE(ctharness::is_default_trace_name("golden.ctrace", "prog"));
}

TEST(TraceRetention, RemovesOnlyTheOldestDefaultTracesOfTheProgram) {
  std::string pattern = fs::temp_directory_path().string() + "/ctr-keep-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  const std::string dir = pattern;
  const auto touch = [&](const std::string& name) { std::ofstream(dir + "/" + name) << "x"; };
  for (const char* name : {"prog-20260101T000000Z-9.ctrace", "prog-20260103T000000Z-1.ctrace",
                           "prog-20260102T000000Z-5.ctrace", "prog-20260104T000000Z-2.ctrace",
                           "other-20250101T000000Z-1.ctrace", "prog-golden.ctrace", "notes.txt"}) {
    touch(name);
  }
  fs::create_symlink("prog-20260104T000000Z-2.ctrace", dir + "/prog-20200101T000000Z-3.ctrace");
  const auto removed = ctharness::prune_default_traces(dir, "prog", 2);
  EXPECT_EQ(removed.size(), 2u);
  std::set<std::string> left;
  for (const auto& entry : fs::directory_iterator(dir)) left.insert(entry.path().filename());
  EXPECT_EQ(left, (std::set<std::string>{"prog-20260103T000000Z-1.ctrace",
                                         "prog-20260104T000000Z-2.ctrace",
                                         "other-20250101T000000Z-1.ctrace", "prog-golden.ctrace",
                                         "notes.txt", "prog-20200101T000000Z-3.ctrace"}));
  EXPECT_TRUE(ctharness::prune_default_traces(dir, "prog", 2).empty());
  fs::remove_all(dir);
}

}  // namespace
