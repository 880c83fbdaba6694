// SPDX-License-Identifier: BSD-3-Clause
// The few primitives sealing needs, from libsodium (the only file that includes
// it): XChaCha20-Poly1305 for sealed values, keyed BLAKE2b for authenticated-only
// ones and for deriving keys. Random 192-bit nonces: no counter to keep between
// processes or nodes, and no collision to fear at any write rate.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace clustered::crypto {

inline constexpr std::size_t kKeyBytes = 32;
inline constexpr std::size_t kNonceBytes = 24;  // XChaCha20-Poly1305 (IETF)
inline constexpr std::size_t kAeadTagBytes = 16;
inline constexpr std::size_t kMacBytes = 32;  // keyed BLAKE2b-256

using Key = std::array<unsigned char, kKeyBytes>;

// libsodium's own start-up (idempotent, thread-safe); false when it cannot run.
bool ready();

// Appends nonce || ciphertext || tag of `plaintext` to `out`; `ad` is
// authenticated, not stored.
void seal(const Key& key, std::string_view ad, std::string_view plaintext, std::string& out);
// The plaintext of nonce || ciphertext || tag, or nullopt when it does not open
// with this key and `ad` (forged, damaged, another key, another place).
std::optional<std::string> open(const Key& key, std::string_view ad, std::string_view sealed);

// A 32-byte keyed BLAKE2b of the parts, each prefixed by its length (so no two
// different sequences of parts hash alike).
std::array<unsigned char, kMacBytes> mac(const Key& key,
                                         std::initializer_list<std::string_view> parts);
// Constant-time comparison of a MAC with the bytes found.
bool mac_matches(const std::array<unsigned char, kMacBytes>& expected, std::string_view found);

// A 32-byte key for `purpose` from an operator's secret (any length).
Key derive(std::string_view secret, std::string_view purpose);

// Overwrites memory that held a secret (not optimised away).
void wipe(void* data, std::size_t size);

}  // namespace clustered::crypto
