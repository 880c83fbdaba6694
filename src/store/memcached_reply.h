// SPDX-License-Identifier: BSD-3-Clause
// Reads memcached's reply to ONE request from the bytes received so far, strictly
// against the command it answers (docs/design.md, section 3: a StoreReply tells
// every way a call can end). No sockets here: the connection (store/node_connection.h)
// appends what arrives and asks again until the reply is complete or bad.
//
// What a reply may be, per command (checked against a real memcached 1.6.18):
//
//   get       mg <key> k v c          VA <len> k<key> c<token> CRLF <data> CRLF | EN [k<key>]
//   touch     mg <key> T<exp>         HD | EN
//   set       ms <key> <len> T<exp>   HD
//   checked   ms <key> <len> c T<exp> HD c<token>
//   compare   ... C<token>            HD c<token> | EX [c0] | NF [c0]
//   add       add <key> 0 <exp> <len>         STORED | NOT_STORED
//   append    append <key> 0 0 <len>          STORED | NOT_STORED
//   cas       cas <key> 0 <exp> <len> <token> STORED | EXISTS | NOT_FOUND
//   delete    md <key>                HD | NF
//   stats     stats [settings]        (STAT <name> <value> CRLF)* END
//
// and, to any of them, ERROR (unknown command), CLIENT_ERROR <words> or
// SERVER_ERROR <words>. Anything else -- another command's reply, a second
// reply, a flag not asked for, a value for another key, a line longer than any
// reply, bytes that cannot begin a reply -- is a bad reply (the connection is
// then dropped). A value's announced length is checked against `max_value`
// before any of it is waited for; nothing here allocates by an announced length.
//
// memcached -C (no CAS tokens; 1.6.18): the c flag is still answered, always as
// c0 ("VA 3 kk c0", "HD c0"), a compare answers "EX c0" whatever the token (its
// items all have token 0), and "stats settings" says "cas_enabled no". EX, NF
// and NS say c0 on any server (there is no item whose token they could tell),
// so only a hit or a store with c0 shows a server without tokens.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/store_node.h"

namespace clustered {

enum class ReplyTo : std::uint8_t {
  kGet,
  kTouch,
  kSet,
  kSetChecked,  // ms ... c: the new token comes back
  kSetCompare,  // ms ... c C<token>: stored only while the item has that token
  kSetAdd,      // ms ... c ME: stored only where the key is missing, the new token comes back
  kAdd,
  kAppend,
  kCas,
  kDelete,
  kStats,
};

// The largest value a reply may announce when the node's item size limit is not
// known: memcached's own ceiling for -I.
inline constexpr std::uint64_t kMaxValueBytes = std::uint64_t{1} << 30;
// Longer than any reply line memcached sends (the longest is a VA line with a
// 250-byte key, or a "STAT" line of "stats settings").
inline constexpr std::size_t kMaxReplyLine = 2048;
// A whole "stats" reply (memcached 1.6.18 sends about 4 KiB).
inline constexpr std::size_t kMaxStatsReply = 64 * 1024;

struct ParsedReply {
  enum class Status : std::uint8_t {
    kIncomplete,  // every byte so far may begin a valid reply: read on
    kComplete,    // `reply` says what it means (a refusal included)
    kBad,         // reply.cause() is kBadReply, with a message
  };
  Status status = Status::kIncomplete;
  StoreReply reply;                                        // complete or bad
  std::optional<std::uint64_t> token;                      // the c flag, when the reply carries one
  std::vector<std::pair<std::string, std::string>> stats;  // kStats: name, value
  // ERROR, CLIENT_ERROR, SERVER_ERROR: memcached may not have read the request's
  // data block (it may read it as commands): the connection cannot be trusted on.
  bool error_line = false;

  bool complete() const { return status == Status::kComplete; }
  bool bad() const { return status == Status::kBad; }
};

// `key` is the key the request named (kGet checks the k flag against it);
// `max_value` bounds a value's announced length (at most kMaxValueBytes).
ParsedReply parse_reply(ReplyTo command, std::string_view key, std::string_view received,
                        std::uint64_t max_value = kMaxValueBytes);

// `bytes` for a message: the first 60 of them in double quotes, control bytes and
// characters PHP may escape in HTML (<, >, &, ", \) as \xNN, at most 120
// characters in all, "..." when cut.
std::string quote_reply(std::string_view bytes);

}  // namespace clustered
