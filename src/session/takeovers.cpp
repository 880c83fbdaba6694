// SPDX-License-Identifier: BSD-3-Clause
#include "session/takeovers.h"

#include <vector>

#include "session/takeover_notices.h"

namespace clustered {

bool Takeovers::recently_checked(std::int64_t monotonic_s) const {
  return monotonic_s - watch_.checked_at.load(std::memory_order_relaxed) <= kNoticeGapSeconds;
}

CopyTrust Takeovers::trust_local_copies(std::string_view route, std::int64_t interval_s,
                                        const Now& now, std::uint32_t ttl_s) {
  if (interval_s <= 0) return CopyTrust::kTrusted;
  // Trusted while the last complete check started less than interval_s ago
  // (docs/design.md, section 7, "Forwards and notices"). A takeover writes its
  // forward, then its notice (IdMoves::complete). A request in monotonic second
  // `now` began before now + 1, so a notice appended interval_s or more before it
  // was appended before now + 1 - interval_s, and a check that started in second
  // checked_at >= now + 1 - interval_s (now - checked_at < interval_s) read it.
  // Past that, while another process is inside the due check (or the last one was
  // incomplete), such a takeover may be unread: each copy is compared with
  // memcached first, which holds the forward. The common case: one relaxed load.
  const std::int64_t since = now.monotonic_s - watch_.checked_at.load(std::memory_order_relaxed);
  if (since < interval_s) return CopyTrust::kTrusted;
  // Its own complete check read every notice appended before this request began.
  if (watch_.claim(now.monotonic_s, interval_s)) {
    ++checks_run_;
    if (check(route, now, ttl_s)) return CopyTrust::kTrusted;
  }
  return recently_checked(now.monotonic_s) ? CopyTrust::kVerify : CopyTrust::kUntrusted;
}

bool Takeovers::check(std::string_view route, const Now& now, std::uint32_t ttl_s) {
  Counters::add(counters_.takeover_checks);
  // After a gap the lists that named some of our entries may have expired unread.
  bool everything = !recently_checked(now.monotonic_s);
  bool complete = true;
  std::vector<std::uint64_t> taken_over;
  const NoticeFormat format(remote_.sealer(), notice_key(route));
  const std::string key = notice_key(route);
  for (std::size_t node = 0; node < remote_.node_count(); ++node) {
    // A node believed down cannot be read; writers skip it too. Nor is a node
    // save_path dropped: the others write every notice to the nodes listed here.
    if (!remote_.is_up(node) || remote_.departed(node)) continue;
    const auto got = remote_.get_plain(node, key);
    if (!got) {
      complete = false;
      continue;
    }
    // No list: it expired (kNoticeTtlSeconds after its last line, which a check
    // within the gap has read) or was never written: nothing new.
    if (!*got) {
      remote_.set_notice_position(node, {});
      continue;
    }
    const std::string& list = **got;
    const RemoteStore::ReadPosition read = remote_.notice_position(node);
    Notices notices = format.parse(list, 0);
    // The same generation: only what was appended since; another one (the old
    // list expired, or overflowed and began again with "*"): all of it. A list
    // without a head that opens (someone else's) is read from where this node
    // left it too when sealing is required, so its rejects count once.
    if (notices.generation == read.generation &&
        (notices.generation != 0 || format.sealing_required())) {
      notices = format.parse(list, read.offset);
    }
    if (notices.rejected > 0) {
      remote_.reject(notices.rejected, "memcached node " + remote_.address(node).id + ": " +
                                           std::to_string(notices.rejected) + " record(s) of " +
                                           key + " do not open; ignored");
    }
    remote_.set_notice_position(node, {notices.generation, list.size()});
    everything = everything || notices.everything;
    taken_over.insert(taken_over.end(), notices.key_hashes.begin(), notices.key_hashes.end());
  }
  // What the notices name is gone in any case, before a memcached restart could
  // mark it unsynced and have it stored again (a session that moved on).
  if (cache_ != nullptr)
    Counters::add(counters_.takeover_notices, cache_->remove_hashed(taken_over));
  if (everything) {
    // A node that distrusts every synced copy (after a gap) first learns which
    // ones lost their remote copy to a memcached restart: those are kept,
    // unsynced. Nothing is dropped that memcached may not have: each copy is
    // compared with memcached before it is served (docs/design.md, "Lost copies").
    notice_restarts();
    if (cache_ != nullptr) Counters::add(counters_.takeover_notices, cache_->distrust_synced());
  }
  if (complete) watch_.completed(now.monotonic_s);
  // Otherwise after the check, so that reading the notices is not delayed.
  if (!everything) notice_restarts();
  lost_copies_.notice_evictions();
  lost_copies_.compare(now.wall_s);
  missed_.retry(ttl_s, now.wall_s);
  return complete;
}

void Takeovers::notice_restarts() {
  // memcached restarted (empty) on a node: what this node holds there is
  // unsynced now, never dropped as synced, and written again (docs/design.md, "Lost copies").
  for (std::size_t node = 0; node < remote_.node_count(); ++node) {
    if (!remote_.is_up(node) || remote_.departed(node)) continue;
    // Recorded now, or at a process's first contact since (RemoteStore::note_contact).
    (void)remote_.restarted_since_last_look(node);
    if (remote_.take_unhandled_restart(node)) {
      Counters::add(counters_.store_restarts);
      if (cache_ != nullptr) cache_->mark_unsynced_on(remote_.address(node).id);
    }
  }
}

Takeovers::Missed Takeovers::announce(std::string_view old_route, std::string_view old_key,
                                      std::uint64_t new_generation) {
  const std::string key = notice_key(old_route);
  const NoticeFormat format(remote_.sealer(), key);
  const std::string line = format.line(SessionCache::hash_of(old_key));
  const std::string head = format.head(new_generation);
  const std::string when_full = format.head(new_generation, true);
  // The old owner reads every node it can reach: one copy it can read is enough,
  // so a node that fails here only matters when no node has the notice.
  bool written = false;
  Missed missed;
  for (std::size_t node = 0; node < remote_.node_count(); ++node) {
    if (!remote_.is_up(node) || remote_.departed(node)) continue;
    const auto appended = remote_.append_line(node, key, line, head, when_full, kNoticeTtlSeconds);
    if (appended) {
      written = true;
      continue;
    }
    if (!missed.why.empty()) missed.why += "; ";
    missed.why += appended.error();
    missed.cause = appended.failure().cause;
  }
  if (written) return {};
  if (missed.why.empty()) missed = {"no memcached node is up", Cause::kDown};
  return missed;
}

}  // namespace clustered
