// SPDX-License-Identifier: BSD-3-Clause
// lz4 and zstd behind compression.h; every size check happens before the one
// allocation of the output.
#include "codec/compression.h"

#include <lz4.h>
#include <zstd.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <string>

namespace clustered {
namespace {

static_assert(kMaxCompressionInput == LZ4_MAX_INPUT_SIZE);
static_assert(kMaxCompressionInput <= INT_MAX);

struct CCtxFree {
  void operator()(ZSTD_CCtx* cctx) const { ZSTD_freeCCtx(cctx); }
};
struct DCtxFree {
  void operator()(ZSTD_DCtx* dctx) const { ZSTD_freeDCtx(dctx); }
};

// One zstd context of each kind per thread (a PHP worker has one), made on first
// use and kept. A fresh context per call (what ZSTD_compress and ZSTD_decompress
// do) costs about 15 us of set-up each: 21 us instead of 5.5 us to compress a
// 2 KB session, 18 us instead of 3 us to decompress it. What is kept: the
// decompression context, 93 KiB; the compression context's workspace, sized by
// the largest recent session (48 KiB for 2 KB; 570 KiB at level 1, 1.2 MiB at
// level 3 for 465 KB); zstd shrinks a workspace that stays far larger than its
// calls need.
ZSTD_CCtx* compression_context() {
  thread_local std::unique_ptr<ZSTD_CCtx, CCtxFree> cctx;
  if (!cctx) cctx.reset(ZSTD_createCCtx());  // again after a failure (out of memory)
  return cctx.get();
}
ZSTD_DCtx* decompression_context() {
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxFree> dctx;
  if (!dctx) dctx.reset(ZSTD_createDCtx());  // again after a failure (out of memory)
  return dctx.get();
}

std::string compress_lz4(std::string_view input) {
  const int size = static_cast<int>(input.size());
  std::string out(static_cast<std::size_t>(LZ4_compressBound(size)), '\0');
  const int written =
      LZ4_compress_default(input.data(), out.data(), size, static_cast<int>(out.size()));
  if (written <= 0) return {};  // cannot happen with a buffer of LZ4_compressBound
  out.resize(static_cast<std::size_t>(written));
  return out;
}

std::string compress_zstd(std::string_view input, int level) {
  ZSTD_CCtx* cctx = compression_context();
  if (cctx == nullptr) return {};
  ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
  level = std::clamp(level, kMinCompressionLevel, kMaxCompressionLevel);
  if (ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level)) ||
      ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1))) {
    return {};
  }
  std::string out(ZSTD_compressBound(input.size()), '\0');
  const std::size_t written =
      ZSTD_compress2(cctx, out.data(), out.size(), input.data(), input.size());
  if (ZSTD_isError(written)) return {};  // out of memory
  out.resize(written);
  return out;
}

Failure unreadable(std::string message) {
  return Failure::of(Cause::kUnreadable, std::move(message));
}

Result<std::string> decompress_lz4(std::string_view input, std::size_t declared_size) {
  // A block is at least one byte (a token); the sizes must fit lz4's ints.
  if (input.empty()) return unreadable("lz4 data is empty");
  if (input.size() > static_cast<std::size_t>(INT_MAX)) {
    return unreadable("lz4 data of " + std::to_string(input.size()) + " bytes is too long");
  }
  std::string out(declared_size, '\0');
  const int got = LZ4_decompress_safe(input.data(), out.data(), static_cast<int>(input.size()),
                                      static_cast<int>(declared_size));
  // lz4 cannot tell damage from a block that does not fit the buffer.
  if (got < 0) {
    return unreadable("lz4 data is damaged or holds more than the " +
                      std::to_string(declared_size) + " bytes declared");
  }
  if (static_cast<std::size_t>(got) != declared_size) {
    return unreadable("lz4 data holds " + std::to_string(got) + " bytes, not the " +
                      std::to_string(declared_size) + " declared");
  }
  return out;
}

Result<std::string> decompress_zstd(std::string_view input, std::size_t declared_size) {
  const unsigned long long content = ZSTD_getFrameContentSize(input.data(), input.size());
  if (content == ZSTD_CONTENTSIZE_ERROR) return unreadable("zstd data is not a zstd frame");
  if (content != ZSTD_CONTENTSIZE_UNKNOWN && content != declared_size) {
    return unreadable("zstd frame holds " + std::to_string(content) + " bytes, not the " +
                      std::to_string(declared_size) + " declared");
  }
  // One frame and nothing after it (zstd would read on into a second frame).
  const std::size_t frame = ZSTD_findFrameCompressedSize(input.data(), input.size());
  if (ZSTD_isError(frame)) {
    return unreadable(std::string("zstd data is damaged: ") + ZSTD_getErrorName(frame));
  }
  if (frame != input.size()) {
    return unreadable("zstd data has " + std::to_string(input.size() - frame) +
                      " bytes after its frame");
  }
  ZSTD_DCtx* dctx = decompression_context();
  if (dctx == nullptr) return Failure::of(Cause::kFailed, "zstd cannot start (out of memory)");
  std::string out(declared_size, '\0');
  // One-shot into a flat buffer: zstd allocates no window of its own, and a
  // frame that holds more than declared_size stops with "Destination buffer is
  // too small".
  const std::size_t got =
      ZSTD_decompressDCtx(dctx, out.data(), out.size(), input.data(), input.size());
  if (ZSTD_isError(got)) {
    return unreadable(std::string("zstd data is damaged or holds more than the ") +
                      std::to_string(declared_size) + " bytes declared: " + ZSTD_getErrorName(got));
  }
  if (got != declared_size) {
    return unreadable("zstd data holds " + std::to_string(got) + " bytes, not the " +
                      std::to_string(declared_size) + " declared");
  }
  return out;
}

}  // namespace

std::optional<Compression> parse_compression(std::string_view text) {
  // php.ini reads a bare `off` as an empty string.
  if (text == "off" || text.empty()) return Compression::kOff;
  if (text == "lz4") return Compression::kLz4;
  if (text == "zstd") return Compression::kZstd;
  return std::nullopt;
}

std::string_view compression_name(Compression c) {
  switch (c) {
    case Compression::kLz4:
      return "lz4";
    case Compression::kZstd:
      return "zstd";
    case Compression::kOff:
      break;
  }
  return "off";
}

bool valid_compression_level(int level) {
  return level >= kMinCompressionLevel && level <= kMaxCompressionLevel;
}

std::string compress(Compression c, std::string_view input, int level) {
  switch (c) {
    case Compression::kLz4:
      return input.size() > kMaxCompressionInput ? std::string() : compress_lz4(input);
    case Compression::kZstd:
      return input.size() > kMaxCompressionInput ? std::string() : compress_zstd(input, level);
    case Compression::kOff:
      break;
  }
  return std::string(input);
}

Result<std::string> decompress(Compression c, std::string_view input, std::size_t declared_size,
                               std::size_t limit) {
  if (declared_size > limit) {
    return unreadable("compressed value declares " + std::to_string(declared_size) +
                      " bytes, over the limit of " + std::to_string(limit));
  }
  if (declared_size > kMaxCompressionInput) {
    return unreadable("compressed value declares " + std::to_string(declared_size) +
                      " bytes, over the largest size compressed (" +
                      std::to_string(kMaxCompressionInput) + ")");
  }
  switch (c) {
    case Compression::kLz4:
      return decompress_lz4(input, declared_size);
    case Compression::kZstd:
      return decompress_zstd(input, declared_size);
    case Compression::kOff:
      break;
  }
  if (input.size() != declared_size) {
    return unreadable("uncompressed value holds " + std::to_string(input.size()) +
                      " bytes, not the " + std::to_string(declared_size) + " declared");
  }
  return std::string(input);
}

}  // namespace clustered
