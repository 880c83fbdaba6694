// SPDX-License-Identifier: BSD-3-Clause
// lz4 and zstd round trips of session-like data, and the bounds of decompress():
// a value that declares too much, declares a wrong size, is damaged, or is a
// decompression bomb is refused without allocating more than the declared size.
#include "codec/compression.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace clustered {
namespace {

constexpr std::size_t kLimit = 1 << 20;

// A shop's session as PHP serializes it (session.serialize_handler = php): a
// token, a user, and a cart of `lines` lines of four fields each.
std::string shop_session(int lines) {
  std::mt19937 random(7);
  std::string out = "token|s:64:\"";
  for (int i = 0; i < 64; ++i) out += "0123456789abcdef"[random() % 16];
  out += "\";user|a:3:{s:2:\"id\";i:48213;s:5:\"email\";s:21:\"jane.doe@example.com\";";
  out += "s:4:\"role\";s:8:\"customer\";}cart|a:" + std::to_string(lines) + ":{";
  char line[256];
  for (int i = 0; i < lines; ++i) {
    const int number = i + 1;
    std::snprintf(line, sizeof line,
                  "i:%d;a:4:{s:3:\"sku\";s:8:\"SKU%05d\";s:3:\"qty\";i:%u;s:5:\"price\";d:%u.%02u;"
                  "s:4:\"name\";s:24:\"Product name number %04d\";}",
                  i, number, static_cast<unsigned>(1 + random() % 9),
                  static_cast<unsigned>(1 + random() % 200), static_cast<unsigned>(random() % 100),
                  number % 10000);
    out += line;
  }
  out += "}";
  return out;
}

std::string random_bytes(std::size_t size) {
  std::mt19937_64 random(42);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(random());
  return out;
}

std::string compressed(Compression c, std::string_view input) {
  std::string out = compress(c, input, 3);
  EXPECT_TRUE(!out.empty() || (input.empty() && c == Compression::kOff));
  return out;
}

void expect_round_trip(Compression c, const std::string& input, int level) {
  const std::string packed = compress(c, input, level);
  ASSERT_FALSE(packed.empty()) << compression_name(c) << " of " << input.size() << " bytes";
  const auto unpacked = decompress(c, packed, input.size(), input.size());
  ASSERT_TRUE(unpacked.ok()) << unpacked.error();
  EXPECT_TRUE(*unpacked == input) << compression_name(c) << " of " << input.size() << " bytes";
}

void expect_unreadable(const Result<std::string>& result, std::string_view words) {
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.cause(), Cause::kUnreadable);
  EXPECT_NE(result.error().find(words), std::string::npos) << result.error();
}

// A zstd frame header: magic, a descriptor, then (single segment) the content size.
std::string zstd_frame_stating(std::uint64_t content_size) {
  std::string out = "\x28\xb5\x2f\xfd";
  out += '\xe0';  // 8-byte content size, single segment, no checksum, no dictionary
  for (int i = 0; i < 8; ++i) out += static_cast<char>(content_size >> (8 * i));
  out += std::string("\x29\x00\x00", 3);  // last block, raw, 5 bytes
  out += "hello";
  return out;
}

// --- names --------------------------------------------------------------------

TEST(CompressionNames, ParseAndName) {
  EXPECT_EQ(parse_compression("off"), Compression::kOff);
  EXPECT_EQ(parse_compression(""), Compression::kOff);
  EXPECT_EQ(parse_compression("lz4"), Compression::kLz4);
  EXPECT_EQ(parse_compression("zstd"), Compression::kZstd);
  for (const char* bad : {"LZ4", "Zstd", "gzip", "on", "1", " lz4", "zstd ", "none"}) {
    EXPECT_FALSE(parse_compression(bad).has_value()) << bad;
  }
  for (Compression c : {Compression::kOff, Compression::kLz4, Compression::kZstd}) {
    EXPECT_EQ(parse_compression(compression_name(c)), c);
  }
  EXPECT_EQ(compression_name(Compression::kLz4), "lz4");
  EXPECT_EQ(compression_name(Compression::kZstd), "zstd");
  EXPECT_EQ(compression_name(Compression::kOff), "off");
}

TEST(CompressionNames, LevelsOneToNineteen) {
  EXPECT_FALSE(valid_compression_level(0));
  EXPECT_FALSE(valid_compression_level(-1));
  EXPECT_FALSE(valid_compression_level(20));
  EXPECT_FALSE(valid_compression_level(std::numeric_limits<int>::min()));
  for (int level = 1; level <= 19; ++level) EXPECT_TRUE(valid_compression_level(level)) << level;
  EXPECT_GE(kMinCompressionLevel, ZSTD_minCLevel());
  EXPECT_LE(kMaxCompressionLevel, ZSTD_maxCLevel());
}

// --- round trips --------------------------------------------------------------

TEST(CompressionRoundTrip, EmptyInput) {
  for (Compression c : {Compression::kLz4, Compression::kZstd}) expect_round_trip(c, "", 3);
  EXPECT_EQ(compress(Compression::kOff, "", 3), "");
  const auto off = decompress(Compression::kOff, "", 0, 0);
  ASSERT_TRUE(off.ok()) << off.error();
  EXPECT_EQ(*off, "");
}

TEST(CompressionRoundTrip, OneByte) {
  for (Compression c : {Compression::kLz4, Compression::kZstd}) {
    expect_round_trip(c, "x", 3);
    expect_round_trip(c, std::string(1, '\0'), 3);
  }
}

// 4040 cart lines: about 465 KB, the size of the largest sessions seen in a shop.
TEST(CompressionRoundTrip, ShopSessionOf465KB) {
  const std::string session = shop_session(4040);
  ASSERT_GT(session.size(), 460'000u);
  for (Compression c : {Compression::kLz4, Compression::kZstd}) {
    expect_round_trip(c, session, 3);
    EXPECT_LT(compress(c, session, 3).size(), session.size() / 3) << compression_name(c);
  }
  for (int level : {1, 19}) expect_round_trip(Compression::kZstd, session, level);
}

TEST(CompressionRoundTrip, IncompressibleBytes) {
  for (std::size_t size : {std::size_t{16}, std::size_t{4096}, std::size_t{465'663}}) {
    const std::string noise = random_bytes(size);
    for (Compression c : {Compression::kLz4, Compression::kZstd}) {
      expect_round_trip(c, noise, 3);
      // Stored, not expanded: a few bytes of framing over the input.
      EXPECT_LE(compress(c, noise, 3).size(), size + size / 128 + 32) << compression_name(c);
    }
  }
}

TEST(CompressionRoundTrip, OffReturnsTheInput) {
  const std::string session = shop_session(20);
  EXPECT_EQ(compress(Compression::kOff, session, 3), session);
  const auto back = decompress(Compression::kOff, session, session.size(), kLimit);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(*back, session);
}

TEST(CompressionRoundTrip, ZstdLevelOutsideOneToNineteenIsClamped) {
  const std::string session = shop_session(100);
  for (int level : {std::numeric_limits<int>::min(), -5, 0, 20, 22, 1000}) {
    expect_round_trip(Compression::kZstd, session, level);
  }
  EXPECT_EQ(compress(Compression::kZstd, session, 1000), compress(Compression::kZstd, session, 19));
  EXPECT_EQ(compress(Compression::kZstd, session, -5), compress(Compression::kZstd, session, 1));
}

TEST(CompressionRoundTrip, Lz4IgnoresTheLevel) {
  const std::string session = shop_session(100);
  EXPECT_EQ(compress(Compression::kLz4, session, 1), compress(Compression::kLz4, session, 19));
}

// Each thread has its own zstd contexts; none sees another's parameters or state.
TEST(CompressionRoundTrip, ThreadsAtOnce) {
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &failures] {
      const std::string session = shop_session(200 + 50 * t);
      for (int round = 0; round < 20; ++round) {
        const int level = 1 + (t + round) % 19;
        const std::string packed = compress(Compression::kZstd, session, level);
        const auto back = decompress(Compression::kZstd, packed, session.size(), kLimit);
        if (!back.ok() || *back != session) ++failures[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
}

// --- bounds -------------------------------------------------------------------

TEST(CompressionBounds, DeclaredSizeOverTheLimitRefused) {
  const std::string session = shop_session(4040);
  for (Compression c : {Compression::kOff, Compression::kLz4, Compression::kZstd}) {
    const std::string packed = compress(c, session, 3);
    expect_unreadable(decompress(c, packed, session.size(), session.size() - 1), "over the limit");
    expect_unreadable(decompress(c, packed, session.size(), 0), "over the limit");
  }
}

// Were the output allocated before the checks, a declared size of SIZE_MAX
// would throw std::length_error (or std::bad_alloc) instead of being refused.
TEST(CompressionBounds, DeclaredSizeOverTheLimitRefusedBeforeAllocating) {
  constexpr std::size_t kHuge = std::numeric_limits<std::size_t>::max();
  for (Compression c : {Compression::kOff, Compression::kLz4, Compression::kZstd}) {
    const std::string packed = compressed(c, "abc");
    EXPECT_NO_THROW(expect_unreadable(decompress(c, packed, kHuge, kHuge - 1), "over the limit"));
    // A caller without a limit of its own still cannot ask for more than 2 GiB.
    EXPECT_NO_THROW(expect_unreadable(decompress(c, packed, kHuge, kHuge), "over the largest"));
    EXPECT_NO_THROW(expect_unreadable(decompress(c, packed, kMaxCompressionInput + 1, kHuge),
                                      "over the largest"));
  }
}

TEST(CompressionBounds, DeclaredSizeSmallerThanContentRefused) {
  const std::string session = shop_session(500);
  const std::size_t size = session.size();
  const std::string lz4 = compress(Compression::kLz4, session, 3);
  expect_unreadable(decompress(Compression::kLz4, lz4, size - 1, kLimit), "more than");
  expect_unreadable(decompress(Compression::kLz4, lz4, 0, kLimit), "more than");
  const std::string zstd = compress(Compression::kZstd, session, 3);
  expect_unreadable(decompress(Compression::kZstd, zstd, size - 1, kLimit), "zstd frame holds");
  expect_unreadable(decompress(Compression::kZstd, zstd, 0, kLimit), "zstd frame holds");
  expect_unreadable(decompress(Compression::kOff, session, size - 1, kLimit), "not the");
}

TEST(CompressionBounds, DeclaredSizeLargerThanContentRefused) {
  const std::string session = shop_session(500);
  const std::size_t size = session.size();
  const std::string lz4 = compress(Compression::kLz4, session, 3);
  expect_unreadable(decompress(Compression::kLz4, lz4, size + 1, kLimit), "not the");
  expect_unreadable(decompress(Compression::kLz4, lz4, kLimit, kLimit), "not the");
  const std::string zstd = compress(Compression::kZstd, session, 3);
  expect_unreadable(decompress(Compression::kZstd, zstd, size + 1, kLimit), "zstd frame holds");
  expect_unreadable(decompress(Compression::kOff, session, size + 1, kLimit), "not the");
}

// A frame that does not state its content size (a streaming compressor's) is
// checked by what comes out of it.
TEST(CompressionBounds, ZstdFrameWithoutContentSizeStillHeldToTheDeclaredSize) {
  const std::string session = shop_session(500);
  std::string frame(ZSTD_compressBound(session.size()), '\0');
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ASSERT_NE(cctx, nullptr);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
  const std::size_t written =
      ZSTD_compress2(cctx, frame.data(), frame.size(), session.data(), session.size());
  ZSTD_freeCCtx(cctx);
  ASSERT_FALSE(ZSTD_isError(written));
  frame.resize(written);
  ASSERT_EQ(ZSTD_getFrameContentSize(frame.data(), frame.size()), ZSTD_CONTENTSIZE_UNKNOWN);

  const auto exact = decompress(Compression::kZstd, frame, session.size(), kLimit);
  ASSERT_TRUE(exact.ok()) << exact.error();
  EXPECT_EQ(*exact, session);
  expect_unreadable(decompress(Compression::kZstd, frame, session.size() - 1, kLimit), "more than");
  expect_unreadable(decompress(Compression::kZstd, frame, session.size() + 1, kLimit), "not the");
}

TEST(CompressionBounds, ZstdFrameDeclaringHugeContentSizeRefused) {
  const std::uint64_t huge = std::uint64_t{1} << 40;
  const std::string frame = zstd_frame_stating(huge);
  ASSERT_EQ(ZSTD_getFrameContentSize(frame.data(), frame.size()), huge);
  // The value's own size says 5: the frame disagrees, refused before allocating.
  EXPECT_NO_THROW(expect_unreadable(decompress(Compression::kZstd, frame, 5, kLimit),
                                    "zstd frame holds 1099511627776 bytes"));
  // Both say 1 TiB: over the limit.
  EXPECT_NO_THROW(
      expect_unreadable(decompress(Compression::kZstd, frame, huge, kLimit), "over the limit"));
  EXPECT_NO_THROW(expect_unreadable(
      decompress(Compression::kZstd, frame, huge, std::numeric_limits<std::size_t>::max()),
      "over the largest"));
  // The header itself is sound: stating 5 it opens.
  const auto sound = decompress(Compression::kZstd, zstd_frame_stating(5), 5, kLimit);
  ASSERT_TRUE(sound.ok()) << sound.error();
  EXPECT_EQ(*sound, "hello");
}

// RLE blocks without a stated content size: 4 KiB that would expand to 128 MiB.
TEST(CompressionBounds, ZstdBombStopsAtTheDeclaredSize) {
  std::string bomb = "\x28\xb5\x2f\xfd";
  bomb += '\x00';  // no content size, a window descriptor
  bomb += '\x38';  // window 128 KiB
  const std::uint32_t block = 128 * 1024;
  for (int i = 0; i < 1024; ++i) {
    const std::uint32_t header = (i == 1023 ? 1u : 0u) | (1u << 1) | (block << 3);  // RLE
    bomb += static_cast<char>(header);
    bomb += static_cast<char>(header >> 8);
    bomb += static_cast<char>(header >> 16);
    bomb += 'A';
  }
  ASSERT_EQ(ZSTD_getFrameContentSize(bomb.data(), bomb.size()), ZSTD_CONTENTSIZE_UNKNOWN);
  ASSERT_EQ(ZSTD_findFrameCompressedSize(bomb.data(), bomb.size()), bomb.size());
  expect_unreadable(decompress(Compression::kZstd, bomb, 1000, kLimit), "more than");
  expect_unreadable(decompress(Compression::kZstd, bomb, kLimit, kLimit), "more than");
}

TEST(CompressionBounds, ZstdTrailingBytesAfterTheFrameRefused) {
  const std::string session = shop_session(50);
  const std::string frame = compress(Compression::kZstd, session, 3);
  expect_unreadable(decompress(Compression::kZstd, frame + "x", session.size(), kLimit),
                    "after its frame");
  // Two frames: zstd would decompress both, one after the other.
  expect_unreadable(decompress(Compression::kZstd, frame + frame, 2 * session.size(), kLimit),
                    "zstd frame holds");
}

TEST(CompressionBounds, TruncatedInputRefused) {
  const std::string session = shop_session(40);
  for (Compression c : {Compression::kLz4, Compression::kZstd}) {
    const std::string packed = compress(c, session, 3);
    for (std::size_t keep = 0; keep < packed.size(); ++keep) {
      const auto result = decompress(c, packed.substr(0, keep), session.size(), kLimit);
      ASSERT_FALSE(result.ok()) << compression_name(c) << " cut to " << keep << " of "
                                << packed.size() << " bytes";
      EXPECT_EQ(result.cause(), Cause::kUnreadable);
    }
  }
  expect_unreadable(decompress(Compression::kLz4, "", 0, kLimit), "empty");
  expect_unreadable(decompress(Compression::kZstd, "", 0, kLimit), "not a zstd frame");
}

// zstd frames carry a content checksum: a flipped bit is refused, or lands in a
// bit zstd ignores (the header's unused bit, padding of entropy tables) and
// changes nothing. Wrong bytes never come out.
TEST(CompressionBounds, ZstdBitFlipRefused) {
  const std::string session = shop_session(40);
  const std::string packed = compress(Compression::kZstd, session, 3);
  const int bits = static_cast<int>(packed.size() * 8);
  int refused = 0;
  for (int bit = 0; bit < bits; ++bit) {
    std::string damaged = packed;
    damaged[bit / 8] = static_cast<char>(damaged[bit / 8] ^ (1 << (bit % 8)));
    const auto result = decompress(Compression::kZstd, damaged, session.size(), kLimit);
    if (result.ok()) {
      ASSERT_EQ(*result, session) << "bit " << bit << " flipped: wrong bytes accepted";
    } else {
      EXPECT_EQ(result.cause(), Cause::kUnreadable);
      ++refused;
    }
  }
  EXPECT_GE(refused, bits * 99 / 100);
}

// A raw lz4 block has no checksum: a flipped literal bit comes out as a wrong
// byte of the right length (sealing is what catches that). What lz4 must never
// do is write past the declared size or read past the input; a flip in the
// block's structure (lengths, offsets) is refused.
TEST(CompressionBounds, Lz4BitFlipNeverOverrunsAndDamagedStructureRefused) {
  const std::string session = shop_session(40);
  const std::string packed = compress(Compression::kLz4, session, 3);
  int refused = 0;
  for (std::size_t bit = 0; bit < packed.size() * 8; ++bit) {
    std::string damaged = packed;
    damaged[bit / 8] = static_cast<char>(damaged[bit / 8] ^ (1 << (bit % 8)));
    const auto result = decompress(Compression::kLz4, damaged, session.size(), kLimit);
    if (result.ok()) {
      ASSERT_EQ(result->size(), session.size());
    } else {
      EXPECT_EQ(result.cause(), Cause::kUnreadable);
      ++refused;
    }
  }
  EXPECT_GT(refused, 0);
  // The first token's literal length.
  std::string damaged = packed;
  damaged[0] = static_cast<char>(damaged[0] ^ 0x10);
  expect_unreadable(decompress(Compression::kLz4, damaged, session.size(), kLimit), "lz4 data");
}

TEST(CompressionBounds, NotZstdAtAllRefused) {
  const std::string session = shop_session(10);
  expect_unreadable(decompress(Compression::kZstd, session, session.size(), kLimit),
                    "not a zstd frame");
  const std::string lz4 = compress(Compression::kLz4, session, 3);
  expect_unreadable(decompress(Compression::kZstd, lz4, session.size(), kLimit),
                    "not a zstd frame");
}

}  // namespace
}  // namespace clustered
