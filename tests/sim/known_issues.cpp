// SPDX-License-Identifier: BSD-3-Clause
#include "sim/known_issues.h"

#include <algorithm>
#include <regex>
#include <set>

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
  // A memcached node that comes back (restarted, or started after a stop) is
  // empty. Its owner stores again what it holds there at its next check
  // (docs/design.md, "Lost copies"), changes kept while no node answered
  // included, and a count that no copy holds any more after the faults is not
  // expected by the oracle at all. Another app node asked first (round-robin
  // balancer) waits for that check for up to 2 * takeover_check_interval + 1 s
  // after it saw the restart (the restart hold). What remains here is a loss
  // while a copy still existed somewhere the reading node did not look: in the
  // owner's cache when the owner served no request within that window (as in
  // the final reads after healing, one at a time) or when the reading node never
  // talked to the restarted one before (it cannot tell the restart), or on a
  // node dropped from an app node's save_path without the drain that this app
  // node never ran with (restarted into the shorter list).
  if (violation.kind == "lost" &&
      (trace_has(result, " restarted empty") || trace_has(result, " started (empty)"))) {
    return "memcached restarted empty or stopped, and the session read where its surviving "
           "copy is not: the owner's cache while another app node was asked first "
           "(round-robin balancer) and the owner served no request within the restart hold "
           "(2 x takeover_check_interval + 1 s), or that node never talked to the restarted "
           "one before, or a node dropped from save_path without a drain by an app node that "
           "never ran with it.";
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
