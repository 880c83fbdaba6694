// SPDX-License-Identifier: BSD-3-Clause
#include "session/takeover_notices.h"

#include <optional>
#include <utility>

namespace clustered {
namespace {

constexpr std::size_t kHashDigits = 16;
constexpr char kHexDigits[] = "0123456789abcdef";

constexpr char kHeadRecord = 'h';
constexpr char kLineRecord = 'l';

std::string to_bytes(std::uint64_t value) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((value >> (8 * i)) & 0xff);
  return bytes;
}

std::uint64_t from_bytes(std::string_view bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) {
    value |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  }
  return value;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::string notice_key(std::string_view route) {
  std::string key("clustered_session.moved:");
  key.append(route);
  return key;
}

std::string notice_line(std::uint64_t key_hash) {
  std::string line(kHashDigits + 1, '\n');
  for (std::size_t i = 0; i < kHashDigits; ++i) {
    line[kHashDigits - 1 - i] = kHexDigits[(key_hash >> (4 * i)) & 0xf];
  }
  return line;
}

std::string notice_list_head(std::uint64_t generation) { return "g " + notice_line(generation); }

static std::optional<std::uint64_t> parse_hash(std::string_view digits) {
  if (digits.size() != kHashDigits) return std::nullopt;
  std::uint64_t hash = 0;
  for (const char c : digits) {
    const int digit = hex_value(c);
    if (digit < 0) return std::nullopt;
    hash = (hash << 4) | static_cast<std::uint64_t>(digit);
  }
  return hash;
}

Notices parse_notices(std::string_view list, std::size_t offset) {
  static const Sealer kPlain;
  return NoticeFormat(kPlain, {}).parse(list, offset);
}

std::string NoticeFormat::line(std::uint64_t key_hash) const {
  if (!sealer_.seals_writes()) return notice_line(key_hash);
  return "s " + sealer_.seal_record(list_key_, kLineRecord, to_bytes(key_hash)) + "\n";
}

std::string NoticeFormat::head(std::uint64_t generation, bool everything) const {
  if (!sealer_.seals_writes()) {
    return notice_list_head(generation) + (everything ? std::string(kNoticeEverything) : "");
  }
  std::string record = to_bytes(generation);
  record.push_back(everything ? '\1' : '\0');
  return "S " + sealer_.seal_record(list_key_, kHeadRecord, record) + "\n";
}

Notices NoticeFormat::parse(std::string_view list, std::size_t offset) const {
  Notices notices;
  const bool required = sealing_required();
  // The head: "g <16 hex>\n" (plain) or "S <hex>\n" (sealed). Without one the
  // list is read whole.
  std::size_t head = 0;
  const std::size_t head_end = list.find('\n');
  if (head_end != std::string_view::npos && list.size() >= 2 && list[1] == ' ' &&
      (list[0] == 'g' || list[0] == 'S')) {
    const std::string_view text = list.substr(2, head_end - 2);
    if (list[0] == 'g') {
      if (const auto generation = parse_hash(text)) {
        head = head_end + 1;
        if (required) {
          ++notices.rejected;
        } else {
          notices.generation = *generation;
        }
      }
    } else {
      head = head_end + 1;
      const auto record =
          sealer_.has_keys() ? sealer_.open_record(list_key_, kHeadRecord, text) : std::nullopt;
      if (record && record->size() == 9) {
        notices.generation = from_bytes(*record);
        notices.everything = (*record)[8] != '\0';
      } else if (sealer_.has_keys()) {
        ++notices.rejected;
      } else {
        notices.everything = true;  // sealed by others: this node cannot tell what it said
      }
    }
  }
  if (offset == 0) offset = head;
  if (offset < head || offset > list.size()) {
    if (!required) {
      notices.everything = true;
      return notices;
    }
    offset = head;
  }
  // A head that did not open counts once: when the list is read from its start.
  if (offset > head) notices.rejected = 0;
  list.remove_prefix(offset);
  while (!list.empty()) {
    const std::size_t end = list.find('\n');
    // A line cut short (a half-written append cannot happen in memcached, but a
    // value written by something else can): no way to know what it meant.
    parse_line(list.substr(0, end), end != std::string_view::npos, notices);
    list.remove_prefix(end == std::string_view::npos ? list.size() : end + 1);
  }
  return notices;
}

void NoticeFormat::parse_line(std::string_view line, bool complete, Notices& notices) const {
  const bool required = sealing_required();
  if (complete && line.size() > 2 && line.substr(0, 2) == "s ") {
    if (!sealer_.has_keys()) {
      notices.everything = true;  // sealed by others: this node cannot tell what it said
      return;
    }
    const auto record = sealer_.open_record(list_key_, kLineRecord, line.substr(2));
    if (record && record->size() == 8) {
      notices.key_hashes.push_back(from_bytes(*record));
    } else {
      ++notices.rejected;
    }
    return;
  }
  // Plain: a hash, "*", or something that does not parse (trust nothing).
  if (required) {
    ++notices.rejected;
    return;
  }
  const auto hash = complete ? parse_hash(line) : std::nullopt;
  if (hash) {
    notices.key_hashes.push_back(*hash);
  } else {
    notices.everything = true;
  }
}

}  // namespace clustered
