// Finding the --order=exact shim (CTEST_RECORD_SHIM, build tree, install tree) and putting it
// into LD_PRELOAD.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "ctharness/order_shim.hpp"
#include "ctrecord/errors.hpp"
#include "ctrecord/order_preload.hpp"
#include "trace_test_util.hpp"

namespace {

namespace fs = std::filesystem;
using ctharness::find_order_shim;
using ctrecord::EnvironmentError;

// A fake prefix: <dir>/bin is where the executable is.
struct Tree {
  ctrtest::TempFile marker{"x"};
  fs::path root = fs::path(marker.path()).parent_path() / "tree";
  Tree() { fs::create_directories(root / "bin"); }
  ~Tree() { fs::remove_all(root); }
  std::string put(const fs::path& relative) {
    const fs::path path = root / relative;
    fs::create_directories(path.parent_path());
    ctrtest::write_file(path.string(), "");
    return path.string();
  }
  std::string bin() const { return (root / "bin").string(); }
};

std::string error_of(const char* env, const std::string& dir) {
  try {
    find_order_shim(env, dir);
  } catch (const EnvironmentError& e) {
    return e.what();
  }
  return "";
}

TEST(OrderShimLookup, FoundInTheBuildTreeThenTheInstallTree) {
  Tree tree;
  const std::string installed = tree.put("lib/ctest-record/libctrecord_order.so");
  EXPECT_EQ(find_order_shim(nullptr, tree.bin()), installed);
  const std::string built = tree.put("recorder/libctrecord_order.so");
  EXPECT_EQ(find_order_shim("", tree.bin()), built);
  EXPECT_EQ(ctharness::order_shim_candidates(tree.bin()),
            (std::vector<std::string>{built, installed}));
}

TEST(OrderShimLookup, MissingIsAnEnvironmentErrorNamingEveryPathTried) {
  Tree tree;
  const std::string text = error_of(nullptr, tree.bin());
  for (const auto& path : ctharness::order_shim_candidates(tree.bin())) {
    EXPECT_NE(text.find(path + " (No such file or directory)"), std::string::npos) << text;
  }
  EXPECT_NE(text.find("CTEST_RECORD_SHIM"), std::string::npos) << text;
  EXPECT_NE(text.find("--order=read"), std::string::npos) << text;
}

TEST(OrderShimLookup, TheEnvironmentVariableWinsAndIsChecked) {
  Tree tree;
  tree.put("recorder/libctrecord_order.so");
  const std::string mine = tree.put("elsewhere/my-shim.so");
  EXPECT_EQ(find_order_shim(mine.c_str(), tree.bin()), mine);
  const std::string missing = (tree.root / "nope.so").string();
  const std::string text = error_of(missing.c_str(), tree.bin());
  EXPECT_NE(text.find("CTEST_RECORD_SHIM=" + missing), std::string::npos) << text;
  EXPECT_NE(text.find("No such file or directory"), std::string::npos) << text;
  EXPECT_NE(error_of(tree.bin().c_str(), tree.bin()).find("not a regular file"), std::string::npos);
  // Relative: from the current folder, made absolute (LD_PRELOAD needs that).
  const fs::path here = fs::current_path();
  fs::current_path(tree.root);
  const std::string relative = find_order_shim("elsewhere/my-shim.so", "");
  fs::current_path(here);
  EXPECT_EQ(relative, mine);
}

TEST(OrderShimLookup, APathWithASpaceOrAColonIsRefused) {
  Tree tree;
  for (const char* name : {"with space/libctrecord_order.so", "with:colon/x.so"}) {
    const std::string path = tree.put(name);
    const std::string text = error_of(path.c_str(), tree.bin());
    EXPECT_NE(text.find("space or a colon"), std::string::npos) << text;
    EXPECT_NE(text.find(path), std::string::npos) << text;
  }
}

TEST(OrderPreload, ShimIsAppendedToWhatIsPreloadedAlready) {
  using ctrecord::preload_with;
  EXPECT_EQ(preload_with("", "/p/shim.so"), "/p/shim.so");
  EXPECT_EQ(preload_with("  ", "/p/shim.so"), "/p/shim.so");
  EXPECT_EQ(preload_with("libasan.so.8", "/p/shim.so"), "libasan.so.8 /p/shim.so");
  EXPECT_EQ(preload_with("/a.so:/b.so", "/p/shim.so"), "/a.so:/b.so /p/shim.so");
  EXPECT_EQ(preload_with("/a.so /p/shim.so", "/p/shim.so"), "/a.so /p/shim.so");  // once
  EXPECT_EQ(preload_with("/p/shim.so:/a.so", "/p/shim.so"), "/p/shim.so:/a.so");
  EXPECT_THROW(preload_with("", "relative/shim.so"), EnvironmentError);
  EXPECT_THROW(preload_with("", "/a b/shim.so"), EnvironmentError);
  EXPECT_THROW(preload_with("", "/a:b/shim.so"), EnvironmentError);
}

}  // namespace
