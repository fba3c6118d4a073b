#include "router/workers/assignment_plan.h"

#include <gtest/gtest.h>

namespace xl::router {
namespace {

std::map<std::string, RegisteredCamera> Cameras(int n, const std::string& worker = "", bool enabled = true) {
  std::map<std::string, RegisteredCamera> out;
  for (int i = 0; i < n; ++i) {
    RegisteredCamera c;
    c.spec.set_id("cam" + std::to_string(10 + i));
    c.spec.set_enabled(enabled);
    c.worker = worker;
    out[c.spec.id()] = c;
  }
  return out;
}

void Apply(std::map<std::string, RegisteredCamera>& cams,
           const std::vector<std::pair<std::string, std::string>>& plan) {
  for (const auto& [id, w] : plan) cams[id].worker = w;
}

std::map<std::string, int> Load(const std::map<std::string, RegisteredCamera>& cams) {
  std::map<std::string, int> load;
  for (const auto& [id, c] : cams) load[c.worker]++;
  return load;
}

TEST(AssignmentPlan, SpreadsNewCamerasEvenly) {
  auto cams = Cameras(7);
  Apply(cams, PlanAssignments(cams, {"a", "b"}, false));
  auto load = Load(cams);
  EXPECT_EQ(load["a"] + load["b"], 7);
  EXPECT_LE(std::abs(load["a"] - load["b"]), 1);
}

TEST(AssignmentPlan, PinnedCamerasRunOnlyOnTheirWorkerAndNeverRebalance) {
  auto cams = Cameras(6);
  for (auto& [id, c] : cams) c.spec.set_pinned_worker("a");  // six GB28181 channels of a device on "a"
  Apply(cams, PlanAssignments(cams, {"a", "b"}, false));
  EXPECT_EQ(Load(cams)["a"], 6);
  EXPECT_TRUE(PlanAssignments(cams, {"a", "b", "c"}, true).empty()) << "a joining worker takes none of them";
  Apply(cams, PlanAssignments(cams, {"b"}, false));
  EXPECT_EQ(Load(cams)[""], 6) << "their worker gone, they wait for it rather than move";
  auto others = Cameras(4, "b");
  for (auto& [id, c] : others) cams["x" + id] = c;
  Apply(cams, PlanAssignments(cams, {"a", "b"}, true));
  auto load = Load(cams);
  EXPECT_EQ(load["a"], 6);
  EXPECT_EQ(load["b"], 4) << "unpinned cameras balance around the pinned ones";
}

TEST(AssignmentPlan, IsStickyWhileTheWorkerLives) {
  auto cams = Cameras(4, "a");
  EXPECT_TRUE(PlanAssignments(cams, {"a", "b"}, false).empty());
}

TEST(AssignmentPlan, MovesCamerasOfALostWorker) {
  auto cams = Cameras(4, "b");
  auto plan = PlanAssignments(cams, {"a"}, false);
  EXPECT_EQ(plan.size(), 4u);
  Apply(cams, plan);
  EXPECT_EQ(Load(cams)["a"], 4);
}

TEST(AssignmentPlan, RebalancesWhenAWorkerJoins) {
  auto cams = Cameras(6, "a");
  auto plan = PlanAssignments(cams, {"a", "b"}, true);
  EXPECT_EQ(plan.size(), 3u);
  Apply(cams, plan);
  EXPECT_EQ(Load(cams)["a"], 3);
  EXPECT_EQ(Load(cams)["b"], 3);
}

TEST(AssignmentPlan, DisabledCamerasAndNoWorkersMeanNobody) {
  auto cams = Cameras(2, "a", false);
  Apply(cams, PlanAssignments(cams, {"a"}, false));
  EXPECT_EQ(Load(cams)[""], 2);
  auto orphans = Cameras(2, "gone");
  Apply(orphans, PlanAssignments(orphans, {}, false));
  EXPECT_EQ(Load(orphans)[""], 2);
}

}  // namespace
}  // namespace xl::router
