// Tests of TraceOutput: a new -o file is written in place; an existing one is replaced only by
// commit() (old contents whole until then, 0600 after), through a symlink too; devices are
// written in place.
#include "ctrecord/trace_output.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "ctrecord/errors.hpp"

namespace {

namespace fs = std::filesystem;

class TraceOutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = fs::temp_directory_path().string() + "/ctr-output-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  static void write_file(const std::string& p, const std::string& text, mode_t mode) {
    std::ofstream(p) << text;
    ASSERT_EQ(::chmod(p.c_str(), mode), 0);
  }
  static std::string read_file(const std::string& p) {
    std::ifstream in(p);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  static mode_t mode_of(const std::string& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 07777;
  }
  static void put(ctrecord::UniqueFd fd, const std::string& text) {
    ASSERT_EQ(::write(fd.get(), text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }
  std::size_t files_in_dir() const {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir_), {}));
  }

  std::string dir_;
};

TEST_F(TraceOutputTest, NewFileIsWrittenInPlaceWithMode0600) {
  const mode_t old_umask = ::umask(0);
  auto out = ctrecord::TraceOutput::open(path("new.ctrace"), false);
  ::umask(old_umask);
  EXPECT_FALSE(out.replaces_existing());
  EXPECT_EQ(out.write_path(), path("new.ctrace"));
  put(out.take_fd(), "trace");
  out.commit();
  EXPECT_EQ(read_file(path("new.ctrace")), "trace");
  EXPECT_EQ(mode_of(path("new.ctrace")), 0600u);
}

TEST_F(TraceOutputTest, ExistingFileStaysWholeUntilCommitThenBecomes0600) {
  write_file(path("old.ctrace"), "golden", 0644);
  auto out = ctrecord::TraceOutput::open(path("old.ctrace"), false);
  EXPECT_TRUE(out.replaces_existing());
  EXPECT_NE(out.write_path(), path("old.ctrace"));
  EXPECT_EQ(out.write_path().rfind(path("old.ctrace.recording-"), 0), 0u) << out.write_path();
  EXPECT_EQ(mode_of(out.write_path()), 0600u);
  put(out.take_fd(), "new trace");
  EXPECT_EQ(read_file(path("old.ctrace")), "golden");  // a crash now leaves it as it was
  const std::string temp = out.write_path();
  out.commit();
  EXPECT_EQ(read_file(path("old.ctrace")), "new trace");
  EXPECT_EQ(mode_of(path("old.ctrace")), 0600u);
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_EQ(files_in_dir(), 1u);
}

TEST_F(TraceOutputTest, WithoutCommitTheOldFileAndTheNewTraceAreBothKept) {
  write_file(path("old.ctrace"), "golden", 0600);
  auto out = ctrecord::TraceOutput::open(path("old.ctrace"), false);
  put(out.take_fd(), "half");
  EXPECT_EQ(read_file(path("old.ctrace")), "golden");
  EXPECT_EQ(read_file(out.write_path()), "half");
}

TEST_F(TraceOutputTest, SymlinkIsKeptAndItsTargetReplaced) {
  write_file(path("target.ctrace"), "golden", 0644);
  fs::create_symlink("target.ctrace", path("link.ctrace"));
  auto out = ctrecord::TraceOutput::open(path("link.ctrace"), false);
  put(out.take_fd(), "new trace");
  out.commit();
  EXPECT_TRUE(fs::is_symlink(path("link.ctrace")));
  EXPECT_EQ(read_file(path("target.ctrace")), "new trace");
  EXPECT_EQ(mode_of(path("target.ctrace")), 0600u);
}

TEST_F(TraceOutputTest, DeviceIsWrittenInPlace) {
  auto out = ctrecord::TraceOutput::open("/dev/null", false);
  EXPECT_FALSE(out.replaces_existing());
  EXPECT_EQ(out.write_path(), "/dev/null");
  put(out.take_fd(), "x");
  out.commit();
  EXPECT_EQ(mode_of("/dev/null") & 0666, 0666u);
}

TEST_F(TraceOutputTest, InPlaceCreateTraceFileRestrictsAnExistingFile) {
  write_file(path("inproc.ctrace"), "old", 0644);
  put(ctrecord::create_trace_file(path("inproc.ctrace"), false), "new");
  EXPECT_EQ(mode_of(path("inproc.ctrace")), 0600u);
}

TEST_F(TraceOutputTest, ErrorsNameThePath) {
  try {
    ctrecord::TraceOutput::open(path("missing/dir/x.ctrace"), false);
    FAIL() << "no error";
  } catch (const ctrecord::EnvironmentError& e) {
    EXPECT_NE(std::string(e.what()).find(path("missing/dir/x.ctrace")), std::string::npos);
  }
}

}  // namespace
