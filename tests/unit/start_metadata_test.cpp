// Start metadata: secret-looking variables are redacted, git HEAD is found without git.
#include "ctrecord/start_metadata.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <optional>

using namespace ctrecord;
namespace fs = std::filesystem;

TEST(StartMetadata, SecretNames) {
  for (const char* name :
       {"GITHUB_TOKEN", "my_api_token", "AWS_SECRET_ACCESS_KEY", "DB_PASSWORD", "SSH_KEY",
        "NPM_AUTH", "PGPASSWD", "GOOGLE_CREDENTIALS", "SESSION_COOKIE"}) {
    EXPECT_TRUE(is_secret_env_name(name)) << name;
  }
  for (const char* name : {"PATH", "HOME", "LANG", "TERM", "PYTHONHASHSEED"}) {
    EXPECT_FALSE(is_secret_env_name(name)) << name;
  }
}

TEST(StartMetadata, RedactedEnvironmentDropsSecretValues) {
  ::setenv("CTR_TEST_API_TOKEN", "hunter2", 1);
  ::setenv("CTR_TEST_PLAIN", "visible", 1);
  bool saw_token = false, saw_plain = false;
  for (const auto& var : redacted_environment()) {
    EXPECT_EQ(var.value.find("hunter2"), std::string::npos) << var.name;
    if (var.name == "CTR_TEST_API_TOKEN") {
      saw_token = true;
      EXPECT_TRUE(var.redacted);
      EXPECT_EQ(var.value, "");
    }
    if (var.name == "CTR_TEST_PLAIN") {
      saw_plain = true;
      EXPECT_FALSE(var.redacted);
      EXPECT_EQ(var.value, "visible");
    }
  }
  EXPECT_TRUE(saw_token);
  EXPECT_TRUE(saw_plain);
  ::unsetenv("CTR_TEST_API_TOKEN");
  ::unsetenv("CTR_TEST_PLAIN");
}

namespace {
struct TempRepo {
  fs::path root;
  TempRepo() {
    char pattern[] = "/tmp/ctr-git-XXXXXX";
    root = ::mkdtemp(pattern);
    fs::create_directories(root / ".git/refs/heads");
    fs::create_directories(root / "src/deep");
  }
  ~TempRepo() { fs::remove_all(root); }
  void write(const fs::path& rel, const std::string& text) const {
    std::ofstream(root / rel) << text;
  }
};
const std::string kCommit = "0123456789abcdef0123456789abcdef01234567";
}  // namespace

TEST(StartMetadata, GitCommitFromLooseRefInAParentFolder) {
  TempRepo repo;
  repo.write(".git/HEAD", "ref: refs/heads/main\n");
  repo.write(".git/refs/heads/main", kCommit + "\n");
  EXPECT_EQ(find_git_commit((repo.root / "src/deep").string()), kCommit);
}

TEST(StartMetadata, GitCommitFromPackedRefsAndDetachedHead) {
  TempRepo repo;
  repo.write(".git/HEAD", "ref: refs/heads/topic\n");
  repo.write(".git/packed-refs", "# pack-refs with: peeled\n" + kCommit + " refs/heads/topic\n");
  EXPECT_EQ(find_git_commit(repo.root.string()), kCommit);
  repo.write(".git/HEAD", kCommit + "\n");
  EXPECT_EQ(find_git_commit(repo.root.string()), kCommit);
}

TEST(StartMetadata, NoRepositoryGivesEmpty) {
  TempRepo repo;
  fs::remove_all(repo.root / ".git");
  // /tmp itself is not inside a repository on a sane machine.
  EXPECT_EQ(find_git_commit((repo.root / "src").string()), "");
}

TEST(StartMetadata, RecordEnvModes) {
  ::setenv("CTR_TEST_API_TOKEN", "hunter2", 1);
  ::setenv("CTR_TEST_PLAIN", "visible", 1);
  ::setenv("LC_CTR_TEST", "C", 1);
  const auto find = [](const std::vector<EnvVar>& env, const std::string& name) {
    const auto it =
        std::find_if(env.begin(), env.end(), [&](const EnvVar& v) { return v.name == name; });
    return it == env.end() ? std::optional<EnvVar>() : *it;
  };
  const auto all = recorded_environment(EnvRecording::All);
  ASSERT_TRUE(find(all, "CTR_TEST_API_TOKEN"));
  EXPECT_EQ(find(all, "CTR_TEST_API_TOKEN")->value, "hunter2");
  EXPECT_FALSE(find(all, "CTR_TEST_API_TOKEN")->redacted);
  const auto none = recorded_environment(EnvRecording::None);
  EXPECT_FALSE(find(none, "CTR_TEST_API_TOKEN"));
  EXPECT_FALSE(find(none, "CTR_TEST_PLAIN"));
  ASSERT_TRUE(find(none, "LC_CTR_TEST"));
  EXPECT_EQ(find(none, "LC_CTR_TEST")->value, "C");
  const auto safe = recorded_environment(EnvRecording::Safe);
  ASSERT_TRUE(find(safe, "CTR_TEST_API_TOKEN"));
  EXPECT_TRUE(find(safe, "CTR_TEST_API_TOKEN")->redacted);
  EXPECT_EQ(find(safe, "CTR_TEST_PLAIN")->value, "visible");
  ::unsetenv("LC_CTR_TEST");
}
