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

// A read that found nothing though a count was acknowledged: "rN@webX started
// empty; count C of epoch E was acknowledged".
struct EmptyRead {
  std::string request;
  std::string reader;
  int acked = 0;
  std::string epoch;
};
std::optional<EmptyRead> empty_read_of(const Violation& violation) {
  static const std::regex empty_read(
      R"(^(r\d+)@(\S+) started empty; count (\d+) of epoch (\d+) was acknowledged)");
  std::smatch match;
  if (!std::regex_search(violation.detail, match, empty_read)) return std::nullopt;
  return EmptyRead{match[1], match[2], std::stoi(match[3]), match[4]};
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
  const std::optional<EmptyRead> empty = empty_read_of(violation);
  if (!empty) return false;
  const auto& [request, reader, acked, epoch] = *empty;
  std::smatch match;
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

// What a reading app node's save_path lists, and what its segment remembers,
// as the trace goes: it lists what its last "FAULT save_path of webX = ..."
// line says ("heal everything": every node again); it reads a dropped node for
// a while when the save_path its processes used before the current one
// (SavePathMemory in its segment, noted as a request starts there: a list that
// no request saw is not remembered) listed it and shares a node with the
// current one (session/departed_nodes.h); a kill loses that memory with the
// segment.
class SavePathOf {
 public:
  explicit SavePathOf(std::string reader)
      : reader_(std::move(reader)),
        any_start_(R"(^\s*[0-9.]+ r\d+ u\d+ \S+.* -> )" + reader_ + "$"),
        changed_(" FAULT save_path of " + reader_ + " = ") {}

  // A request starts on the reader: its processes note the current list.
  void noted() {
    if (current_ == list_) return;
    previous_ = current_;
    current_ = list_;
  }

  // Every line of the trace, in order (after a caller's own look at it).
  void see(const std::string& line) {
    if (std::regex_search(line, any_start_)) noted();
    if (line.find(" heal everything") != std::string::npos) {
      list_ = "*";
      if (!up_) current_ = previous_ = std::nullopt;
      up_ = true;
    }
    if (line.find(" FAULT kill app node " + reader_) != std::string::npos) up_ = false;
    if (line.find(" FAULT restart app node " + reader_ + " (empty)") != std::string::npos) {
      current_ = previous_ = std::nullopt;
      up_ = true;
    }
    const auto at = line.find(changed_);
    if (at != std::string::npos) list_ = line.substr(at + changed_.size());
  }

  [[nodiscard]] const std::string& list() const { return list_; }

  // Whether the reader reads node `store` now: listed, or dropped and still
  // departed (remembered in a list before, sharing a node with the current).
  [[nodiscard]] bool reads(const std::string& store) const {
    if (lists(listed_ids(list_), store)) return true;
    if (!previous_) return false;
    const std::set<std::string> before = listed_ids(*previous_);
    const std::set<std::string> now = listed_ids(list_);
    const bool shares = before.count("*") != 0 ||
                        std::any_of(before.begin(), before.end(),
                                    [&](const std::string& id) { return lists(now, id); });
    return shares && lists(before, store);
  }

 private:
  std::string reader_;
  std::regex any_start_;
  std::string changed_;
  std::string list_ = "*";  // what the reader's save_path says now
  bool up_ = true;
  std::optional<std::string> current_;  // its segment's memory: current and previous list
  std::optional<std::string> previous_;
};

// The save_path gap's evidence: `violation` is a read that found nothing
// ("rN@webX started empty; ...") of a cookie whose ID names a store node
// ("<random>-<store>.<route>") that the reading app node neither lists nor
// still reads as departed (SavePathOf). The handler warns "... names memcached
// node 'nK', which is not in session.save_path".
bool read_nothing_of_a_store_node_not_listed(const HistoryResult& result,
                                             const Violation& violation) {
  static const std::regex empty_read(R"(^(r\d+)@(\S+) started empty; )");
  std::smatch match;
  if (!std::regex_search(violation.detail, match, empty_read)) return false;
  const std::string request = match[1];
  const std::string reader = match[2];
  const std::regex lost_start(R"(^\s*[0-9.]+ )" + request +
                              R"( u\d+ \S+.* cookie=\S+-([^-.\s]+)\.\S+ -> )" + reader + "$");
  SavePathOf save_path(reader);
  for (const std::string& line : result.trace) {
    if (std::regex_search(line, match, lost_start)) {
      save_path.noted();
      return !save_path.reads(match[1]);
    }
    save_path.see(line);
  }
  return false;
}

// The memcached node ids the trace names ("n1", in FAULT lines, save_path
// lists and IDs' <store>).
std::set<std::string> node_ids(const HistoryResult& result) {
  static const std::regex id(R"((?:^|[^0-9a-z])(n\d+)(?=[^0-9a-z]|$))");
  std::set<std::string> ids;
  for (const std::string& line : result.trace) {
    for (auto it = std::sregex_iterator(line.begin(), line.end(), id); it != std::sregex_iterator();
         ++it) {
      ids.insert((*it)[1]);
    }
  }
  return ids;
}

// The save_path gap again, where the forgotten node holds the replica:
// `violation` is a read that found nothing ("rN@webX started empty; count C of
// epoch E was acknowledged") on the app node the cookie's ID routes to (its
// owner). The owner last wrote that ID
// while its save_path listed a node (the replica's, by that ring) that it
// neither lists nor remembers at the read (SavePathOf: dropped without the
// drain, then forgotten with its segment in a kill or two changes later);
// after that write the ID's store node restarted empty or stopped holding
// count C or more (its FAULT line says so) and the owner was killed or
// restarted empty (its cache gone). The copy that survives is then the one the
// old ring placed on the forgotten node, which the owner no longer reads.
bool read_nothing_of_a_replica_the_owner_forgot(const HistoryResult& result,
                                                const Violation& violation) {
  const std::optional<EmptyRead> empty = empty_read_of(violation);
  if (!empty) return false;
  const auto& [request, reader, acked, epoch] = *empty;
  std::smatch match;
  const std::regex started(R"(^\s*[0-9.]+ )" + request + R"( (u\d+) \S+.* cookie=(\S+) -> )" +
                           reader + "$");
  std::string user;
  std::string cookie;
  for (const std::string& line : result.trace) {
    if (std::regex_search(line, match, started)) {
      user = match[1];
      cookie = match[2];
      break;
    }
  }
  const auto dash = cookie.rfind('-');
  const auto dot = cookie.rfind('.');
  if (user.empty() || dash == std::string::npos || dot == std::string::npos || dot < dash ||
      cookie.substr(dot + 1) != reader) {
    return false;
  }
  const std::string store = cookie.substr(dash + 1, dot - dash - 1);
  const std::string written = " write(" + cookie + ") = ok";
  const std::string own_write = "@" + reader + written;
  const std::regex held(" memcached " + store +
                        R"( (?:restarted empty|stopped) \(it held (.*)\)$)");
  const std::regex copy(", " + user + " epoch " + epoch + " count (\\d+),");
  SavePathOf save_path(reader);
  std::optional<std::string> written_with;  // the owner's list at its last write of the ID
  bool store_lost = false;
  bool cache_lost = false;
  for (const std::string& line : result.trace) {
    if (std::regex_search(line, started)) {
      save_path.noted();
      if (!written_with || !store_lost || !cache_lost) return false;
      const std::set<std::string> then = listed_ids(*written_with);
      const std::set<std::string> all = node_ids(result);
      return std::any_of(all.begin(), all.end(), [&](const std::string& id) {
        return id != store && lists(then, id) && !save_path.reads(id);
      });
    }
    if (line.find(written) != std::string::npos) {
      // Any write of the ID stores it again (on the current ring, when the owner's).
      written_with = line.find(own_write) != std::string::npos
                         ? std::optional<std::string>(save_path.list())
                         : std::nullopt;
      store_lost = cache_lost = false;
    }
    std::smatch list;
    if (line.find("FAULT memcached ") != std::string::npos && std::regex_search(line, list, held)) {
      const std::string copies = ", " + std::string(list[1]) + ",";
      std::smatch count;
      if (std::regex_search(copies, count, copy) && std::stoi(count[1]) >= acked) store_lost = true;
    }
    if (line.find(" FAULT kill app node " + reader) != std::string::npos ||
        line.find(" FAULT restart app node " + reader + " (empty)") != std::string::npos) {
      cache_lost = true;
    }
    save_path.see(line);
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

// The count a request read ("rK@webX read(ID) = "...n|i:c;""; -1: it read
// nothing), and the count it wrote: that, plus one for an increment ("rK uN
// increment ...").
int count_read_by(const HistoryResult& result, const std::string& request) {
  const std::regex read(" " + request + R"(@\S+ read\(\S+\) = ".*n\|i:(\d+);)");
  std::smatch match;
  for (const std::string& line : result.trace) {
    if (std::regex_search(line, match, read)) return std::stoi(match[1]);
  }
  return -1;
}

int count_written_by(const HistoryResult& result, const std::string& request) {
  const std::regex increment(R"(^\s*[0-9.]+ )" + request + R"( u\d+ increment )");
  const bool increments =
      std::any_of(result.trace.begin(), result.trace.end(),
                  [&](const std::string& line) { return std::regex_search(line, increment); });
  return std::max(0, count_read_by(result, request)) + (increments ? 1 : 0);
}

// A kept change dropped beside a takeover (docs/design.md, "Known gaps": found
// and not fixed): `violation` is a read of an older count ("rN@webX read count
// c, C was acknowledged"), or the request that then wrote C again ("rN
// acknowledged count C a second time"). One of the user's requests (rK on webY)
// had its write of count C or more kept ("rK@webY handled: cannot write session
// <ID> through to memcached ... kept on this node") and, on another app node,
// one of the user's requests moved that same ID ("rM@webZ validate_sid(<ID>) =
// false") after reading a count below the kept one: the move forwarded the
// copy the kept change was to replace, and the check that finds the forward
// drops the change.
bool change_kept_beside_a_takeover(const HistoryResult& result,
                                   const std::set<std::string>& requests,
                                   const Violation& violation) {
  static const std::regex older_read(R"(^r\d+@\S+ read count \d+, (\d+) was acknowledged)");
  static const std::regex again(R"(^r\d+ acknowledged count (\d+) a second time)");
  static const std::regex kept(R"(^\s*[0-9.]+ (r\d+)@(\S+) handled: cannot write session (\S+) )"
                               R"(through to memcached .*kept on this node)");
  std::smatch match;
  int acked = 0;
  if (std::regex_search(violation.detail, match, older_read) ||
      std::regex_search(violation.detail, match, again)) {
    acked = std::stoi(match[1]);
  } else {
    return false;
  }
  for (const std::string& line : result.trace) {
    if (!std::regex_search(line, match, kept) || requests.count(match[1]) == 0) continue;
    const std::string keeper = match[2];
    const std::string id = match[3];
    const int kept_count = count_written_by(result, match[1]);
    if (kept_count < acked) continue;
    const std::regex moved(R"(^\s*[0-9.]+ (r\d+)@(\S+) validate_sid\()" + id + R"(\) = false)");
    for (const std::string& other : result.trace) {
      std::smatch mover;
      if (std::regex_search(other, mover, moved) && requests.count(mover[1]) != 0 &&
          mover[2] != keeper) {
        const int read = count_read_by(result, mover[1]);
        if (read >= 0 && read < kept_count) return true;
      }
    }
  }
  return false;
}

// The replica's missed forward: `violation` is an old cookie's read of an older
// count ("rN@webX (old cookie) read count c, C acknowledged"). Before it, one of
// the user's requests moved that cookie's ID ("rM@webY validate_sid(<old>) =
// false", then its read of count c or more and its write ok: the move, whose
// forward its store node took, or the mover would warn "the forward under its
// old ID could not be written") while another memcached node did not answer
// webY (frozen, or webY cut off from it); after the move the old ID's store node
// stopped or restarted empty, and at the read a node silent at the move answers
// the reader again without having restarted (its old copy still there).
bool old_cookie_read_a_replica_that_missed_the_forward(const HistoryResult& result,
                                                       const std::set<std::string>& requests,
                                                       const Violation& violation) {
  static const std::regex stale_read(R"(^(r\d+)@(\S+) \(old cookie\) read count (\d+), )");
  static const std::regex fault(
      R"( FAULT memcached (n\d+) (frozen|thawed|stopped|restarted empty|started \(empty\)))");
  static const std::regex cut(R"( FAULT (\S+) (cut off from|reconnected to) (n\d+)$)");
  std::smatch match;
  if (!std::regex_search(violation.detail, match, stale_read)) return false;
  const std::string request = match[1];
  const std::string reader = match[2];
  const int read_count = std::stoi(match[3]);
  const std::regex started(R"(^\s*[0-9.]+ )" + request +
                           R"( u\d+ \S+ \(old cookie\) cookie=(\S+) -> )" + reader + "$");
  std::string old_id;
  for (const std::string& line : result.trace) {
    if (std::regex_search(line, match, started)) {
      old_id = match[1];
      break;
    }
  }
  const auto dash = old_id.rfind('-');
  const auto dot = old_id.rfind('.');
  if (old_id.empty() || dash == std::string::npos || dot == std::string::npos || dot < dash) {
    return false;
  }
  const std::string store = old_id.substr(dash + 1, dot - dash - 1);
  const std::regex moving(R"(^\s*[0-9.]+ (r\d+)@(\S+) validate_sid\()" +
                          std::regex_replace(old_id, std::regex(R"([.])"), R"(\.)") +
                          R"(\) = false$)");
  const std::regex moved_read(R"(^\s*[0-9.]+ (r\d+)@\S+ read\((\S+)\) = "e\|i:\d+;n\|i:(\d+);")");
  const std::string read_line = " " + request + "@" + reader + " read(";
  std::set<std::string> frozen;
  std::set<std::pair<std::string, std::string>> cut_off;  // (app node, memcached node)
  std::set<std::string> stopped;
  const auto silent_to = [&](const std::string& app, const std::string& node) {
    return frozen.count(node) != 0 || stopped.count(node) != 0 || cut_off.count({app, node}) != 0;
  };
  std::string mover;  // the moving request, its app node, what it read and wrote
  std::string mover_node;
  std::string new_id;
  int moved_count = -1;
  std::set<std::string> missed;  // nodes silent at the move's write, their copy kept since
  bool store_lost = false;
  for (const std::string& line : result.trace) {
    if (line.find(read_line) != std::string::npos) {
      return store_lost && read_count <= moved_count &&
             std::any_of(missed.begin(), missed.end(),
                         [&](const std::string& node) { return !silent_to(reader, node); });
    }
    if (std::regex_search(line, match, moving) && requests.count(match[1]) != 0) {
      mover = match[1];
      mover_node = match[2];
      new_id.clear();
    } else if (!mover.empty() && std::regex_search(line, match, moved_read) && match[1] == mover) {
      new_id = match[2];
      moved_count = std::stoi(match[3]);
    } else if (!new_id.empty() && line.find(" " + mover + "@" + mover_node + " write(" + new_id +
                                            ") = ok") != std::string::npos) {
      missed.clear();
      store_lost = false;
      for (const std::string& id : node_ids(result)) {
        // Frozen or cut off (a stopped node keeps nothing to read again).
        if (id != store && stopped.count(id) == 0 && silent_to(mover_node, id)) missed.insert(id);
      }
      mover.clear();
      new_id.clear();
      if (missed.empty()) moved_count = -1;
    }
    if (line.find("the forward under its old ID could not be written") != std::string::npos &&
        line.find(" " + old_id + " ") != std::string::npos) {
      return false;  // the store node missed it too: the mover keeps it (another class)
    }
    if (std::regex_search(line, match, fault)) {
      const std::string node = match[1];
      const std::string what = match[2];
      if (what == "frozen") frozen.insert(node);
      if (what == "thawed") frozen.erase(node);
      if (what == "stopped") stopped.insert(node);
      if (what == "restarted empty" || what == "started (empty)") stopped.erase(node);
      if (what != "frozen" && what != "thawed") missed.erase(node);  // its old copy is gone
      if ((what == "stopped" || what == "restarted empty") && node == store && moved_count >= 0) {
        store_lost = true;
      }
    }
    if (std::regex_search(line, match, cut)) {
      if (match[2] == "cut off from") {
        cut_off.insert({match[1], match[3]});
      } else {
        cut_off.erase({match[1], match[3]});
      }
    }
    if (line.find(" heal everything") != std::string::npos) {
      frozen.clear();
      cut_off.clear();
      stopped.clear();
    }
  }
  return false;
}

// Two partitions at once: before the violation, two app nodes were each cut off
// from a different memcached node at the same time (no reconnect or heal in
// between), so one can reach a copy the other cannot, and each reads or writes
// its own.
bool two_app_nodes_cut_off_at_once(const HistoryResult& result) {
  static const std::regex cut(R"( FAULT (\S+) (cut off from|reconnected to) (n\d+)$)");
  std::set<std::pair<std::string, std::string>> cut_off;  // (app node, memcached node)
  std::smatch match;
  for (const std::string& line : result.trace) {
    if (line.find(" heal everything") != std::string::npos) cut_off.clear();
    if (!std::regex_search(line, match, cut)) continue;
    if (match[2] != "cut off from") {
      cut_off.erase({match[1], match[3]});
      continue;
    }
    const std::pair<std::string, std::string> added{match[1], match[3]};
    for (const auto& [app, node] : cut_off) {
      if (app != added.first && node != added.second) return true;
    }
    cut_off.insert(added);
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
  // docs/design.md, "Known gaps" (conditional writes): a forward that the store
  // node took and a replica missed (down, frozen) is not retried there; once
  // the store node is lost too, the replica's older copy is read again, here by
  // an old cookie (stale).
  if (violation.kind == "stale" && about_old_cookie(violation) &&
      old_cookie_read_a_replica_that_missed_the_forward(result, users_requests, violation)) {
    return "a forward the store node took while the replica's node did not answer (frozen, cut "
           "off) is not retried on the replica: once the store node is lost too (stopped, "
           "restarted empty), an old cookie opens the replica's older copy.";
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
  // The same gap where the forgotten node holds the replica: the owner dropped
  // a node without the drain after it last wrote the session (so the replica
  // is there, by the old ring), forgot it with its segment (a kill: docs/design.md
  // "save_path roles", operator guide "Changing save_path": not across a full
  // restart), and the ID's store node lost its copy (restarted empty, stopped):
  // the only copy left is on a node the owner no longer reads. With the drain,
  // or without the full restart, the owner still reads it ("Known gaps").
  if (violation.kind == "lost" && read_nothing_of_a_replica_the_owner_forgot(result, violation)) {
    return "save_path changed on one app node without the operator's two passes, then that node "
           "restarted in full (its segment, and the save_path before, gone) after the session's "
           "store node lost its copy: the replica the old ring placed on the dropped node is the "
           "only copy left, and the owner no longer reads that node, so a new session starts.";
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
  // docs/design.md, "Known gaps" (found and not fixed): a change kept on its app
  // node while another app node moved the session from the copy the change was
  // to replace; the forward wins and the kept change is dropped.
  if ((violation.kind == "lost" || violation.kind == "lost update") &&
      change_kept_beside_a_takeover(result, users_requests, violation)) {
    return "a change kept on its app node (its store node did not take it) while another app "
           "node took the session over from the copy the change was to replace: the check "
           "that finds the takeover's forward drops the kept change, so an acknowledged count "
           "is lost (found, not fixed: it should be written over the moved copy).";
  }
  // The cluster notes "overlap: rA@webX moved the session while rB@webY ran".
  // Stale too: the old owner's late write (after the takeover copied the session
  // and its notice was read) leaves a second live copy there, which an old cookie
  // then reads (the other half of "two live sessions").
  // Without an overlap: the two partitions at once, with a replica write one side
  // could not make ("written, but a replica write failed"), so the other side,
  // cut off from the store node, reads the replica's older copy or none.
  const bool two_partitions =
      two_app_nodes_cut_off_at_once(result) &&
      user_trace_has(result, users_requests, "written, but a replica write failed");
  if ((violation.kind == "lost" || violation.kind == "lost update" || violation.kind == "stale") &&
      (user_trace_has(result, users_requests, "overlap: ") || two_partitions)) {
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
