// SPDX-License-Identifier: BSD-3-Clause
// clustered_session.secret_file: the keys that seal what the handler stores.
//
// One key a line (at least kMinSecretLength characters, e.g. from
// `openssl rand -base64 32`); blank lines and lines starting with '#' are
// skipped. The first key seals new values; every key opens old ones, so a key
// is rotated by adding the new one everywhere, then moving it first, then
// removing the old one. The file is read once, in MINIT (as root, before the
// server drops privileges and forks), and refused when anyone else on the
// machine could read it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace clustered {

inline constexpr std::size_t kMinSecretLength = 32;
inline constexpr std::size_t kMaxSecretFileBytes = std::size_t{64} * 1024;

// The keys of `path` in order, or why the file cannot be used (missing,
// unreadable, readable or writable by every user, a key too short, no key).
Result<std::vector<std::string>> read_secret_file(const std::string& path);

// The keys of a secret file's text (line rules above); `path` names it in errors.
Result<std::vector<std::string>> parse_secrets(std::string_view text, std::string_view path);

}  // namespace clustered
