// SPDX-License-Identifier: BSD-3-Clause
// Fuzz target: compression (src/codec/compression.h).
//
//   - decompress() of any bytes, with any algorithm, declared size and limit,
//     never crashes, reads or writes out of bounds, or allocates past the
//     declared size; when it succeeds it returns exactly the declared size, never
//     more than the limit;
//   - compress() then decompress() of any bytes, at any level, is the identity;
//     a limit one byte short, or a declared size one byte off, is refused.
//
// Input: byte 0 the algorithm (low two bits) and whether the limit is the
// declared size or 1 MiB (bit 2); byte 1 the zstd level; bytes 2-4 the declared
// size (little-endian, at most 1 MiB + 64 KiB, so that some are over the
// limit); the rest the bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "codec/compression.h"
#include "fuzz_check.h"

using namespace clustered;

namespace {

constexpr std::size_t kFuzzLimit = std::size_t{1} << 20;
constexpr Compression kAlgorithms[] = {Compression::kOff, Compression::kLz4, Compression::kZstd,
                                       Compression::kZstd};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 5) return 0;
  const Compression algorithm = kAlgorithms[data[0] & 3];
  const int level = static_cast<int>(static_cast<std::int8_t>(data[1]));
  const std::size_t declared =
      (data[2] | (std::size_t{data[3]} << 8) | (std::size_t{data[4]} << 16)) % (kFuzzLimit + 65536);
  const std::size_t limit = (data[0] & 4) != 0 ? declared : kFuzzLimit;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 5), size - 5);

  const auto opened = decompress(algorithm, bytes, declared, limit);
  if (opened.ok()) {
    FUZZ_REQUIRE(opened->size() == declared, "decompressed size is not the declared size");
    FUZZ_REQUIRE(opened->size() <= limit, "decompressed past the limit");
    if (algorithm == Compression::kOff) FUZZ_REQUIRE(*opened == bytes, "off changed the bytes");
  } else {
    FUZZ_REQUIRE(opened.cause() == Cause::kUnreadable,
                 "refused with a cause other than unreadable");
    FUZZ_REQUIRE(!opened.error().empty(), "refused without a message");
  }
  if (declared > limit) FUZZ_REQUIRE(!opened.ok(), "a declared size over the limit was accepted");

  // The round trip of the bytes themselves.
  const std::string packed = compress(algorithm, bytes, level);
  FUZZ_REQUIRE(!packed.empty() || bytes.empty(), "compress failed on a small input");
  const auto back = decompress(algorithm, packed, bytes.size(), bytes.size());
  FUZZ_REQUIRE(back.ok(), "compressed bytes do not decompress");
  FUZZ_REQUIRE(*back == bytes, "compress -> decompress is not the identity");
  FUZZ_REQUIRE(!decompress(algorithm, packed, bytes.size() + 1, kFuzzLimit).ok(),
               "a declared size one byte too large was accepted");
  if (!bytes.empty()) {
    FUZZ_REQUIRE(!decompress(algorithm, packed, bytes.size(), bytes.size() - 1).ok(),
                 "a limit one byte short was not enforced");
    FUZZ_REQUIRE(!decompress(algorithm, packed, bytes.size() - 1, kFuzzLimit).ok(),
                 "a declared size one byte too small was accepted");
  }
  return 0;
}
