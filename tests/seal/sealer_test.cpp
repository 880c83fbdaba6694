// SPDX-License-Identifier: BSD-3-Clause
// Sealer: what it writes opens only under the same key, with the same header,
// unchanged, with a key this node holds; everything else is rejected (absent),
// except where no sealing is configured (a damaged value is a read failure, as
// it always was).
#include "seal/sealer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace clustered {
namespace {

using namespace std::string_literals;

const std::string kKeyA = "first-key-of-the-secret-file-0123456789";
const std::string kKeyB = "second-key-of-the-secret-file-abcdefghij";
const std::string kData = "user|s:5:\"alice\";cart|a:1:{i:0;i:42;}";

std::shared_ptr<const Sealer> sealer(std::vector<std::string> keys,
                                     SealMode mode = SealMode::kEncrypt,
                                     bool accept_unsealed = false) {
  auto made = Sealer::with_secrets(std::move(keys), mode, accept_unsealed);
  EXPECT_TRUE(made.ok()) << made.error();
  return *made;
}

class SealModes : public ::testing::TestWithParam<SealMode> {};
INSTANTIATE_TEST_SUITE_P(Sealer, SealModes,
                         ::testing::Values(SealMode::kEncrypt, SealMode::kAuthenticate),
                         [](const auto& info) { return std::string(seal_mode_name(info.param)); });

TEST_P(SealModes, SealedValueOpensUnderItsKeyWithVersionAndForwardFlag) {
  const auto s = sealer({kKeyA}, GetParam());
  const std::string bytes = s->seal_value("sess.abc", 77, kData);
  auto opened = s->open_value("sess.abc", bytes);
  ASSERT_TRUE(opened.ok()) << opened.error();
  EXPECT_EQ(opened->payload, kData);
  EXPECT_EQ(opened->version, 77u);
  EXPECT_FALSE(opened->forward);
  auto forward =
      s->open_value("sess.old", s->seal_value("sess.old", 9, "new-n1.web2", kValueFlagForward));
  ASSERT_TRUE(forward.ok()) << forward.error();
  EXPECT_TRUE(forward->forward);
  EXPECT_EQ(forward->payload, "new-n1.web2");
}

TEST(Sealer, EncryptHidesTheSessionAndAuthenticateDoesNot) {
  const std::string encrypted = sealer({kKeyA}, SealMode::kEncrypt)->seal_value("sess.a", 1, kData);
  EXPECT_EQ(encrypted.find("alice"), std::string::npos);
  const std::string signed_only =
      sealer({kKeyA}, SealMode::kAuthenticate)->seal_value("sess.a", 1, kData);
  EXPECT_NE(signed_only.find("alice"), std::string::npos);
  // Two seals of the same value differ (random nonce): equal sessions do not show.
  const auto s = sealer({kKeyA});
  EXPECT_NE(s->seal_value("sess.a", 1, kData), s->seal_value("sess.a", 1, kData));
}

TEST_P(SealModes, ValueCopiedUnderAnotherKeyIsRejected) {
  const auto s = sealer({kKeyA}, GetParam());
  const std::string victims = s->seal_value("sess.victim", 5, kData);
  auto moved = s->open_value("sess.attacker", victims);
  ASSERT_FALSE(moved.ok());
  EXPECT_TRUE((moved.cause() == Cause::kRejected));
  EXPECT_NE(moved.error().find("does not open"), std::string::npos) << moved.error();
}

TEST_P(SealModes, EveryBitFlipAndEveryTruncationIsRejected) {
  const auto s = sealer({kKeyA}, GetParam());
  const std::string bytes = s->seal_value("sess.k", 5, "v|i:1;");
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string flipped = bytes;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
      auto opened = s->open_value("sess.k", flipped);
      ASSERT_FALSE(opened.ok()) << "byte " << i << " bit " << bit;
      EXPECT_TRUE((opened.cause() == Cause::kRejected)) << "byte " << i << ": " << opened.error();
    }
  }
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    auto opened = s->open_value("sess.k", bytes.substr(0, size));
    ASSERT_FALSE(opened.ok()) << size;
    EXPECT_TRUE((opened.cause() == Cause::kRejected)) << size;
  }
  EXPECT_FALSE(s->open_value("sess.k", bytes + "x").ok()) << "appended bytes";
}

TEST_P(SealModes, ForgedPlainValueIsRejectedUnlessUnsealedValuesAreAccepted) {
  // An attacker writes a PHP object into memcached in our plain format.
  const std::string forged = encode_value(1, "x|O:8:\"Exploit\":0:{}");
  auto refused = sealer({kKeyA}, GetParam())->open_value("sess.k", forged);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE((refused.cause() == Cause::kRejected));
  EXPECT_NE(refused.error().find("not sealed"), std::string::npos) << refused.error();
  EXPECT_FALSE(sealer({kKeyA}, GetParam())->open_value("sess.k", "garbage").ok());
  EXPECT_TRUE(sealer({kKeyA}, GetParam())->open_value("sess.k", "garbage").cause() ==
              Cause::kRejected);

  auto switching = sealer({kKeyA}, GetParam(), true)->open_value("sess.k", forged);
  ASSERT_TRUE(switching.ok()) << switching.error();
  EXPECT_EQ(switching->payload, "x|O:8:\"Exploit\":0:{}");
}

TEST(Sealer, ForgedForwardIsRejected) {
  const auto s = sealer({kKeyA});
  auto forged =
      s->open_value("sess.victim", encode_value(99, "attacker-n1.web1", kValueFlagForward));
  ASSERT_FALSE(forged.ok());
  EXPECT_TRUE((forged.cause() == Cause::kRejected));
  // Turning a sealed data value into a forward flips a header bit: the header is
  // authenticated, so it no longer opens.
  std::string bytes = s->seal_value("sess.victim", 5, "attacker-n1.web1");
  bytes[4] = static_cast<char>(bytes[4] | kValueFlagForward);
  EXPECT_TRUE(s->open_value("sess.victim", bytes).cause() == Cause::kRejected);
}

TEST(Sealer, HigherVersionWrittenIntoTheHeaderDoesNotOpen) {
  const auto s = sealer({kKeyA});
  std::string bytes = s->seal_value("sess.k", 5, kData);
  bytes[15] = '\x7f';  // the version's top byte: "newer than everything"
  EXPECT_TRUE(s->open_value("sess.k", bytes).cause() == Cause::kRejected);
}

TEST(Sealer, RotationOpensOldValuesAndSealsWithTheFirstKey) {
  const std::string old_value = sealer({kKeyA})->seal_value("sess.k", 1, "old");
  const auto rotating = sealer({kKeyB, kKeyA});
  auto opened = rotating->open_value("sess.k", old_value);
  ASSERT_TRUE(opened.ok()) << opened.error();
  EXPECT_EQ(opened->payload, "old");
  const std::string new_value = rotating->seal_value("sess.k", 2, "new");
  EXPECT_TRUE(sealer({kKeyB})->open_value("sess.k", new_value).ok());
  auto without_new_key = sealer({kKeyA})->open_value("sess.k", new_value);
  ASSERT_FALSE(without_new_key.ok());
  EXPECT_TRUE((without_new_key.cause() == Cause::kRejected));
  EXPECT_NE(without_new_key.error().find("does not hold"), std::string::npos)
      << without_new_key.error();
}

TEST(Sealer, OffWritesPlainAndStillOpensSealedValues) {
  const auto off = sealer({kKeyA}, SealMode::kOff);
  const std::string written = off->seal_value("sess.k", 3, kData);
  EXPECT_EQ(written, encode_value(3, kData));
  const std::string sealed = sealer({kKeyA})->seal_value("sess.k", 4, kData);
  auto opened = off->open_value("sess.k", sealed);
  ASSERT_TRUE(opened.ok()) << opened.error();
  EXPECT_EQ(opened->payload, kData);
  EXPECT_TRUE(off->accepts_unsealed());
  EXPECT_FALSE(off->seals_writes());
}

TEST(Sealer, NodeWithoutSecretFailsOnSealedValuesInsteadOfDroppingThem) {
  // A node not yet given the key must not start an empty session that then
  // overwrites the sealed one: a read failure, not "absent".
  const Sealer plain;
  auto opened = plain.open_value("sess.k", sealer({kKeyA})->seal_value("sess.k", 1, kData));
  ASSERT_FALSE(opened.ok());
  EXPECT_FALSE((opened.cause() == Cause::kRejected));
  EXPECT_NE(opened.error().find("no clustered_session.secret_file"), std::string::npos);
  EXPECT_FALSE(plain.open_value("sess.k", "garbage").cause() == Cause::kRejected);
  EXPECT_EQ(plain.seal_value("sess.k", 1, kData), encode_value(1, kData));
}

TEST(Sealer, NoticeRecordsOpenOnlyInTheirListAndKind) {
  const auto s = sealer({kKeyA});
  const std::string record = s->seal_record("clustered_session.moved:web1", 'l', "12345678");
  EXPECT_EQ(s->open_record("clustered_session.moved:web1", 'l', record), "12345678");
  EXPECT_FALSE(s->open_record("clustered_session.moved:web2", 'l', record));
  EXPECT_FALSE(s->open_record("clustered_session.moved:web1", 'h', record));
  EXPECT_FALSE(s->open_record("clustered_session.moved:web1", 'l', record.substr(2)));
  EXPECT_FALSE(s->open_record("clustered_session.moved:web1", 'l', "*"));
  EXPECT_FALSE(sealer({kKeyB})->open_record("clustered_session.moved:web1", 'l', record));
}

TEST(Sealer, DescriptionSaysWhetherValuesAreSealed) {
  EXPECT_NE(Sealer().description().find("not sealed"), std::string::npos);
  EXPECT_EQ(sealer({kKeyA})->description().rfind("encrypt, key ", 0), 0u)
      << sealer({kKeyA})->description();
  EXPECT_NE(
      sealer({kKeyA, kKeyB}, SealMode::kAuthenticate, true)->description().find("2 keys open"),
      std::string::npos);
}

}  // namespace
}  // namespace clustered
