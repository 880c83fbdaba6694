// SPDX-License-Identifier: BSD-3-Clause
#include "codec/value_header.h"

#include <gtest/gtest.h>

#include <string>

namespace clustered {
namespace {

using namespace std::string_literals;

void put_u32(std::string& bytes, std::size_t offset, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) bytes[offset + i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

TEST(ValueHeader, LayoutIsAsDocumented) {
  const std::string bytes = encode_value(0x0102030405060708ULL, "xyz");
  ASSERT_EQ(bytes.size(), kValueHeaderSize + 3);
  EXPECT_EQ(bytes[0], 'c');
  EXPECT_EQ(bytes[1], 's');
  EXPECT_EQ(static_cast<unsigned char>(bytes[2]), kValueFormat);
  EXPECT_EQ(static_cast<unsigned char>(bytes[3]), kValueHeaderSize);
  EXPECT_EQ(bytes.substr(4, 4), "\0\0\0\0"s);                          // flags
  EXPECT_EQ(bytes.substr(8, 8), "\x08\x07\x06\x05\x04\x03\x02\x01"s);  // version, LE
  EXPECT_EQ(bytes.substr(16), "xyz");
}

TEST(ValueHeader, RoundTripEmptyPayload) {
  const std::string bytes = encode_value(7, "");
  EXPECT_EQ(bytes.size(), kValueHeaderSize);
  auto decoded = decode_value(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded->version, 7u);
  EXPECT_EQ(decoded->payload, "");
}

TEST(ValueHeader, RoundTripPayloadWithNulsAndHighBytes) {
  const std::string payload = "a|s:3:\"\0\0\0\";\xff\xfe\r\nEND\r\n\0"s;
  auto decoded = decode_value(encode_value(42, payload));
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded->payload, payload);
  EXPECT_EQ(decoded->payload.size(), payload.size());
}

TEST(ValueHeader, RoundTripOneMegabyte) {
  std::string payload(1 << 20, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 131 + 7);
  auto decoded = decode_value(encode_value(3, payload));
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded->payload, payload);
}

TEST(ValueHeader, VersionPreserved) {
  for (std::uint64_t version :
       {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{255}, std::uint64_t{256},
        std::uint64_t{1700000000123456}, std::uint64_t{0x8000000000000000ULL}, UINT64_MAX}) {
    auto decoded = decode_value(encode_value(version, "p"));
    ASSERT_TRUE(decoded.ok()) << decoded.error();
    EXPECT_EQ(decoded->version, version);
  }
}

TEST(ValueHeader, TruncatedHeaderIsRefused) {
  const std::string bytes = encode_value(5, "payload");
  for (std::size_t size = 0; size < kValueHeaderSize; ++size) {
    auto decoded = decode_value(std::string_view(bytes).substr(0, size));
    ASSERT_FALSE(decoded.ok()) << size;
    EXPECT_NE(decoded.error().find("shorter"), std::string::npos) << decoded.error();
  }
}

TEST(ValueHeader, WrongMagicIsRefused) {
  std::string bytes = encode_value(5, "payload");
  bytes[0] = 'C';
  EXPECT_FALSE(decode_value(bytes).ok());
  bytes = encode_value(5, "payload");
  bytes[1] = 'x';
  auto decoded = decode_value(bytes);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().find("header"), std::string::npos) << decoded.error();
  // A plain PHP-serialized session (what another handler stored) is not ours.
  EXPECT_FALSE(decode_value("user|s:5:\"alice\";count|i:3;").ok());
}

TEST(ValueHeader, FormatZeroIsRefused) {
  std::string bytes = encode_value(5, "payload");
  bytes[2] = '\0';
  EXPECT_FALSE(decode_value(bytes).ok());
}

TEST(ValueHeader, HeaderLengthLargerThanValueIsRefused) {
  std::string bytes = encode_value(5, "abc");  // 19 bytes
  bytes[3] = static_cast<char>(20);
  auto decoded = decode_value(bytes);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().find("header length"), std::string::npos) << decoded.error();
  bytes[3] = static_cast<char>(255);
  EXPECT_FALSE(decode_value(bytes).ok());
  // Exactly the value's size is fine: a future header with an empty payload.
  bytes[3] = static_cast<char>(19);
  auto whole = decode_value(bytes);
  ASSERT_TRUE(whole.ok()) << whole.error();
  EXPECT_EQ(whole->payload, "");
}

TEST(ValueHeader, HeaderLengthShorterThanOursIsRefused) {
  std::string bytes = encode_value(5, "abcdefgh");
  for (int hlen : {0, 1, 8, 15}) {
    bytes[3] = static_cast<char>(hlen);
    EXPECT_FALSE(decode_value(bytes).ok()) << hlen;
  }
}

TEST(ValueHeader, ForwardFlagRoundTrips) {
  const std::string bytes = encode_value(0, "newrandom-n2.web2", kValueFlagForward);
  EXPECT_EQ(bytes.substr(4, 4), "\x01\0\0\0"s);
  auto decoded = decode_value(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_TRUE(decoded->forward);
  EXPECT_EQ(decoded->payload, "newrandom-n2.web2");
  EXPECT_FALSE(decode_value(encode_value(0, "data"))->forward);
}

TEST(ValueHeader, UnknownFlagsAreRefused) {
  for (std::uint32_t flags : {32u, 64u, 0x80000000u, 0xffffffe0u, 0xffffffe1u}) {
    std::string bytes = encode_value(5, "payload");
    put_u32(bytes, 4, flags);
    auto decoded = decode_value(bytes);
    ASSERT_FALSE(decoded.ok()) << flags;
    EXPECT_NE(decoded.error().find("flags"), std::string::npos) << decoded.error();
  }
}

TEST(ValueHeader, CompressedValueCarriesItsAlgorithmAndOriginalSize) {
  std::string bytes = encode_extended_header(12, kValueFlagZstd, 0, 465663);
  bytes += "compressed";
  auto decoded = decode_value(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded->compressed, kValueFlagZstd);
  EXPECT_EQ(decoded->original_size, 465663u);
  EXPECT_EQ(decoded->sealed, 0u);
  EXPECT_EQ(decoded->payload, "compressed");
}

TEST(ValueHeader, CompressedFlagsOnAShortHeaderOrBothAlgorithmsAreRefused) {
  std::string short_header = encode_value(5, "payload");
  put_u32(short_header, 4, kValueFlagLz4);
  EXPECT_NE(decode_value(short_header).error().find("shorter than 24"), std::string::npos);
  const std::string both = encode_extended_header(5, kValueFlagsCompressed, 0, 10) + "payload";
  EXPECT_NE(decode_value(both).error().find("both lz4 and zstd"), std::string::npos);
}

TEST(ValueHeader, FutureFormatWithLongerHeaderStillDecodes) {
  // Format 2 appends 8 bytes of fields this reader does not know (hlen 24).
  const std::string payload = "the session\0bytes"s;
  std::string bytes = encode_value(99, "");
  bytes[2] = static_cast<char>(2);
  bytes[3] = static_cast<char>(24);
  bytes += "NEWFIELD";
  bytes += payload;
  auto decoded = decode_value(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded->version, 99u);
  EXPECT_EQ(decoded->payload, payload);
}

}  // namespace
}  // namespace clustered
