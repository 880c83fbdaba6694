// SPDX-License-Identifier: BSD-3-Clause
// Compression of session data before it goes to memcached: lz4 (a raw block) or
// zstd (one frame), and the bounded way back. The stored value declares the
// original size; decompression refuses a size over the caller's limit and never
// produces (or allocates) more than the size declared: a damaged or hostile
// value in memcached cannot make a PHP worker allocate gigabytes. compression.cpp is the core's
// only includer of lz4.h and zstd.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace clustered {

enum class Compression : std::uint8_t { kOff, kLz4, kZstd };

// "off" (php.ini reads a bare `off` as "", so "" too), "lz4", "zstd"; nullopt
// for anything else (case matters, as for the seal setting).
std::optional<Compression> parse_compression(std::string_view text);
std::string_view compression_name(Compression c);

// The zstd levels taken: 1 (fastest) to 19. zstd has more (negative "fast"
// levels, and 20-22, its "ultra" ones, meant for windows far beyond a session's
// size); settings take 1..19 and compress() clamps into it. lz4 has no level.
inline constexpr int kMinCompressionLevel = 1;
inline constexpr int kMaxCompressionLevel = 19;
bool valid_compression_level(int level);

// The largest input compress() takes and the largest size decompress() accepts
// as declared: lz4's block limit (LZ4_MAX_INPUT_SIZE, 2,113,929,216 bytes, just
// under 2 GiB), for zstd too. Far above what memcached stores as one item.
inline constexpr std::size_t kMaxCompressionInput = 0x7E000000;

// The compressed bytes of `input`: a raw lz4 block (LZ4_compress_default, no
// header, no checksum) or one zstd frame at `level` (clamped into 1..19) with
// its content size and a content checksum. kOff returns the input. Never fails
// for inputs up to kMaxCompressionInput; an empty result for a non-empty input
// means it could not be compressed (over kMaxCompressionInput, or zstd could not
// get memory): store it uncompressed. Empty input gives a short non-empty result
// for lz4 and zstd.
std::string compress(Compression c, std::string_view input, int level);

// The original bytes of what compress(c, ...) made of `declared_size` bytes.
// A Failure with Cause::kUnreadable, before anything of declared_size is
// allocated, when declared_size is over `limit` (or kMaxCompressionInput), or a
// zstd frame states another content size; after decompressing into a buffer of
// exactly declared_size bytes, when the bytes are damaged or do not come out as
// exactly declared_size bytes. For kOff, `input` itself must be declared_size
// bytes. A zstd frame's checksum catches any damage; an lz4 block has no
// checksum, so a damaged literal byte can come out as a wrong byte of the right
// length: the layer above (sealing) is what guarantees integrity. Cause::kFailed
// only when zstd cannot get its context's memory.
Result<std::string> decompress(Compression c, std::string_view input, std::size_t declared_size,
                               std::size_t limit);

}  // namespace clustered
