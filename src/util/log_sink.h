// SPDX-License-Identifier: BSD-3-Clause
// Where the handler tells the operator about states it handled itself (a memcached
// node down and back, writes kept for a retry, values ignored): the server's error
// log, never a page (docs/design.md, "Who hears what"). Passed in like the Clock,
// so tests and the simulator read what would have been logged.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace clustered {

class LogSink {
 public:
  virtual ~LogSink() = default;
  // One line, without a trailing newline; the sink adds what its log needs.
  virtual void log(std::string_view line) = 0;
};

// Discards every line (a handler made without a log).
LogSink& no_log();

// Keeps every line (tests, the simulator).
class RecordingLog final : public LogSink {
 public:
  void log(std::string_view line) override { lines.emplace_back(line); }
  std::vector<std::string> lines;
};

}  // namespace clustered
