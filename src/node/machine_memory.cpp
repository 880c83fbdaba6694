// SPDX-License-Identifier: BSD-3-Clause
#include "node/machine_memory.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

namespace clustered {
namespace {

std::optional<std::uint64_t> read_limit(const char* path) {
  std::ifstream file(path);
  if (!file) return std::nullopt;
  std::stringstream text;
  text << file.rdbuf();
  return parse_cgroup_limit(text.str());
}

std::string megabytes(std::uint64_t bytes) { return std::to_string(bytes >> 20) + " MB"; }

}  // namespace

std::optional<std::uint64_t> parse_cgroup_limit(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  if (value >= (std::uint64_t{1} << 62)) return std::nullopt;  // v1's "unlimited"
  return value;
}

std::optional<std::uint64_t> machine_memory_bytes() {
  std::optional<std::uint64_t> limit;
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page_size > 0) {
    limit = static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_size);
  }
  for (const char* path :
       {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
    if (const auto cgroup = read_limit(path)) limit = limit ? std::min(*limit, *cgroup) : *cgroup;
  }
  return limit;
}

std::optional<std::string> cache_size_refusal(std::uint64_t cache_size,
                                              std::optional<std::uint64_t> machine) {
  if (!machine || cache_size <= *machine) return std::nullopt;
  return "larger than this machine's memory (" + megabytes(*machine) +
         ", a cgroup limit included): the cache could only fill up into the OOM killer";
}

}  // namespace clustered
