// SPDX-License-Identifier: BSD-3-Clause
#include "session/session_handler.h"

#include "session/departed_nodes.h"
#include "store/memcached_node.h"

namespace clustered {

SessionHandler::SessionHandler(HandlerConfig config, std::vector<std::unique_ptr<StoreNode>> nodes,
                               HandlerServices services)
    : context_(std::move(config), std::move(nodes), services),
      reads_(context_),
      writes_(context_),
      moves_(context_, writes_) {}

void SessionHandler::update_request_settings(const RequestSettings& settings) {
  context_.config.apply(settings);
}

template <class T>
T SessionHandler::counted(T result) {
  if (!result) Counters::add(context_.counters.errors);
  return result;
}

Status SessionHandler::open() {
  context_.begin_request();
  return success();
}

Status SessionHandler::close() {
  Status result = moves_.complete_on_close();
  context_.unlock();
  context_.phase = phase::Idle{};
  context_.end_request();
  return counted(std::move(result));
}

bool SessionHandler::validate_sid(std::string_view id) { return reads_.validate_sid(id); }

Result<std::string> SessionHandler::create_sid() { return counted(moves_.create_sid()); }

Result<std::string_view> SessionHandler::read(std::string_view id) {
  return counted(reads_.read(id));
}

Status SessionHandler::write(std::string_view id, std::string_view data) {
  if (moves_.pending_for(id)) return counted(moves_.complete(id, data));
  return counted(writes_.write(id, data));
}

Status SessionHandler::update_timestamp(std::string_view id, std::string_view data) {
  if (moves_.pending_for(id)) return counted(moves_.complete(id, data));
  return counted(writes_.update_timestamp(id, data));
}

Status SessionHandler::destroy(std::string_view id) { return counted(moves_.destroy(id)); }

std::size_t SessionHandler::gc() {
  // memcached expires remote copies by their TTL; only the local cache is swept.
  return context_.cache != nullptr ? context_.cache->sweep(context_.now_s()) : 0;
}

bool SessionHandler::check_if_due() {
  if (context_.cache == nullptr || context_.config.takeover_check_interval_s <= 0) return false;
  context_.begin_request();
  const std::uint64_t before = context_.takeovers.checks_run();
  (void)context_.local_copy_trust();
  context_.end_request();
  return context_.takeovers.checks_run() != before;
}

std::unique_ptr<SessionHandler> make_memcached_handler(HandlerConfig config,
                                                       std::vector<NodeAddress> nodes,
                                                       SharedSegment* shared, LogSink& log) {
  const Timeouts timeouts{config.connect_timeout, config.io_timeout};
  HandlerServices services{system_clock(), system_entropy(), shared, nullptr, log};
  nodes = with_departed_nodes(std::move(nodes), shared, system_clock().monotonic_ms() / 1000,
                              remote_ttl_s(config));
  return std::make_unique<SessionHandler>(std::move(config),
                                          memcached_nodes(std::move(nodes), timeouts), services);
}

}  // namespace clustered
