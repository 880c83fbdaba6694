// SPDX-License-Identifier: BSD-3-Clause
// Sealing: what the handler stores in memcached, opened only with the keys of
// clustered_session.secret_file (docs/design.md, "Sealed values").
//
// The codec (codec/value_codec.h) seals a value's payload with the memcached key
// it is stored under and the value's whole header (version, flags, key id,
// original size) as associated data: a value copied under another key, given
// another version, truncated, bit-flipped or forged does not open. Takeover
// notice records are sealed the same way with their list's key. What does not
// open is never data: the store treats it as absent and counts it
// (rejected_values). This file knows keys and modes, not the value format.
//
//   seal = encrypt       XChaCha20-Poly1305: nobody without the key reads a session
//   seal = authenticate  keyed BLAKE2b-256 MAC: readable, but not forgeable
//   seal = off           writes plain values, still opens sealed ones: the first
//                        step of enabling sealing and the last of disabling it
// accept_unsealed = 1 also takes plain values (switching over); otherwise a
// plain value is rejected like a forged one.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "seal/crypto.h"
#include "util/result.h"

namespace clustered {

enum class SealMode : std::uint8_t { kEncrypt, kAuthenticate, kOff };

// "encrypt", "authenticate", or "off" (also "": php.ini turns a bare off into that).
std::optional<SealMode> parse_seal_mode(std::string_view text);
std::string_view seal_mode_name(SealMode mode);

class Sealer {
 public:
  // No keys: values are written and read plain, as before sealing existed.
  Sealer() = default;
  ~Sealer();
  Sealer(const Sealer&) = delete;
  Sealer& operator=(const Sealer&) = delete;

  // The first secret seals, all of them open. Fails when libsodium cannot start.
  static Result<std::shared_ptr<const Sealer>> with_secrets(std::vector<std::string> secrets,
                                                            SealMode mode, bool accept_unsealed);

  bool has_keys() const { return !keys_.empty(); }
  bool seals_writes() const { return has_keys() && mode_ != SealMode::kOff; }
  // Whether a plain (unsealed) value is taken as data.
  bool accepts_unsealed() const {
    return !has_keys() || accept_unsealed_ || mode_ == SealMode::kOff;
  }
  // The id of the key new values are sealed with; 0 when they are written plain.
  std::uint32_t sealing_key_id() const { return seals_writes() ? keys_.front().id : 0; }
  // Whether what is sealed is encrypted (seal = encrypt) or only authenticated.
  bool encrypts() const { return mode_ == SealMode::kEncrypt; }
  // For phpinfo() and the stats: "encrypt, key 1a2b3c4d (2 keys open)" or
  // "off: values are not sealed".
  std::string description() const;

  // The sealed body of a value stored under memcached key `key`: `payload`
  // sealed with the first key (seals_writes() must be true), bound to `key` and
  // to `header`, the value's header, which names that key and encrypts().
  std::string seal_payload(std::string_view key, std::string_view header,
                           std::string_view payload) const;
  // The payload of a value sealed with key `key_id`, opened.
  // A failure's cause tells the two kinds apart: kRejected, sealing says this is
  // not ours (absent, counted); kUnreadable, the value needs a key this node
  // lacks (a read failure, as without sealing).
  Result<std::string> open_payload(std::string_view key, std::uint32_t key_id, bool encrypted,
                                   std::string_view header, std::string_view body) const;

  // One takeover-notice record (`kind` tells a list's head from its lines, so
  // one cannot stand for the other) as lowercase hex, or plain when not sealing.
  std::string seal_record(std::string_view list_key, char kind, std::string_view record) const;
  // nullopt when the hex does not open as a record of this kind in this list.
  std::optional<std::string> open_record(std::string_view list_key, char kind,
                                         std::string_view hex) const;

 private:
  struct Key {
    crypto::Key aead{};
    crypto::Key mac{};
    std::uint32_t id = 0;
  };
  const Key* key_with_id(std::uint32_t id) const;
  std::string seal_body(const Key& key, std::string_view context, std::string_view header,
                        std::string_view plaintext) const;
  std::optional<std::string> open_body(const Key& key, bool encrypted, std::string_view context,
                                       std::string_view header, std::string_view body) const;

  std::vector<Key> keys_;
  SealMode mode_ = SealMode::kOff;
  bool accept_unsealed_ = true;
};

}  // namespace clustered
