// SPDX-License-Identifier: BSD-3-Clause
#include "sim/known_issues.h"

#include <algorithm>
#include <optional>
#include <regex>
#include <set>
#include <vector>

namespace clustered::sim {
namespace {

bool trace_has(const HistoryResult& result, const std::string& text) {
  return std::any_of(result.trace.begin(), result.trace.end(),
                     [&](const std::string& line) { return line.find(text) != std::string::npos; });
}

// The requests of the user a violation concerns ("rN uK ..." lines of the
// trace), so that a class's evidence must come from that user's own requests
// (another user's missed forward explains nothing here); empty when the
// violation names no request, and then any line of the trace counts.
std::set<std::string> requests_of_user(const HistoryResult& result, const Violation& violation) {
  static const std::regex named(R"(^(r\d+)[@ ])");
  static const std::regex started(R"(^\s*[0-9.]+ (r\d+) (u\d+) )");
  std::smatch match;
  if (!std::regex_search(violation.detail, match, named)) return {};
  const std::string request = match[1];
  std::string user;
  for (const std::string& line : result.trace) {
    if (std::regex_search(line, match, started) && match[1] == request) user = match[2];
  }
  std::set<std::string> requests;
  if (user.empty()) return requests;
  for (const std::string& line : result.trace) {
    if (std::regex_search(line, match, started) && match[2] == user) requests.insert(match[1]);
  }
  return requests;
}

// A line with `text` that one of `requests` wrote ("rN@webX ..." after the
// time stamp, or an overlap note naming it); any line when `requests` is empty.
bool user_trace_has(const HistoryResult& result, const std::set<std::string>& requests,
                    const std::string& text) {
  if (requests.empty()) return trace_has(result, text);
  static const std::regex by(R"(^\s*[0-9.]+ (?:overlap: )?(r\d+)@)");
  std::smatch match;
  return std::any_of(result.trace.begin(), result.trace.end(), [&](const std::string& line) {
    return line.find(text) != std::string::npos && std::regex_search(line, match, by) &&
           requests.count(match[1]) != 0;
  });
}

// The restart excuse's evidence (see its comment in explain()): `violation` is a
// read that found nothing ("rN@webX started empty; count C of epoch E was
// acknowledged") on an app node other than the one its cookie's ID routes to
// (the owner, whose cache holds the copy), or on that node when its ID was left
// as a forward to another node's session, and before that read a memcached node
// restarted empty or stopped while it held a copy of that user's session with
// at least count C of epoch E (the FAULT line says what it held: "(it held uK
// epoch E count c, ...)"), i.e. after the acknowledged count was written there.
bool read_nothing_after_a_restart_lost_its_copy(const HistoryResult& result,
                                                const Violation& violation) {
  static const std::regex empty_read(
      R"(^(r\d+)@(\S+) started empty; count (\d+) of epoch (\d+) was acknowledged)");
  std::smatch match;
  if (!std::regex_search(violation.detail, match, empty_read)) return false;
  const std::string request = match[1];
  const std::string reader = match[2];
  const int acked = std::stoi(match[3]);
  const std::string epoch = match[4];
  const std::regex started(R"(^\s*[0-9.]+ )" + request + R"( (u\d+) \S+.* cookie=(\S+) -> )");
  const std::string read_line = " " + request + "@" + reader + " read(";
  const std::regex held(R"( memcached \S+ (?:restarted empty|stopped) \(it held (.*)\)$)");
  std::string user;
  std::vector<std::string> destroyed;  // what restarts and stops held, before the read
  std::string own_cookie;  // the reader's own ID, excused only as a forward to another's
  for (const std::string& line : result.trace) {
    if (std::regex_search(line, match, started)) {
      user = match[1];
      const std::string cookie = match[2];
      const auto dot = cookie.rfind('.');
      if (cookie == "-" || dot == std::string::npos) return false;
      if (cookie.substr(dot + 1) == reader) own_cookie = cookie;
      continue;
    }
    if (line.find(read_line) != std::string::npos) break;
    if (line.find("FAULT memcached ") != std::string::npos && std::regex_search(line, match, held))
      destroyed.push_back(", " + std::string(match[1]) + ",");
  }
  // Read on the owner itself: its own cache missed too, unless its ID only
  // forwards to a session another node moved on ("... <id> forwards to it").
  if (!own_cookie.empty() && !trace_has(result, " " + own_cookie + " forwards to it")) {
    return false;
  }
  if (user.empty()) return false;
  const std::regex copy(", " + user + " epoch " + epoch + " count (\\d+),");
  return std::any_of(destroyed.begin(), destroyed.end(), [&](const std::string& list) {
    std::smatch count;
    return std::regex_search(list, count, copy) && std::stoi(count[1]) >= acked;
  });
}

// The node ids of a save_path as the trace writes it ("n1,n3;drain"), or "*"
// for every node (the start, and after "heal everything").
std::set<std::string> listed_ids(const std::string& list) {
  std::set<std::string> ids;
  std::size_t from = 0;
  while (from <= list.size()) {
    const std::size_t comma = std::min(list.find(',', from), list.size());
    const std::string entry = list.substr(from, comma - from);
    ids.insert(entry.substr(0, entry.find(';')));
    from = comma + 1;
  }
  return ids;
}

bool lists(const std::set<std::string>& ids, const std::string& id) {
  return ids.count("*") != 0 || ids.count(id) != 0;
}

// The save_path gap's evidence: `violation` is a read that found nothing
// ("rN@webX started empty; ...") of a cookie whose ID names a store node
// ("<random>-<store>.<route>") that the reading app node neither lists nor
// still reads as departed. It lists what its last "FAULT save_path of webX =
// ..." line says ("heal everything": every node again); it reads a dropped node
// for a while when the save_path its processes used before the current one
// (SavePathMemory in its segment, noted as a request starts there: a list that
// no request saw is not remembered) listed it and shares a node with the current
// one (session/departed_nodes.h); a kill loses that memory with the segment.
// The handler warns "... names memcached node 'nK', which is not in
// session.save_path".
bool read_nothing_of_a_store_node_not_listed(const HistoryResult& result,
                                             const Violation& violation) {
  static const std::regex empty_read(R"(^(r\d+)@(\S+) started empty; )");
  std::smatch match;
  if (!std::regex_search(violation.detail, match, empty_read)) return false;
  const std::string request = match[1];
  const std::string reader = match[2];
  const std::regex lost_start(R"(^\s*[0-9.]+ )" + request +
                              R"( u\d+ \S+.* cookie=\S+-([^-.\s]+)\.\S+ -> )" + reader + "$");
  const std::regex any_start(R"(^\s*[0-9.]+ r\d+ u\d+ \S+.* -> )" + reader + "$");
  const std::string changed = " FAULT save_path of " + reader + " = ";
  std::string list = "*";  // what the reader's save_path says now
  bool up = true;
  std::optional<std::string> current;  // its segment's memory: current and previous list
  std::optional<std::string> previous;
  const auto noted = [&] {
    if (current == list) return;
    previous = current;
    current = list;
  };
  for (const std::string& line : result.trace) {
    if (std::regex_search(line, match, lost_start)) {
      noted();
      const std::string store = match[1];
      if (lists(listed_ids(list), store)) return false;
      if (!previous) return true;
      const std::set<std::string> before = listed_ids(*previous);
      const std::set<std::string> now = listed_ids(list);
      const bool shares = before.count("*") != 0 ||
                          std::any_of(before.begin(), before.end(),
                                      [&](const std::string& id) { return lists(now, id); });
      return !(shares && lists(before, store));  // departed: read there, so not excused
    }
    if (std::regex_search(line, any_start)) noted();
    if (line.find(" heal everything") != std::string::npos) {
      list = "*";
      if (!up) current = previous = std::nullopt;
      up = true;
    }
    if (line.find(" FAULT kill app node " + reader) != std::string::npos) up = false;
    if (line.find(" FAULT restart app node " + reader + " (empty)") != std::string::npos) {
      current = previous = std::nullopt;
      up = true;
    }
    const auto at = line.find(changed);
    if (at != std::string::npos) list = line.substr(at + changed.size());
  }
  return false;
}

// The kept change's evidence: `violation` is a read that found nothing ("rN@webX
// started empty; ..."), and before it one of that user's requests on another app
// node had its write kept there because its store node did not take it ("rK@webY
// handled: cannot write session ... kept on this node").
bool read_nothing_while_another_node_kept_the_change(const HistoryResult& result,
                                                     const std::set<std::string>& requests,
                                                     const Violation& violation) {
  static const std::regex empty_read(R"(^(r\d+)@(\S+) started empty; )");
  static const std::regex kept(R"(^\s*[0-9.]+ (r\d+)@(\S+) handled: cannot write session .*; )"
                               R"(kept on this node and retried)");
  std::smatch match;
  if (!std::regex_search(violation.detail, match, empty_read)) return false;
  const std::string read_line =
      " " + std::string(match[1]) + "@" + std::string(match[2]) + " read(";
  const std::string reader = match[2];
  for (const std::string& line : result.trace) {
    if (line.find(read_line) != std::string::npos) return false;
    if (std::regex_search(line, match, kept) && requests.count(match[1]) != 0 &&
        match[2] != reader) {
      return true;
    }
  }
  return false;
}

bool about_old_cookie(const Violation& violation) {
  return violation.detail.find("(old cookie)") != std::string::npos;
}

// What only an outsider's value or notice line can cause.
bool outsiders_kind(const std::string& kind) {
  return kind == "garbled" || kind == "served forged data" ||
         kind == "moved into another user's session" || kind == "cache dropped by a forged notice";
}

std::optional<std::string> explain(const HistoryResult& result, const Violation& violation) {
  // Without sealing (no clustered_session.secret_file) memcached's contents are
  // the handler's truth: whoever can reach memcached writes sessions, forwards
  // and notices. With sealing on nothing here is explained.
  const bool outsider_wrote = trace_has(result, "FORGED a value") ||
                              trace_has(result, "OUTSIDER forge ") ||
                              trace_has(result, "OUTSIDER poison ");
  // (A damaged plain value fails every read of its session: "stored value is ...".)
  const bool damaged =
      violation.kind == "liveness" && violation.detail.find("stored value") != std::string::npos;
  if (!result.sealed && outsider_wrote &&
      (outsiders_kind(violation.kind) || damaged ||
       std::any_of(result.violations.begin(), result.violations.end(),
                   [](const Violation& v) { return outsiders_kind(v.kind); }))) {
    return "unsealed (no clustered_session.secret_file): anyone who can reach memcached can "
           "write a session value, forward or notice, and the handler obeys it (" +
           violation.kind + ")";
  }
  const std::set<std::string> users_requests = requests_of_user(result, violation);
  // The handler warns "... moved to X, but the forward under its old ID could
  // not be written"; an old cookie then opens the copy left under the old key.
  if ((violation.kind == "stale" || violation.kind == "resurrected") &&
      about_old_cookie(violation) &&
      user_trace_has(result, users_requests, "the forward under its old ID could not be written")) {
    return "a forward the old store missed (frozen, down or cut off): the moving node keeps "
           "it, follows it itself, and writes it with its next takeover check after the node "
           "answers, so an old cookie replayed on another app node before that check (or "
           "after the moving node died or idled) opens the old copy.";
  }
  // A logout that could not end every copy ("cannot destroy session"): the end
  // is retried with the node's checks (MissedWrites), so until then the copy on
  // the node that did not answer is read again.
  if ((violation.kind == "lost" || violation.kind == "lost update" ||
       violation.kind == "resurrected") &&
      user_trace_has(result, users_requests, "cannot destroy session")) {
    return "a logout whose store node did not answer (\"cannot destroy session\"), beside a "
           "partition or a frozen node: the ending is kept and retried with the node's "
           "takeover checks, so until then, or for good when that app node dies, the copy "
           "it could not end is read again, and requests of one session on two nodes while "
           "the store is cut off each keep their own change.";
  }
  // docs/design.md, "Known gaps": a node placed on by one app node and unknown
  // to another still loses, on the other, the sessions placed there (save_path
  // changed without the operator's two passes): the other node searches the nodes
  // it lists, finds nothing, warns naming the node, and starts a new session. A
  // node it dropped without the drain it still reads for a while (departed
  // nodes, operator guide "Changing save_path"), only while its segment remembers
  // the save_path before: not after a full restart, nor two changes later.
  if (violation.kind == "lost" && read_nothing_of_a_store_node_not_listed(result, violation)) {
    return "save_path changed on one app node without the operator's two passes: a session "
           "whose ID names a memcached node that the reading app node neither lists nor "
           "remembers as dropped (it keeps only the save_path before its current one, in its "
           "segment: not across a full restart) is searched for on the nodes it lists, not "
           "found, and a new session starts (with a warning naming the node).";
  }
  // A memcached node that comes back (restarted, or started after a stop) is
  // empty. Its owner stores again what it holds there at its next check
  // (docs/design.md, "Lost copies"), changes kept while no node answered
  // included, and a count that no copy holds any more after the faults is not
  // expected by the oracle at all. Another app node asked first (round-robin
  // balancer) waits for that check for up to 2 * takeover_check_interval + 1 s
  // after it saw the restart (the restart hold). What remains here is a loss
  // while a copy still existed somewhere the reading node did not look: in the
  // owner's cache when the owner served no request within that window (as in
  // the final reads after healing, one at a time). (A reading node that never
  // talked to the restarted one before holds from the server's start, by its
  // uptime, at its first look.) Evidence
  // (read_nothing_after_a_restart_lost_its_copy): the read found nothing, on an
  // app node that is not the ID's owner, after the restart or stop destroyed a
  // copy with the acknowledged count. (A node dropped from the reader's
  // save_path is the save_path class above.)
  if (violation.kind == "lost" && read_nothing_after_a_restart_lost_its_copy(result, violation)) {
    return "memcached restarted empty or stopped, and the session read where its surviving "
           "copy is not: the owner's cache while another app node was asked first "
           "(round-robin balancer) and the owner served no request within the restart hold "
           "(2 x takeover_check_interval + 1 s).";
  }
  // docs/design.md, "Known gaps": a change its store node did not take is kept
  // in the writing node's cache and stored (or moved to a live node under a new
  // ID) with that node's next request or takeover check; another app node asked
  // first (a balancer that is not route-aware) finds nothing.
  if (violation.kind == "lost" &&
      read_nothing_while_another_node_kept_the_change(result, users_requests, violation)) {
    return "a change its store node did not take (down, frozen, cut off), kept on its app "
           "node and stored with that node's next request or takeover check: read on another "
           "app node before that (round-robin balancer, or the owner idle or dead), the "
           "session is missing there.";
  }
  // The cluster notes "overlap: rA@webX moved the session while rB@webY ran".
  // Stale too: the old owner's late write (after the takeover copied the session
  // and its notice was read) leaves a second live copy there, which an old cookie
  // then reads (the other half of "two live sessions").
  if ((violation.kind == "lost" || violation.kind == "lost update" || violation.kind == "stale") &&
      user_trace_has(result, users_requests, "overlap: ")) {
    return "conditional writes, what remains: two partitions at once (one app node reaching "
           "only the store node, another only the replica) each keep their own copy, a chain of "
           "forwards is followed on the store nodes alone, and writes that carry neither a "
           "token nor a read version are plain on the replicas. Two requests of one session at "
           "once are what these histories have in common.";
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> known_issue(const HistoryResult& result) {
  if (result.clean()) return std::nullopt;
  std::optional<std::string> first;
  for (const Violation& violation : result.violations) {
    auto reason = explain(result, violation);
    if (!reason) return std::nullopt;
    if (!first) first = std::move(reason);
  }
  return first;
}

}  // namespace clustered::sim
