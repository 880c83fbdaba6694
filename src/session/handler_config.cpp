#include "session/handler_config.h"

#include "sid/node_id.h"
#include "sid/session_id.h"

namespace clustered {

std::string HandlerConfig::mode_description() const {
  if (!trust_route) {
    return "untrusted: clustered_session.route=off, every read is fetched from memcached";
  }
  if (!strict_mode) {
    return "untrusted: session.use_strict_mode=0 (IDs cannot be rewritten), every read is "
           "fetched from memcached";
  }
  if (!local_cache) {
    return "untrusted: clustered_session.cache_size=0 (no local cache), every read is fetched "
           "from memcached";
  }
  return "owner: sessions routed to " + route + " are served from the local cache";
}

void HandlerConfig::apply(const RequestSettings& settings) {
  strict_mode = settings.strict_mode;
  if (prefix != settings.prefix) prefix = settings.prefix;
  sid_length = settings.sid_length;
  sid_bits_per_character = settings.sid_bits_per_character;
  gc_maxlifetime_s = settings.gc_maxlifetime_s;
}

std::size_t longest_key(const HandlerConfig& config) {
  return config.prefix.size() +
         effective_random_length(config.sid_length, config.sid_bits_per_character) + 1 +
         kMaxNodeIdLength + 1 + config.route.size();
}

}  // namespace clustered
