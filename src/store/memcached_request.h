// SPDX-License-Identifier: BSD-3-Clause
// The requests MemcachedNode sends, one per StoreNode call (docs/design.md,
// section 6: every flow is counted in these round trips). What each one may be
// answered with is in store/memcached_reply.h.
//
// Reads, sets, touches and deletes use memcached's meta protocol (1.6 and
// later): "mg" answers a value together with its key and CAS token in one
// reply, and "ms ... c" answers the token of what it stored. add, append and cas
// keep memcached's classic storage commands on purpose: memcached 1.6.18 unlinks
// the stored item when it refuses an "ms" as too large or out of memory in EVERY
// mode (add, append and compare included), while the classic add, append and cas
// leave it, which is what StoreNode promises (only a refused SET drops the copy).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace clustered {

// A key memcached accepts and that cannot break a request line: 1..250 bytes,
// none of them a space or a control byte.
bool valid_memcached_key(std::string_view key);

// mg <key> k v c: the value, its key and its CAS token.
std::string get_request(std::string_view key);
// mg <key> T<exptime>: a touch that answers HD (touched) or EN (missing).
std::string touch_request(std::string_view key, std::uint32_t exptime);
// ms <key> <bytes> [c] T<exptime> [C<compare>]: with `want_token` the reply
// carries the new CAS token; with `compare` != 0 it stores only while the item
// has that token.
std::string set_request(std::string_view key, std::string_view value, std::uint32_t exptime,
                        bool want_token, std::uint64_t compare);
// ms <key> <bytes> c T<exptime> ME: stores only where the key is missing (NS
// otherwise) and answers the new token. (The key is missing, so memcached's
// unlinking of a refused meta set has nothing to drop.)
std::string add_checked_request(std::string_view key, std::string_view value,
                                std::uint32_t exptime);
// add/append/cas <key> 0 <exptime> <bytes> [<cas>] and the data block.
std::string add_request(std::string_view key, std::string_view value, std::uint32_t exptime);
std::string append_request(std::string_view key, std::string_view value);
std::string cas_request(std::string_view key, std::string_view value, std::uint32_t exptime,
                        std::uint64_t cas);
// md <key>
std::string delete_request(std::string_view key);
// "stats" or "stats settings".
std::string stats_request(std::string_view group = {});

}  // namespace clustered
