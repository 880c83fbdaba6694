// SPDX-License-Identifier: BSD-3-Clause
// The codec's pipeline: session bytes -> compress -> seal -> header, and back.
// What is compressed reads back on any node of this release; what an older
// release wrote (no compression flag) reads as before; a forged or damaged
// compressed value is a read failure that allocates nothing near its claim.
#include "codec/value_codec.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace clustered {
namespace {

const std::string kKey = "first-key-of-the-secret-file-0123456789";

// A session as a shop writes it: cart lines as PHP serializes them.
std::string shop_session(int lines) {
  std::string data = "user|s:5:\"alice\";token|s:32:\"0123456789abcdef0123456789abcdef\";cart|a:" +
                     std::to_string(lines) + ":{";
  for (int i = 0; i < lines; ++i) {
    const std::string sku = "SKU" + std::to_string(10000 + i);
    data += "i:" + std::to_string(i) + ";a:3:{s:3:\"sku\";s:" + std::to_string(sku.size()) + ":\"" +
            sku + "\";s:3:\"qty\";i:" + std::to_string(1 + i % 5) + ";s:5:\"price\";d:19.99;}";
  }
  return data + "}";
}

std::shared_ptr<const Sealer> sealing(SealMode mode = SealMode::kEncrypt) {
  auto made = Sealer::with_secrets({kKey}, mode, false);
  EXPECT_TRUE(made.ok()) << made.error();
  return *made;
}

class Algorithms : public ::testing::TestWithParam<Compression> {};
INSTANTIATE_TEST_SUITE_P(ValueCodec, Algorithms,
                         ::testing::Values(Compression::kLz4, Compression::kZstd),
                         [](const auto& info) {
                           return std::string(compression_name(info.param));
                         });

TEST_P(Algorithms, LargeSessionIsStoredCompressedAndReadsBack) {
  const ValueCodec codec(nullptr, {GetParam(), 2048, 3});
  const std::string data = shop_session(3000);
  const std::string bytes = codec.encode("sess.a", 7, data);
  EXPECT_LT(bytes.size(), data.size() / 4) << "a cart compresses well";
  auto read = ValueCodec().decode("sess.a", bytes);  // any node, whatever its setting
  ASSERT_TRUE(read.ok()) << read.error();
  EXPECT_EQ(read->payload, data);
  EXPECT_EQ(read->version, 7u);
  EXPECT_NE(read->compressed, 0u);
  EXPECT_EQ(read->original_size, data.size());
}

TEST_P(Algorithms, CompressedThenSealedOpens) {
  for (SealMode mode : {SealMode::kEncrypt, SealMode::kAuthenticate}) {
    const ValueCodec codec(sealing(mode), {GetParam(), 0, 1});
    const std::string data = shop_session(50);
    const std::string bytes = codec.encode("sess.a", 3, data);
    auto read = codec.decode("sess.a", bytes);
    ASSERT_TRUE(read.ok()) << read.error();
    EXPECT_EQ(read->payload, data);
    EXPECT_NE(read->sealed, 0u);
    EXPECT_NE(read->compressed, 0u);
    if (mode == SealMode::kEncrypt) {
      EXPECT_EQ(bytes.find("alice"), std::string::npos) << "compressed, then encrypted";
    }
  }
}

TEST_P(Algorithms, CompressionFlagOrSizeChangedInASealedHeaderDoesNotOpen) {
  const ValueCodec codec(sealing(), {GetParam(), 0, 1});
  const std::string bytes = codec.encode("sess.a", 3, shop_session(50));
  std::string unflagged = bytes;
  unflagged[4] = static_cast<char>(unflagged[4] & ~(kValueFlagsCompressed));
  EXPECT_EQ(codec.decode("sess.a", unflagged).cause(), Cause::kRejected);
  std::string resized = bytes;
  resized[23] = static_cast<char>(resized[23] ^ 1);
  EXPECT_EQ(codec.decode("sess.a", resized).cause(), Cause::kRejected);
}

TEST(ValueCodec, SessionsUnderTheThresholdAndForwardsAreStoredRaw) {
  const ValueCodec codec(nullptr, {Compression::kZstd, 4096, 3});
  const std::string small = shop_session(20);
  ASSERT_LT(small.size(), 4096u);
  EXPECT_EQ(codec.encode("sess.a", 1, small), encode_value(1, small));
  const std::string id(5000, 'a');  // no ID is this long; only the flag decides
  EXPECT_EQ(codec.encode("sess.a", 2, id, kValueFlagForward),
            encode_value(2, id, kValueFlagForward));
}

TEST(ValueCodec, IncompressibleSessionIsStoredRaw) {
  std::string noise(10000, '\0');
  std::uint32_t state = 12345;
  for (char& c : noise) {
    state = state * 1103515245u + 12345u;
    c = static_cast<char>(state >> 24);
  }
  const ValueCodec codec(nullptr, {Compression::kLz4, 0, 1});
  EXPECT_EQ(codec.encode("sess.a", 1, noise), encode_value(1, noise));
}

TEST(ValueCodec, ValuesOfEarlierReleasesReadAsBefore) {
  // No compression flag: a 16-byte header (plain) or 24 bytes with a zero size (sealed).
  const ValueCodec reader(sealing(), {Compression::kZstd, 0, 3});
  const ValueCodec earlier_sealed(sealing());
  auto sealed = reader.decode("sess.a", earlier_sealed.encode("sess.a", 4, "n|i:4;"));
  ASSERT_TRUE(sealed.ok()) << sealed.error();
  EXPECT_EQ(sealed->payload, "n|i:4;");
  EXPECT_EQ(sealed->compressed, 0u);
  auto plain =
      ValueCodec(nullptr, {Compression::kLz4, 0, 1}).decode("sess.a", encode_value(4, "n|i:4;"));
  ASSERT_TRUE(plain.ok()) << plain.error();
  EXPECT_EQ(plain->payload, "n|i:4;");
}

TEST(ValueCodec, ForgedHugeOriginalSizeIsAReadFailureNotAnAllocation) {
  // A plain value that claims to decompress to 4 GiB - 1: refused before any buffer.
  std::string forged = encode_extended_header(9, kValueFlagZstd, 0, 0xffffffffu);
  forged +=
      ValueCodec(nullptr, {Compression::kZstd, 0, 1}).encode("k", 1, shop_session(10)).substr(24);
  auto read = ValueCodec().decode("sess.a", forged);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.cause(), Cause::kUnreadable);
  EXPECT_NE(read.error().find("does not decompress"), std::string::npos) << read.error();
}

TEST(ValueCodec, DamagedCompressedBytesAreAReadFailure) {
  const ValueCodec codec(nullptr, {Compression::kZstd, 0, 1});
  std::string bytes = codec.encode("sess.a", 1, shop_session(100));
  bytes.resize(bytes.size() - 10);
  EXPECT_EQ(codec.decode("sess.a", bytes).cause(), Cause::kUnreadable);
}

TEST(ValueCodec, DescriptionSaysAlgorithmLevelAndThreshold) {
  EXPECT_EQ(ValueCodec().compression_description(), "off");
  EXPECT_EQ(ValueCodec(nullptr, {Compression::kLz4, 2048, 3}).compression_description(),
            "lz4, sessions from 2048 bytes");
}

}  // namespace
}  // namespace clustered
