// SPDX-License-Identifier: BSD-3-Clause
// Fuzz target: the takeover notice lists (src/session/takeover_notices.h), which a
// node reads from memcached, where anything may have been written under their keys.
//
//   - parse_notices() never crashes on any bytes, from any offset;
//   - a list may begin with its head ("g <16 hex>\n"), which is not a line;
//   - when it trusts a list (not "everything"), the list is exactly the lines of the
//     hashes it returned, in order: nothing is skipped silently;
//   - it distrusts everything exactly when a plain reference says a line is "*" or
//     unreadable, or the list is cut short;
//   - notice_line() output always reads back as its hash.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "session/takeover_notices.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace clustered;
  const std::string_view list(reinterpret_cast<const char*>(data), size);
  const Notices notices = parse_notices(list);

  // The head, by a plain reference: "g ", 16 lowercase hex digits, a newline.
  bool head = list.size() >= 19 && list.substr(0, 2) == "g " && list[18] == '\n';
  for (std::size_t i = 2; head && i < 18; ++i) {
    const char c = list[i];
    head = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  }
  FUZZ_REQUIRE((notices.generation != 0 || !head || list.substr(2, 16) == "0000000000000000") &&
                   (head || notices.generation == 0),
               "the head is read differently from the reference");
  const std::string_view lines = head ? list.substr(19) : list;

  // A plain reference: distrust exactly when a line is "*", is not 16 lowercase hex
  // digits, or the list does not end with a newline.
  bool reference_everything = !lines.empty() && lines.back() != '\n';
  std::size_t start = 0;
  while (start < lines.size()) {
    const std::size_t end = lines.find('\n', start);
    if (end == std::string_view::npos) break;
    const std::string_view line = lines.substr(start, end - start);
    bool hex = line.size() == 16;
    for (const char c : line) hex = hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    if (!hex) reference_everything = true;
    start = end + 1;
  }
  FUZZ_REQUIRE(notices.everything == reference_everything, "distrust differs from the reference");

  if (!notices.everything) {
    std::string rebuilt;
    for (const std::uint64_t hash : notices.key_hashes) rebuilt += notice_line(hash);
    FUZZ_REQUIRE(rebuilt == lines, "a trusted list is not exactly its lines");
  }

  // From any offset: never a crash, and an offset past the end distrusts.
  if (size > 0) {
    const std::size_t offset = data[0] % (size + 2);
    const Notices tail = parse_notices(list, offset);
    FUZZ_REQUIRE(offset <= size || tail.everything, "an offset past the list was trusted");
  }

  if (size >= sizeof(std::uint64_t)) {
    std::uint64_t hash = 0;
    std::memcpy(&hash, data, sizeof hash);
    const Notices one = parse_notices(notice_line(hash));
    FUZZ_REQUIRE(!one.everything && one.key_hashes.size() == 1 && one.key_hashes[0] == hash,
                 "notice_line does not read back");
  }
  return 0;
}
