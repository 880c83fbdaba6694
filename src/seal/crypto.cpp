// SPDX-License-Identifier: BSD-3-Clause
#include "seal/crypto.h"

#include <sodium.h>

namespace clustered::crypto {
namespace {

static_assert(kKeyBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
static_assert(kNonceBytes == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kAeadTagBytes == crypto_aead_xchacha20poly1305_ietf_ABYTES);
static_assert(kMacBytes <= crypto_generichash_BYTES_MAX &&
              kKeyBytes <= crypto_generichash_KEYBYTES_MAX);

constexpr std::string_view kSecretContext = "clustered_session secret";

const unsigned char* bytes_of(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

void hash_part(crypto_generichash_state& state, std::string_view part) {
  unsigned char length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<unsigned char>(part.size() >> (8 * i));
  crypto_generichash_update(&state, length, sizeof length);
  crypto_generichash_update(&state, bytes_of(part), part.size());
}

}  // namespace

bool ready() {
  static const bool initialised = sodium_init() >= 0;
  return initialised;
}

void seal(const Key& key, std::string_view ad, std::string_view plaintext, std::string& out) {
  const std::size_t start = out.size();
  out.resize(start + kNonceBytes + plaintext.size() + kAeadTagBytes);
  auto* nonce = reinterpret_cast<unsigned char*>(out.data() + start);
  randombytes_buf(nonce, kNonceBytes);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + kNonceBytes, &written, bytes_of(plaintext),
                                             plaintext.size(), bytes_of(ad), ad.size(), nullptr,
                                             nonce, key.data());
}

std::optional<std::string> open(const Key& key, std::string_view ad, std::string_view sealed) {
  if (sealed.size() < kNonceBytes + kAeadTagBytes) return std::nullopt;
  const std::string_view nonce = sealed.substr(0, kNonceBytes);
  const std::string_view body = sealed.substr(kNonceBytes);
  std::string plaintext(body.size() - kAeadTagBytes, '\0');
  unsigned long long length = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plaintext.data()), &length, nullptr, bytes_of(body),
          body.size(), bytes_of(ad), ad.size(), bytes_of(nonce), key.data()) != 0) {
    return std::nullopt;
  }
  plaintext.resize(length);
  return plaintext;
}

std::array<unsigned char, kMacBytes> mac(const Key& key,
                                         std::initializer_list<std::string_view> parts) {
  crypto_generichash_state state;
  crypto_generichash_init(&state, key.data(), key.size(), kMacBytes);
  for (std::string_view part : parts) hash_part(state, part);
  std::array<unsigned char, kMacBytes> out{};
  crypto_generichash_final(&state, out.data(), out.size());
  return out;
}

bool mac_matches(const std::array<unsigned char, kMacBytes>& expected, std::string_view found) {
  return found.size() == kMacBytes && crypto_verify_32(expected.data(), bytes_of(found)) == 0;
}

Key derive(std::string_view secret, std::string_view purpose) {
  // BLAKE2b keyed with a hash of the secret, over the purpose: one independent
  // key per purpose, and a secret of any length.
  Key master{};
  crypto_generichash(master.data(), master.size(), bytes_of(secret), secret.size(),
                     bytes_of(kSecretContext), kSecretContext.size());
  Key derived{};
  crypto_generichash(derived.data(), derived.size(), bytes_of(purpose), purpose.size(),
                     master.data(), master.size());
  sodium_memzero(master.data(), master.size());
  return derived;
}

void wipe(void* data, std::size_t size) { sodium_memzero(data, size); }

}  // namespace clustered::crypto
