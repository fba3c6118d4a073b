// When a worker's outbox (proto/wire/delivery/outbox.h), as its status reports tell, is a
// problem for the people in the monitoring room: nearly full means it is giving up snapshots
// (then alert text) because the router cannot take what it raises.
#pragma once

#include <optional>
#include <string>

#include "xueliang.pb.h"

namespace xl::router {

// The problem's text while worker `worker`'s outbox is 90 % full, and, once raised
// (`raised`), until it is under 80 % again (no flapping at the line); nullopt otherwise.
std::optional<std::string> OutboxProblem(const std::string& worker, const wire::OutboxStatus& outbox, bool raised);

}  // namespace xl::router
