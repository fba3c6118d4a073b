#include "router/workers/worker_outbox.h"

#include <spdlog/fmt/fmt.h>

namespace xl::router {

std::optional<std::string> OutboxProblem(const std::string& worker, const wire::OutboxStatus& outbox, bool raised) {
  const double used = outbox.max_bytes() ? double(outbox.bytes()) / double(outbox.max_bytes()) : 0;
  if (used < (raised ? 0.8 : 0.9)) return std::nullopt;
  return fmt::format(
      "worker {}: its outbox is {:.0f} % full ({} alerts waiting for the router); {} snapshots given up, {} alerts "
      "lost",
      worker, used * 100, outbox.messages(), outbox.snapshots_dropped(), outbox.messages_lost());
}

}  // namespace xl::router
