#include "router/workers/assignment_plan.h"

#include <algorithm>

namespace xl::router {

std::vector<std::pair<std::string, std::string>> PlanAssignments(const std::map<std::string, RegisteredCamera>& cameras,
                                                                 const std::set<std::string>& live_workers,
                                                                 bool rebalance) {
  std::map<std::string, std::string> target;  // camera → worker, changed entries only
  std::map<std::string, std::vector<std::string>> load;
  for (const std::string& w : live_workers) load[w];
  std::vector<std::string> homeless;
  std::set<std::string> pinned;  // never moved by the rebalance
  for (const auto& [id, c] : cameras) {
    const std::string& pin = c.spec.pinned_worker();
    if (!c.spec.enabled()) {
      if (!c.worker.empty()) target[id] = "";
    } else if (!pin.empty()) {
      pinned.insert(id);
      const std::string to = live_workers.count(pin) ? pin : "";
      if (c.worker != to) target[id] = to;
      if (!to.empty()) load[to].push_back(id);
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
      auto movable = std::find_if(hi->second.rbegin(), hi->second.rend(),
                                  [&](const std::string& id) { return !pinned.count(id); });
      if (movable == hi->second.rend()) break;
      std::string id = *movable;
      hi->second.erase(std::next(movable).base());
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
