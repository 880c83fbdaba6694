// SPDX-License-Identifier: BSD-3-Clause
// Nodes this app node's save_path dropped (docs/design.md, "save_path roles").
// A node removed without the operator guide's drain still holds sessions: ones
// this node placed there before, and ones app nodes that still list it place
// there. For gc_maxlifetime + touch_interval after the change (as long as such a
// session lives) it stays in the handler's list as a draining node that is
// `departed`: a session naming it is read there and moves off it (with its
// forward there, where an old cookie looks), nothing is placed there, and it is
// never asked for notices or stats. Each app node remembers only the save_path
// before its current one, in its shared segment (lost with the segment).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "node/shared_segment.h"
#include "store/save_path.h"

namespace clustered {

// The save_path `nodes` as text that parse_save_path() reads back (ids given).
std::string save_path_text(const std::vector<NodeAddress>& nodes);

// Records `listed` as the save_path in use on this app node (monotonic `now_s`)
// and returns it followed by the nodes the save_path before it listed and it
// does not, when it replaced that one less than `keep_s` ago and shares a node
// with it (another list altogether, as another virtual host's, drops nothing).
// Without a segment: `listed`.
std::vector<NodeAddress> with_departed_nodes(std::vector<NodeAddress> listed, SharedSegment* shared,
                                             std::int64_t now_s, std::int64_t keep_s);

}  // namespace clustered
