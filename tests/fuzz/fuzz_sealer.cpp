// SPDX-License-Identifier: BSD-3-Clause
// Fuzz target: the opener of sealed values (src/codec/value_codec.h, sealing
// with or without compression) and notice records (src/seal/sealer.h).
//
//   - decode() never crashes on any bytes; with sealing required nothing the
//     fuzzer makes opens (it has no key), so nothing it writes can become data;
//   - a value sealed here opens to itself, and the same value with any one byte
//     changed, cut short or lengthened never opens;
//   - a sealed notice list (NoticeFormat) never obeys lines the fuzzer made: no
//     key hash, no "everything".
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "codec/value_codec.h"
#include "fuzz_check.h"
#include "seal/sealer.h"
#include "session/takeover_notices.h"

using namespace clustered;

namespace {

const Sealer& sealer(bool encrypt) {
  static const std::shared_ptr<const Sealer> encrypting = *Sealer::with_secrets(
      {"the-fuzzer-never-sees-this-key-0123456789"}, SealMode::kEncrypt, false);
  static const std::shared_ptr<const Sealer> authenticating = *Sealer::with_secrets(
      {"the-fuzzer-never-sees-this-key-0123456789"}, SealMode::kAuthenticate, false);
  return encrypt ? *encrypting : *authenticating;
}

// Sealing as `sealer(encrypt)`; compressing every session (threshold 0) with
// lz4, zstd or not at all.
const ValueCodec& codec(bool encrypt, std::uint8_t choice) {
  static const auto make = [](bool enc, Compression c) {
    return std::make_shared<const ValueCodec>(
        *Sealer::with_secrets({"the-fuzzer-never-sees-this-key-0123456789"},
                              enc ? SealMode::kEncrypt : SealMode::kAuthenticate, false),
        CompressionOptions{c, 0, 1});
  };
  static const std::shared_ptr<const ValueCodec> codecs[2][3] = {
      {make(false, Compression::kOff), make(false, Compression::kLz4),
       make(false, Compression::kZstd)},
      {make(true, Compression::kOff), make(true, Compression::kLz4),
       make(true, Compression::kZstd)}};
  return *codecs[encrypt ? 1 : 0][choice % 3];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const bool encrypt = (data[0] & 1) != 0;
  const Sealer& s = sealer(encrypt);
  const ValueCodec& c = codec(encrypt, static_cast<std::uint8_t>(data[0] >> 2));
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);

  // Whatever the fuzzer writes under a key never opens.
  const auto forged = c.decode("sess.victim", bytes);
  FUZZ_REQUIRE(!forged.ok(), "a value made without the key opened");
  FUZZ_REQUIRE(forged.cause() == Cause::kRejected,
               "sealing required, yet a value was not rejected");

  // Nor does it as a notice list.
  const NoticeFormat format(s, notice_key("web1"));
  const Notices notices = format.parse(bytes);
  FUZZ_REQUIRE(notices.key_hashes.empty(), "a notice line made without the key was obeyed");
  FUZZ_REQUIRE(!notices.everything, "a notice list made without the key dropped everything");
  FUZZ_REQUIRE(!s.open_record(notice_key("web1"), 'l', bytes),
               "a record made without the key opened");

  // A sealed value opens to itself; changed anywhere, it never opens.
  const std::uint64_t version = size > 9 ? data[1] | (std::uint64_t{data[2]} << 40) : 7;
  const std::uint32_t flags = (data[0] & 2) != 0 ? kValueFlagForward : 0;
  const std::string sealed = c.encode("sess.k", version, bytes, flags);
  const auto opened = c.decode("sess.k", sealed);
  FUZZ_REQUIRE(opened.ok(), "a sealed value does not open");
  FUZZ_REQUIRE(
      opened->payload == bytes && opened->version == version && opened->forward == (flags != 0),
      "a sealed value opened to something else");
  FUZZ_REQUIRE(!c.decode("sess.other", sealed).ok(), "a value opened under another key");
  const std::size_t at = (std::size_t{data[0]} << 8 | data[size - 1]) % sealed.size();
  std::string changed = sealed;
  changed[at] = static_cast<char>(changed[at] ^ (data[size / 2] | 1));
  FUZZ_REQUIRE(!c.decode("sess.k", changed).ok(), "a changed sealed value opened");
  FUZZ_REQUIRE(!c.decode("sess.k", std::string_view(sealed).substr(0, at)).ok(),
               "a truncated sealed value opened");
  FUZZ_REQUIRE(!c.decode("sess.k", sealed + std::string(bytes.substr(0, 1))).ok(),
               "a lengthened sealed value opened");
  return 0;
}
