// SPDX-License-Identifier: BSD-3-Clause
// The codec's sealing stage: a value opens only under the same key, with the
// same header, unchanged, with a key this node holds; everything else is
// rejected (absent), except where no sealing is configured (a damaged value is a
// read failure, as it always was).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "codec/value_codec.h"
#include "support/test_sealers.h"

namespace clustered {
namespace {

using namespace std::string_literals;

using testing::kData;
using testing::kKeyA;
using testing::kKeyB;

// A codec that seals with `keys` and does not compress.
std::shared_ptr<const ValueCodec> sealed(std::vector<std::string> keys,
                                         SealMode mode = SealMode::kEncrypt,
                                         bool accept_unsealed = false) {
  return std::make_shared<const ValueCodec>(
      testing::test_sealer(std::move(keys), mode, accept_unsealed));
}

class SealModes : public ::testing::TestWithParam<SealMode> {};
INSTANTIATE_TEST_SUITE_P(SealedValues, SealModes,
                         ::testing::Values(SealMode::kEncrypt, SealMode::kAuthenticate),
                         [](const auto& info) { return std::string(seal_mode_name(info.param)); });

TEST_P(SealModes, SealedValueOpensUnderItsKeyWithVersionAndForwardFlag) {
  const auto s = sealed({kKeyA}, GetParam());
  const std::string bytes = s->encode("sess.abc", 77, kData);
  auto opened = s->decode("sess.abc", bytes);
  ASSERT_TRUE(opened.ok()) << opened.error();
  EXPECT_EQ(opened->payload, kData);
  EXPECT_EQ(opened->version, 77u);
  EXPECT_FALSE(opened->forward);
  auto forward = s->decode("sess.old", s->encode("sess.old", 9, "new-n1.web2", kValueFlagForward));
  ASSERT_TRUE(forward.ok()) << forward.error();
  EXPECT_TRUE(forward->forward);
  EXPECT_EQ(forward->payload, "new-n1.web2");
}

TEST(SealedValues, EncryptHidesTheSessionAndAuthenticateDoesNot) {
  const std::string encrypted = sealed({kKeyA}, SealMode::kEncrypt)->encode("sess.a", 1, kData);
  EXPECT_EQ(encrypted.find("alice"), std::string::npos);
  const std::string signed_only =
      sealed({kKeyA}, SealMode::kAuthenticate)->encode("sess.a", 1, kData);
  EXPECT_NE(signed_only.find("alice"), std::string::npos);
  // Two seals of the same value differ (random nonce): equal sessions do not show.
  const auto s = sealed({kKeyA});
  EXPECT_NE(s->encode("sess.a", 1, kData), s->encode("sess.a", 1, kData));
}

TEST_P(SealModes, ValueCopiedUnderAnotherKeyIsRejected) {
  const auto s = sealed({kKeyA}, GetParam());
  const std::string victims = s->encode("sess.victim", 5, kData);
  auto moved = s->decode("sess.attacker", victims);
  ASSERT_FALSE(moved.ok());
  EXPECT_TRUE((moved.cause() == Cause::kRejected));
  EXPECT_NE(moved.error().find("does not open"), std::string::npos) << moved.error();
}

TEST_P(SealModes, EveryBitFlipAndEveryTruncationIsRejected) {
  const auto s = sealed({kKeyA}, GetParam());
  const std::string bytes = s->encode("sess.k", 5, "v|i:1;");
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string flipped = bytes;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
      auto opened = s->decode("sess.k", flipped);
      ASSERT_FALSE(opened.ok()) << "byte " << i << " bit " << bit;
      EXPECT_TRUE((opened.cause() == Cause::kRejected)) << "byte " << i << ": " << opened.error();
    }
  }
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    auto opened = s->decode("sess.k", bytes.substr(0, size));
    ASSERT_FALSE(opened.ok()) << size;
    EXPECT_TRUE((opened.cause() == Cause::kRejected)) << size;
  }
  EXPECT_FALSE(s->decode("sess.k", bytes + "x").ok()) << "appended bytes";
}

TEST_P(SealModes, ForgedPlainValueIsRejectedUnlessUnsealedValuesAreAccepted) {
  // An attacker writes a PHP object into memcached in our plain format.
  const std::string forged = encode_value(1, "x|O:8:\"Exploit\":0:{}");
  auto refused = sealed({kKeyA}, GetParam())->decode("sess.k", forged);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE((refused.cause() == Cause::kRejected));
  EXPECT_NE(refused.error().find("not sealed"), std::string::npos) << refused.error();
  EXPECT_FALSE(sealed({kKeyA}, GetParam())->decode("sess.k", "garbage").ok());
  EXPECT_TRUE(sealed({kKeyA}, GetParam())->decode("sess.k", "garbage").cause() == Cause::kRejected);

  auto switching = sealed({kKeyA}, GetParam(), true)->decode("sess.k", forged);
  ASSERT_TRUE(switching.ok()) << switching.error();
  EXPECT_EQ(switching->payload, "x|O:8:\"Exploit\":0:{}");
}

TEST(SealedValues, ForgedForwardIsRejected) {
  const auto s = sealed({kKeyA});
  auto forged = s->decode("sess.victim", encode_value(99, "attacker-n1.web1", kValueFlagForward));
  ASSERT_FALSE(forged.ok());
  EXPECT_TRUE((forged.cause() == Cause::kRejected));
  // Turning a sealed data value into a forward flips a header bit: the header is
  // authenticated, so it no longer opens.
  std::string bytes = s->encode("sess.victim", 5, "attacker-n1.web1");
  bytes[4] = static_cast<char>(bytes[4] | kValueFlagForward);
  EXPECT_TRUE(s->decode("sess.victim", bytes).cause() == Cause::kRejected);
}

TEST(SealedValues, HigherVersionWrittenIntoTheHeaderDoesNotOpen) {
  const auto s = sealed({kKeyA});
  std::string bytes = s->encode("sess.k", 5, kData);
  bytes[15] = '\x7f';  // the version's top byte: "newer than everything"
  EXPECT_TRUE(s->decode("sess.k", bytes).cause() == Cause::kRejected);
}

TEST(SealedValues, RotationOpensOldValuesAndSealsWithTheFirstKey) {
  const std::string old_value = sealed({kKeyA})->encode("sess.k", 1, "old");
  const auto rotating = sealed({kKeyB, kKeyA});
  auto opened = rotating->decode("sess.k", old_value);
  ASSERT_TRUE(opened.ok()) << opened.error();
  EXPECT_EQ(opened->payload, "old");
  const std::string new_value = rotating->encode("sess.k", 2, "new");
  EXPECT_TRUE(sealed({kKeyB})->decode("sess.k", new_value).ok());
  auto without_new_key = sealed({kKeyA})->decode("sess.k", new_value);
  ASSERT_FALSE(without_new_key.ok());
  EXPECT_TRUE((without_new_key.cause() == Cause::kRejected));
  EXPECT_NE(without_new_key.error().find("does not hold"), std::string::npos)
      << without_new_key.error();
}

TEST(SealedValues, OffWritesPlainAndStillOpensSealedValues) {
  const auto off = sealed({kKeyA}, SealMode::kOff);
  const std::string written = off->encode("sess.k", 3, kData);
  EXPECT_EQ(written, encode_value(3, kData));
  const std::string sealed_value = sealed({kKeyA})->encode("sess.k", 4, kData);
  auto opened = off->decode("sess.k", sealed_value);
  ASSERT_TRUE(opened.ok()) << opened.error();
  EXPECT_EQ(opened->payload, kData);
  EXPECT_TRUE(off->sealer().accepts_unsealed());
  EXPECT_FALSE(off->sealer().seals_writes());
}

TEST(SealedValues, NodeWithoutSecretFailsOnSealedValuesInsteadOfDroppingThem) {
  // A node not yet given the key must not start an empty session that then
  // overwrites the sealed one: a read failure, not "absent".
  const ValueCodec plain;
  auto opened = plain.decode("sess.k", sealed({kKeyA})->encode("sess.k", 1, kData));
  ASSERT_FALSE(opened.ok());
  EXPECT_FALSE((opened.cause() == Cause::kRejected));
  EXPECT_NE(opened.error().find("no clustered_session.secret_file"), std::string::npos);
  EXPECT_FALSE(plain.decode("sess.k", "garbage").cause() == Cause::kRejected);
  EXPECT_EQ(plain.encode("sess.k", 1, kData), encode_value(1, kData));
}

}  // namespace
}  // namespace clustered
