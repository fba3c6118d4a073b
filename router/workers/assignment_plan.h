// Which worker runs each camera: a pure function of the registry and the live workers.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "router/registry/camera_store.h"

namespace xl::router {

// Returns the (camera id, worker) changes that make the assignment valid:
//  * an enabled camera stays on its worker while that worker is live (sticky);
//  * an enabled camera without a live worker goes to the least-loaded live worker
//    (ties: the smallest worker id), or to "" when no worker is live;
//  * a disabled camera is assigned to nobody ("");
//  * a pinned camera (spec.pinned_worker) runs on that worker while it is live, else on
//    nobody; it counts towards its worker's load and is never moved;
//  * with `rebalance`, cameras then move from the most to the least loaded worker until
//    their loads differ by at most one (used when a worker joins).
// Deterministic: the same inputs give the same plan.
std::vector<std::pair<std::string, std::string>> PlanAssignments(const std::map<std::string, RegisteredCamera>& cameras,
                                                                 const std::set<std::string>& live_workers,
                                                                 bool rebalance);

}  // namespace xl::router
