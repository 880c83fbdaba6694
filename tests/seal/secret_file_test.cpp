// SPDX-License-Identifier: BSD-3-Clause
// read_secret_file(): a file anyone else can read, one that is missing, a key
// too short or no key at all is refused with a message naming the problem.
#include "seal/secret_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace clustered {
namespace {

class SecretFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/cs-secret-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override { (void)std::system(("rm -rf " + dir_).c_str()); }
  std::string write(const std::string& text, mode_t mode = 0600) {
    const std::string path = dir_ + "/keys";
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
    return path;
  }
  std::string dir_;
};

const std::string kKey1 = "aGVsbG8gdGhpcyBpcyBhIHRlc3Qga2V5IG9mIDMyIGI=";
const std::string kKey2 = "c2Vjb25kIGtleSBvZiB0aGUgZmlsZSwgMzIgYnl0ZXM=";

TEST_F(SecretFileTest, KeysInOrderSkippingCommentsBlankLinesAndTrailingSpace) {
  const auto keys = read_secret_file(write("# new key first\n" + kKey1 + "  \r\n\n" + kKey2));
  ASSERT_TRUE(keys.ok()) << keys.error();
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0], kKey1);
  EXPECT_EQ((*keys)[1], kKey2);
  EXPECT_TRUE(read_secret_file(write(kKey1 + "\n", 0640)).ok()) << "group-readable is fine";
}

TEST_F(SecretFileTest, MissingFileIsRefused) {
  const auto keys = read_secret_file(dir_ + "/absent");
  ASSERT_FALSE(keys.ok());
  EXPECT_NE(keys.error().find("No such file"), std::string::npos) << keys.error();
  EXPECT_NE(keys.error().find(dir_ + "/absent"), std::string::npos) << keys.error();
}

TEST_F(SecretFileTest, WorldReadableOrWritableFileIsRefused) {
  for (const mode_t mode : {0644, 0604, 0602}) {
    const auto keys = read_secret_file(write(kKey1, mode));
    ASSERT_FALSE(keys.ok()) << mode;
    EXPECT_NE(keys.error().find("every user"), std::string::npos) << keys.error();
    EXPECT_NE(keys.error().find("chmod 0600"), std::string::npos) << keys.error();
  }
}

TEST_F(SecretFileTest, ShortKeyIsRefusedWithItsLine) {
  const auto keys = read_secret_file(write(kKey1 + "\n\nshort-key\n"));
  ASSERT_FALSE(keys.ok());
  EXPECT_NE(keys.error().find("line 3"), std::string::npos) << keys.error();
  EXPECT_NE(keys.error().find("at least 32"), std::string::npos) << keys.error();
}

TEST_F(SecretFileTest, FileWithoutKeysIsRefused) {
  for (const std::string text : {"", "# only a comment\n\n"}) {
    const auto keys = read_secret_file(write(text));
    ASSERT_FALSE(keys.ok());
    EXPECT_NE(keys.error().find("holds no key"), std::string::npos) << keys.error();
  }
}

TEST_F(SecretFileTest, DirectoryAndSymbolicLinkAreRefused) {
  EXPECT_NE(read_secret_file(dir_).error().find("not a regular file"), std::string::npos);
  const std::string target = write(kKey1);
  ASSERT_EQ(::symlink(target.c_str(), (dir_ + "/link").c_str()), 0);
  EXPECT_NE(read_secret_file(dir_ + "/link").error().find("symbolic link"), std::string::npos);
}

}  // namespace
}  // namespace clustered
