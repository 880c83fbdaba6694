// SPDX-License-Identifier: BSD-3-Clause
#include "seal/sealer.h"

#include <cstdio>
#include <utility>

namespace clustered {
namespace {

constexpr char kRecordEncrypted = 'e';
constexpr char kRecordAuthenticated = 'a';
constexpr std::size_t kRecordHeaderSize = 5;  // key id u32 LE, then kRecord*

std::string hex_id(std::uint32_t id) {
  char text[9];
  std::snprintf(text, sizeof text, "%08x", static_cast<unsigned>(id));
  return text;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * bytes.size());
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 0xf]);
  }
  return hex;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string bytes(hex.size() / 2, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const int high = hex_digit(hex[2 * i]);
    const int low = hex_digit(hex[2 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    bytes[i] = static_cast<char>((high << 4) | low);
  }
  return bytes;
}

std::uint32_t read_u32(std::string_view bytes) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    value |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  }
  return value;
}

void put_u32(std::string& out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

// What a sealed thing is bound to besides its header: a value to its memcached
// key, a record to its list and kind.
std::string value_context(std::string_view key) { return "value " + std::string(key); }
std::string record_context(std::string_view list_key, char kind) {
  return std::string("notice ") + kind + ' ' + std::string(list_key);
}

}  // namespace

std::optional<SealMode> parse_seal_mode(std::string_view text) {
  if (text == "encrypt") return SealMode::kEncrypt;
  if (text == "authenticate") return SealMode::kAuthenticate;
  // php.ini reads a bare `off` as an empty string.
  if (text == "off" || text.empty()) return SealMode::kOff;
  return std::nullopt;
}

std::string_view seal_mode_name(SealMode mode) {
  switch (mode) {
    case SealMode::kEncrypt:
      return "encrypt";
    case SealMode::kAuthenticate:
      return "authenticate";
    case SealMode::kOff:
      break;
  }
  return "off";
}

Sealer::~Sealer() {
  for (Key& key : keys_) crypto::wipe(&key, sizeof key);
}

Result<std::shared_ptr<const Sealer>> Sealer::with_secrets(std::vector<std::string> secrets,
                                                           SealMode mode, bool accept_unsealed) {
  if (!crypto::ready()) return Error{"libsodium cannot start (sodium_init failed)"};
  auto sealer = std::make_shared<Sealer>();
  for (std::string& secret : secrets) {
    Key key;
    key.aead = crypto::derive(secret, "seal values");
    key.mac = crypto::derive(secret, "authenticate values");
    const crypto::Key id = crypto::derive(secret, "key id");
    key.id = read_u32(std::string_view(reinterpret_cast<const char*>(id.data()), 4));
    if (key.id == 0) key.id = 1;  // 0 stands for "plain" (sealing_key_id())
    crypto::wipe(secret.data(), secret.size());
    sealer->keys_.push_back(key);
  }
  sealer->mode_ = mode;
  sealer->accept_unsealed_ = accept_unsealed;
  return std::shared_ptr<const Sealer>(std::move(sealer));
}

std::string Sealer::description() const {
  if (!has_keys()) return "off: values are not sealed (no clustered_session.secret_file)";
  std::string text(seal_mode_name(mode_));
  if (mode_ == SealMode::kOff) {
    text += ": values are written unsealed; sealed ones open";
  } else {
    text += ", key " + hex_id(keys_.front().id);
  }
  text +=
      " (" + std::to_string(keys_.size()) + (keys_.size() == 1 ? " key opens" : " keys open") + ")";
  if (accepts_unsealed() && mode_ != SealMode::kOff) text += ", unsealed values accepted";
  return text;
}

const Sealer::Key* Sealer::key_with_id(std::uint32_t id) const {
  for (const Key& key : keys_) {
    if (key.id == id) return &key;
  }
  return nullptr;
}

std::string Sealer::seal_body(const Key& key, std::string_view context, std::string_view header,
                              std::string_view plaintext) const {
  std::string out;
  if (mode_ == SealMode::kEncrypt) {
    std::string ad(context);
    ad.push_back('\0');
    ad.append(header);
    crypto::seal(key.aead, ad, plaintext, out);
    return out;
  }
  const auto tag = crypto::mac(key.mac, {context, header, plaintext});
  out.reserve(plaintext.size() + tag.size());
  out.append(plaintext);
  out.append(reinterpret_cast<const char*>(tag.data()), tag.size());
  return out;
}

std::optional<std::string> Sealer::open_body(const Key& key, bool encrypted,
                                             std::string_view context, std::string_view header,
                                             std::string_view body) const {
  if (encrypted) {
    std::string ad(context);
    ad.push_back('\0');
    ad.append(header);
    return crypto::open(key.aead, ad, body);
  }
  if (body.size() < crypto::kMacBytes) return std::nullopt;
  const std::string_view plaintext = body.substr(0, body.size() - crypto::kMacBytes);
  const auto expected = crypto::mac(key.mac, {context, header, plaintext});
  if (!crypto::mac_matches(expected, body.substr(plaintext.size()))) return std::nullopt;
  return std::string(plaintext);
}

std::string Sealer::seal_payload(std::string_view key, std::string_view header,
                                 std::string_view payload) const {
  return seal_body(keys_.front(), value_context(key), header, payload);
}

Result<std::string> Sealer::open_payload(std::string_view key, std::uint32_t key_id, bool encrypted,
                                         std::string_view header, std::string_view body) const {
  if (!has_keys()) {
    return Failure::of(Cause::kUnreadable,
                       "the value is sealed (key " + hex_id(key_id) +
                           ") and this node has no clustered_session.secret_file");
  }
  const Key* opener = key_with_id(key_id);
  if (opener == nullptr) {
    return Failure::of(Cause::kRejected,
                       "the value is sealed with key " + hex_id(key_id) +
                           ", which clustered_session.secret_file does not hold (forged, "
                           "or a key not yet added on this node)");
  }
  auto opened = open_body(*opener, encrypted, value_context(key), header, body);
  if (!opened) {
    return Failure::of(Cause::kRejected, "the value does not open with key " + hex_id(key_id) +
                                             " (forged, damaged, or copied from another key)");
  }
  return std::move(*opened);
}

std::string Sealer::seal_record(std::string_view list_key, char kind,
                                std::string_view record) const {
  if (!seals_writes()) return std::string(record);
  const Key& sealing = keys_.front();
  std::string header;
  put_u32(header, sealing.id);
  header.push_back(mode_ == SealMode::kEncrypt ? kRecordEncrypted : kRecordAuthenticated);
  return to_hex(header + seal_body(sealing, record_context(list_key, kind), header, record));
}

std::optional<std::string> Sealer::open_record(std::string_view list_key, char kind,
                                               std::string_view hex) const {
  if (!has_keys()) return std::nullopt;
  const std::optional<std::string> bytes = from_hex(hex);
  if (!bytes || bytes->size() < kRecordHeaderSize) return std::nullopt;
  const std::string_view sealed(*bytes);
  const char how = sealed[4];
  if (how != kRecordEncrypted && how != kRecordAuthenticated) return std::nullopt;
  const Key* opener = key_with_id(read_u32(sealed));
  if (opener == nullptr) return std::nullopt;
  return open_body(*opener, how == kRecordEncrypted, record_context(list_key, kind),
                   sealed.substr(0, kRecordHeaderSize), sealed.substr(kRecordHeaderSize));
}

}  // namespace clustered
