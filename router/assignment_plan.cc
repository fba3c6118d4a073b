#include "router/assignment_plan.h"

#include <algorithm>

namespace xl::router {

std::vector<std::pair<std::string, std::string>> PlanAssignments(
    const std::map<std::string, RegisteredCamera>& cameras, const std::set<std::string>& live_workers,
    bool rebalance) {
  std::map<std::string, std::string> target;  // camera → worker, changed entries only
  std::map<std::string, std::vector<std::string>> load;
  for (const std::string& w : live_workers) load[w];
  std::vector<std::string> homeless;
  for (const auto& [id, c] : cameras) {
    if (!c.spec.enabled()) {
      if (!c.worker.empty()) target[id] = "";
    } else if (live_workers.count(c.worker)) {
      load[c.worker].push_back(id);
    } else {
      homeless.push_back(id);
    }
  }
  auto least = [&] {
    return std::min_element(load.begin(), load.end(),
                            [](const auto& a, const auto& b) { return a.second.size() < b.second.size(); });
  };
  for (const std::string& id : homeless) {
    if (load.empty()) {
      if (!cameras.at(id).worker.empty()) target[id] = "";
      continue;
    }
    auto w = least();
    w->second.push_back(id);
    target[id] = w->first;
  }
  if (rebalance && load.size() > 1) {
    for (;;) {
      auto lo = least();
      auto hi = std::max_element(load.begin(), load.end(),
                                 [](const auto& a, const auto& b) { return a.second.size() < b.second.size(); });
      if (hi->second.size() <= lo->second.size() + 1) break;
      std::string id = hi->second.back();
      hi->second.pop_back();
      lo->second.push_back(id);
      target[id] = lo->first;
    }
  }
  std::vector<std::pair<std::string, std::string>> changes;
  for (auto& [id, worker] : target) {
    if (cameras.at(id).worker != worker) changes.emplace_back(id, worker);
  }
  return changes;
}

}  // namespace xl::router
