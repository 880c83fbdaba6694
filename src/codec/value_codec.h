// SPDX-License-Identifier: BSD-3-Clause
// The stored value's whole format, as one pipeline (docs/design.md, "Value
// format"): session bytes -> compress -> seal -> header -> stored bytes, and
// back. The one place that knows what memcached holds; store/ moves bytes and
// remote/ places copies without looking inside one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "codec/compression.h"
#include "codec/value_header.h"
#include "seal/sealer.h"
#include "util/result.h"

namespace clustered {

// The largest session a value may declare it decompresses to: a forged or
// damaged size never makes a reader allocate more (docs/design.md, "Value
// format"). A session of that size or more is stored uncompressed.
inline constexpr std::size_t kMaxSessionBytes = std::size_t{64} << 20;

// Sessions below this size are stored raw: under it the bytes saved are fewer
// than the header's and the time costs more than it saves (docs/design.md,
// "Compression": the measurements behind it).
inline constexpr std::size_t kDefaultCompressionThreshold = 2048;
inline constexpr int kDefaultCompressionLevel = 3;

struct CompressionOptions {
  Compression algorithm = Compression::kOff;
  std::size_t threshold = kDefaultCompressionThreshold;
  int level = kDefaultCompressionLevel;  // zstd only
};

class ValueCodec {
 public:
  // No sealer: values are written and read plain.
  explicit ValueCodec(std::shared_ptr<const Sealer> sealer = nullptr,
                      CompressionOptions compression = {});

  const Sealer& sealer() const { return *sealer_; }
  const CompressionOptions& compression() const { return compression_; }
  // The id of the key new values are sealed with; 0 when they are written plain.
  std::uint32_t sealing_key_id() const { return sealer_->sealing_key_id(); }
  // For phpinfo() and the stats: "zstd level 3, sessions from 2048 bytes" or "off".
  std::string compression_description() const;

  // The bytes stored under memcached key `key`. Session data (not a forward) of
  // at least the threshold is compressed when that makes it smaller.
  std::string encode(std::string_view key, std::uint64_t version, std::string_view payload,
                     std::uint32_t flags = 0) const;
  // The value stored under `key`, opened and decompressed. A failure's cause:
  // kRejected, sealing says this is not ours (absent, counted); kUnreadable, the
  // value is damaged, needs a key this node lacks or declares a size over
  // kMaxSessionBytes (a read failure).
  Result<StoredValue> decode(std::string_view key, std::string_view bytes) const;

 private:
  std::shared_ptr<const Sealer> sealer_;
  CompressionOptions compression_;
};

}  // namespace clustered
