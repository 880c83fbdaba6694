// SPDX-License-Identifier: BSD-3-Clause
#include "store/memcached_reply.h"

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <span>

namespace clustered {
namespace {

using ReplyStatus = ParsedReply::Status;

// What of a reply a message shows: bytes, and characters once escaped (a byte
// escaped as \xNN takes four), so that no message grows past a few hundred.
constexpr std::size_t kQuotedBytes = 60;
constexpr std::size_t kServerWords = 100;
constexpr std::size_t kShownCharacters = 120;

ParsedReply incomplete() { return {}; }

ParsedReply bad(std::string message) {
  ParsedReply parsed;
  parsed.status = ReplyStatus::kBad;
  parsed.reply = Failure::of(Cause::kBadReply, std::move(message));
  return parsed;
}

ParsedReply complete(Cause code, std::string message = {}) {
  ParsedReply parsed;
  parsed.status = ReplyStatus::kComplete;
  if (code == Cause::kOk) {
    parsed.reply = StoreItem{};
  } else {
    parsed.reply = Failure::of(code, std::move(message));
  }
  return parsed;
}

bool printable(char c) { return c >= 0x20 && c <= 0x7e; }

// Appends `bytes` escaped (see quote_reply()) while the result stays within
// kShownCharacters; true when all of them fit.
bool append_escaped(std::string& out, std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t shown = 0;
  for (const char c : bytes) {
    const bool plain = printable(c) && c != '<' && c != '>' && c != '&' && c != '"' && c != '\\';
    shown += plain ? 1 : 4;
    if (shown > kShownCharacters) return false;
    if (plain) {
      out += c;
      continue;
    }
    const auto byte = static_cast<unsigned char>(c);
    out += "\\x";
    out += kHex[byte >> 4];
    out += kHex[byte & 0xf];
  }
  return true;
}

// The server's own words (an error line), escaped and bounded, without quotes:
// they are what memcached says, not what we failed to understand.
std::string server_words(std::string_view line) {
  std::string out;
  const bool whole = append_escaped(out, line.substr(0, kServerWords));
  if (!whole || line.size() > kServerWords) out += "...";
  return out;
}

std::string not_understood(std::string_view bytes) {
  return "reply not understood: " + quote_reply(bytes);
}

// One reply line: CRLF-terminated, printable ASCII only, at most kMaxReplyLine.
struct Line {
  ReplyStatus status = ReplyStatus::kIncomplete;
  std::string_view text;  // without CRLF (complete), or what has arrived (incomplete)
  std::size_t end = 0;    // offset just past the CRLF
};

Line scan_line(std::string_view received, std::size_t from) {
  Line line;
  const std::string_view rest = received.substr(from);
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (i > kMaxReplyLine) break;
    const char c = rest[i];
    if (c == '\r') {
      if (i + 1 == rest.size()) break;  // the LF may follow
      if (rest[i + 1] != '\n') {
        line.status = ReplyStatus::kBad;
        return line;
      }
      line.status = ReplyStatus::kComplete;
      line.text = rest.substr(0, i);
      line.end = from + i + 2;
      return line;
    }
    if (!printable(c)) {
      line.status = ReplyStatus::kBad;
      return line;
    }
  }
  if (rest.size() > kMaxReplyLine + 1) {
    line.status = ReplyStatus::kBad;
    return line;
  }
  line.text = rest.substr(0, rest.size() - (rest.ends_with('\r') ? 1 : 0));
  return line;
}

using Words = std::span<const std::string_view>;

constexpr std::string_view kErrorWords[] = {"ERROR", "CLIENT_ERROR", "SERVER_ERROR"};
constexpr std::string_view kGetWords[] = {"VA", "EN"};
constexpr std::string_view kTouchWords[] = {"HD", "EN"};
constexpr std::string_view kSetWords[] = {"HD"};
constexpr std::string_view kCompareWords[] = {"HD", "EX", "NF"};
constexpr std::string_view kAddOnlyWords[] = {"HD", "NS"};
constexpr std::string_view kAddWords[] = {"STORED", "NOT_STORED"};
constexpr std::string_view kCasWords[] = {"STORED", "EXISTS", "NOT_FOUND"};
constexpr std::string_view kDeleteWords[] = {"HD", "NF"};
constexpr std::string_view kStatsWords[] = {"STAT", "END"};

Words reply_words(ReplyTo command) {
  switch (command) {
    case ReplyTo::kGet:
      return kGetWords;
    case ReplyTo::kTouch:
      return kTouchWords;
    case ReplyTo::kSet:
    case ReplyTo::kSetChecked:
      return kSetWords;
    case ReplyTo::kSetCompare:
      return kCompareWords;
    case ReplyTo::kSetAdd:
      return kAddOnlyWords;
    case ReplyTo::kAdd:
    case ReplyTo::kAppend:
      return kAddWords;
    case ReplyTo::kCas:
      return kCasWords;
    case ReplyTo::kDelete:
      return kDeleteWords;
    case ReplyTo::kStats:
      return kStatsWords;
  }
  return {};
}

// Whether a line that has begun with `partial` can still become one that starts
// with one of `words` (or an error line): garbage is refused at its first byte
// instead of being waited on until io_timeout.
bool may_begin(std::string_view partial, Words words, bool error_lines) {
  const std::size_t space = partial.find(' ');
  const std::string_view word = partial.substr(0, space);
  const auto fits = [&](std::string_view allowed) {
    return space == std::string_view::npos ? allowed.starts_with(word) : allowed == word;
  };
  for (const std::string_view allowed : words) {
    if (fits(allowed)) return true;
  }
  if (!error_lines) return false;
  for (const std::string_view allowed : kErrorWords) {
    if (fits(allowed)) return true;
  }
  return false;
}

// The words of a line, split at single spaces; nullopt when a word is empty
// (two spaces, a leading or a trailing one: memcached never sends those).
std::optional<std::vector<std::string_view>> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  for (;;) {
    const std::size_t space = line.find(' ');
    const std::string_view word = line.substr(0, space);
    if (word.empty()) return std::nullopt;
    words.push_back(word);
    if (space == std::string_view::npos) return words;
    line.remove_prefix(space + 1);
  }
}

std::optional<std::uint64_t> number(std::string_view digits) {
  if (digits.empty() || digits.size() > 20) return std::nullopt;
  std::uint64_t value = 0;
  const char* end = digits.data() + digits.size();
  const auto [stop, ec] = std::from_chars(digits.data(), end, value);
  if (ec != std::errc() || stop != end) return std::nullopt;
  return value;
}

// The flags of a meta reply (k<key>, c<token>), each allowed at most once and
// only when asked for.
struct MetaFlags {
  std::optional<std::string_view> key;
  std::optional<std::uint64_t> token;
};

std::optional<MetaFlags> meta_flags(std::span<const std::string_view> words, bool key_allowed,
                                    bool token_allowed) {
  MetaFlags flags;
  for (const std::string_view word : words) {
    const std::string_view value = word.substr(1);
    if (word[0] == 'k' && key_allowed && !flags.key && !value.empty()) {
      flags.key = value;
    } else if (word[0] == 'c' && token_allowed && !flags.token) {
      flags.token = number(value);
      if (!flags.token) return std::nullopt;
    } else {
      return std::nullopt;
    }
  }
  return flags;
}

bool is_store(ReplyTo command) {
  switch (command) {
    case ReplyTo::kSet:
    case ReplyTo::kSetChecked:
    case ReplyTo::kSetCompare:
    case ReplyTo::kSetAdd:
    case ReplyTo::kAdd:
    case ReplyTo::kAppend:
    case ReplyTo::kCas:
      return true;
    default:
      return false;
  }
}

// ERROR, CLIENT_ERROR, SERVER_ERROR: what they mean for `command`.
ParsedReply error_line(ReplyTo command, std::string_view line, std::string_view word) {
  ParsedReply parsed;
  if (word == "ERROR") {
    parsed = bad("the server does not know the command: " + quote_reply(line) +
                 " (memcached 1.6 or later is needed)");
  } else if (word == "SERVER_ERROR" && is_store(command) &&
             line.starts_with("SERVER_ERROR out of memory")) {
    parsed = complete(Cause::kOutOfMemory,
                      "out of memory: " + server_words(line) +
                          " (memcached's -m is full and it does not evict: -M, or the item's "
                          "slab class has no page left)");
  } else if (word == "SERVER_ERROR" && is_store(command) &&
             line.starts_with("SERVER_ERROR object too large")) {
    parsed = complete(Cause::kTooLarge, "too large: " + server_words(line) + " (memcached -I)");
  } else {
    // Any other refusal of this item ("out of memory" included for a read:
    // it concerns the reply, not a stored item).
    parsed = complete(Cause::kRefused, server_words(line));
  }
  parsed.error_line = true;
  return parsed;
}

// Nothing may follow the one reply that was asked for.
ParsedReply ended_at(ParsedReply parsed, std::string_view received, std::size_t end) {
  if (end < received.size()) {
    return bad("sent more than the one reply asked for: " + quote_reply(received.substr(end)));
  }
  return parsed;
}

ParsedReply parse_value(std::string_view received, const Line& line,
                        const std::vector<std::string_view>& words, std::string_view key,
                        std::uint64_t max_value) {
  if (words.size() < 2) return bad(not_understood(line.text));
  const std::optional<std::uint64_t> length = number(words[1]);
  if (!length) return bad(not_understood(line.text));
  if (*length > max_value) {
    return bad("announced a value of " + std::to_string(*length) + " bytes, more than " +
               (max_value < kMaxValueBytes ? "the node's item size limit of " +
                                                 std::to_string(max_value) + " bytes (memcached -I)"
                                           : std::string("1 GiB")));
  }
  const auto flags = meta_flags(std::span(words).subspan(2), true, true);
  if (!flags || !flags->key || !flags->token) return bad(not_understood(line.text));
  if (*flags->key != key) return bad("the value of another key: " + quote_reply(line.text));
  // Safe from overflow: the length is at most 1 GiB.
  const std::size_t data_end = line.end + static_cast<std::size_t>(*length);
  if (received.size() < data_end + 2) {
    // What has arrived after the value must still be able to become its CRLF.
    if (received.size() > data_end && received[data_end] != '\r') {
      return bad("the value is not followed by CRLF: " + quote_reply(line.text));
    }
    return incomplete();
  }
  if (received.substr(data_end, 2) != "\r\n") {
    return bad("the value is not followed by CRLF: " + quote_reply(line.text));
  }
  ParsedReply parsed = complete(Cause::kOk);
  parsed.reply->value = std::string(received.substr(line.end, data_end - line.end));
  parsed.reply->cas = *flags->token;
  parsed.token = flags->token;
  return ended_at(std::move(parsed), received, data_end + 2);
}

// A meta reply without a value: `word` and its flags.
ParsedReply parse_meta_line(ReplyTo command, std::string_view received, const Line& line,
                            const std::vector<std::string_view>& words, std::string_view key) {
  const std::string_view word = words[0];
  const std::span<const std::string_view> rest = std::span(words).subspan(1);
  const bool with_token = command == ReplyTo::kSetChecked || command == ReplyTo::kSetCompare ||
                          command == ReplyTo::kSetAdd;
  // A miss of a get echoes the key asked for (memcached 1.6.18; earlier 1.6
  // releases send EN alone).
  const bool with_key = command == ReplyTo::kGet && word == "EN";
  const auto flags = meta_flags(rest, with_key, with_token);
  if (!flags) return bad(not_understood(line.text));
  if (flags->key && *flags->key != key)
    return bad("a reply about another key: " + quote_reply(line.text));

  ParsedReply parsed;
  if (word == "HD") {
    // A stored item's token is what a checked set is for.
    if (with_token && !flags->token) return bad(not_understood(line.text));
    parsed = complete(Cause::kOk);
    if (flags->token) parsed.reply->cas = *flags->token;
  } else if (word == "EN") {
    parsed = complete(Cause::kNotFound);
  } else if (word == "NF") {
    parsed = complete(Cause::kNotFound);
  } else if (word == "NS") {  // only for an add: the key exists
    parsed = complete(Cause::kNotStored);
  } else {  // EX: another token since (only for a compare)
    parsed = complete(Cause::kExists);
  }
  parsed.token = flags->token;
  return ended_at(std::move(parsed), received, line.end);
}

// STORED, NOT_STORED, EXISTS, NOT_FOUND: one word, nothing after it.
ParsedReply parse_text_line(std::string_view received, const Line& line) {
  Cause code = Cause::kOk;
  if (line.text == "NOT_STORED") {
    code = Cause::kNotStored;
  } else if (line.text == "EXISTS") {
    code = Cause::kExists;
  } else if (line.text == "NOT_FOUND") {
    code = Cause::kNotFound;
  } else if (line.text != "STORED") {
    return bad(not_understood(line.text));
  }
  return ended_at(complete(code), received, line.end);
}

ParsedReply parse_stats(std::string_view received, Line line) {
  ParsedReply parsed;
  for (;;) {
    if (line.end > kMaxStatsReply || received.size() > kMaxStatsReply + kMaxReplyLine) {
      return bad("a stats reply longer than any memcached sends (over 64 KiB)");
    }
    if (line.text == "END") break;
    // STAT <name> <value>; the value is the rest of the line.
    if (!line.text.starts_with("STAT ")) return bad(not_understood(line.text));
    const std::string_view rest = line.text.substr(5);
    const std::size_t space = rest.find(' ');
    if (space == 0 || space == std::string_view::npos) return bad(not_understood(line.text));
    parsed.stats.emplace_back(rest.substr(0, space), rest.substr(space + 1));
    const std::size_t next = line.end;
    line = scan_line(received, next);
    if (line.status == ReplyStatus::kBad) return bad(not_understood(received.substr(next)));
    if (line.status == ReplyStatus::kIncomplete) {
      if (!may_begin(line.text, reply_words(ReplyTo::kStats), false)) {
        return bad(not_understood(line.text));
      }
      return incomplete();
    }
  }
  parsed.status = ReplyStatus::kComplete;
  return ended_at(std::move(parsed), received, line.end);
}

}  // namespace

std::string quote_reply(std::string_view bytes) {
  std::string out = "\"";
  const bool whole = append_escaped(out, bytes.substr(0, kQuotedBytes));
  out += '"';
  if (!whole || bytes.size() > kQuotedBytes) out += "...";
  return out;
}

ParsedReply parse_reply(ReplyTo command, std::string_view key, std::string_view received,
                        std::uint64_t max_value) {
  max_value = std::min(max_value, kMaxValueBytes);
  const Line line = scan_line(received, 0);
  if (line.status == ReplyStatus::kBad) {
    return bad(received.size() > kMaxReplyLine
                   ? "reply not understood: a line of more than " + std::to_string(kMaxReplyLine) +
                         " bytes: " + quote_reply(received)
                   : not_understood(received));
  }
  const Words words = reply_words(command);
  if (line.status == ReplyStatus::kIncomplete) {
    return may_begin(line.text, words, true) ? incomplete() : bad(not_understood(line.text));
  }
  const auto split = split_words(line.text);
  if (!split) return bad(not_understood(line.text));
  const std::string_view word = split->front();
  for (const std::string_view error : kErrorWords) {
    if (word == error) return error_line(command, line.text, word);
  }
  if (!may_begin(line.text, words, false)) return bad(not_understood(line.text));
  switch (command) {
    case ReplyTo::kGet:
      if (word == "VA") return parse_value(received, line, *split, key, max_value);
      return parse_meta_line(command, received, line, *split, key);
    case ReplyTo::kTouch:
    case ReplyTo::kSet:
    case ReplyTo::kSetChecked:
    case ReplyTo::kSetCompare:
    case ReplyTo::kSetAdd:
    case ReplyTo::kDelete:
      return parse_meta_line(command, received, line, *split, key);
    case ReplyTo::kAdd:
    case ReplyTo::kAppend:
    case ReplyTo::kCas:
      return parse_text_line(received, line);
    case ReplyTo::kStats:
      return parse_stats(received, line);
  }
  return bad(not_understood(line.text));
}

}  // namespace clustered
