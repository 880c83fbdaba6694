// SPDX-License-Identifier: BSD-3-Clause
// What became of one simulated request.
#pragma once

#include <string>

namespace clustered::sim {

struct RequestOutcome {
  int request = 0;
  int user = 0;
  int node = 0;
  std::string cookie;   // the ID the request came with (empty: none)
  std::string id;       // the ID it ended with (the Set-Cookie when it differs)
  std::string read;     // what read() returned
  std::string written;  // what it left in the session
  // A request whose write failed still answers (PHP warns and renders the page)
  // with the Set-Cookie that session_start() sent for an ID it issued.
  std::string cookie_sent;
  bool done = false;
  bool ok = false;          // every hook succeeded and the response went back
  bool killed = false;      // its app node died under it
  bool local_only = false;  // acknowledged with the write kept in the node's cache only
  std::string error;
};

}  // namespace clustered::sim
