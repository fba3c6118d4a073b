// Handling steps at more than one router (router/desk/alert_desk.h, router/cascade/step_relay.h),
// over real SQLite: the same steps give the same state whatever order they came in; a step
// taken here follows everything the event has; runs of steps cross a link once each, with
// sites as each end sees them, and a run that went missing is sent again from the mark.
#include <gtest/gtest.h>

#include "router/cascade/step_relay.h"
#include "router/desk/alert_desk.h"
#include "tests/support/process.h"

namespace xl::router {
namespace {

std::unique_ptr<AlertDesk> OpenDesk(const std::string& name) {
  auto desk = AlertDesk::Open(test::TempDir(name) + "/x.db");
  EXPECT_TRUE(desk.ok()) << desk.error().message;
  return std::move(desk.value());
}

LoggedStep Step(const std::string& uid, const std::string& step, const std::string& user, int64_t at_ms,
                const std::string& site) {
  return {0, uid, {"e1", "33010201011320000001", "3301020101", ""}, "", {step, user, "", "", at_ms, site}};
}

// Each step of the history as "user:applied|late".
std::vector<std::string> Seen(AlertDesk& desk, const std::string& alert) {
  std::vector<std::string> out;
  for (const HandlingStep& s : desk.History(alert)) out.push_back(s.user + (s.applied ? ":applied" : ":late"));
  return out;
}

TEST(HandlingSteps, TheSameStepsGiveTheSameStateWhateverOrderTheyCameIn) {
  auto one = OpenDesk("steps-order-1"), two = OpenDesk("steps-order-2");
  const LoggedStep early = Step("b", "ack", "village", 1000, "东村"), late = Step("a", "ack", "county", 2000, "");
  const LoggedStep dispatch = Step("c", "dispatch", "county", 3000, "");
  ASSERT_TRUE(one->Receive("x", {1, 1}, {late, early}).ok());
  ASSERT_TRUE(one->Receive("x", {1, 2}, {dispatch}).ok());
  ASSERT_TRUE(two->Receive("y", {1, 1}, {dispatch}).ok());
  ASSERT_TRUE(two->Receive("y", {1, 2}, {early, late}).ok());
  // The dispatch lacks its unit here on purpose: Receive keeps what came; a step's rules are
  // checked where it is taken.
  const std::vector<std::string> expected = {"village:applied", "county:late", "county:applied"};
  EXPECT_EQ(Seen(*one, "e1"), expected);
  EXPECT_EQ(Seen(*two, "e1"), expected);
  EXPECT_EQ(one->StateOf("e1"), "dispatched");
  EXPECT_EQ(two->StatesOf({"e1", "e2"}), (std::map<std::string, std::string>{{"e1", "dispatched"}, {"e2", "new"}}));
  // A step kept already is not kept twice.
  auto again = one->Receive("x", {1, 3}, {early});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
  EXPECT_EQ(one->History("e1").size(), 3u);
}

TEST(HandlingSteps, AStepTakenHereFollowsEveryStepTheEventHasWhateverTheClocks) {
  auto desk = OpenDesk("steps-clock");
  // Another centre's clock runs ahead: its acknowledgement is "in the future" here.
  ASSERT_TRUE(desk->Receive("parent", {1, 1}, {Step("a", "ack", "county", 50000, "县中心")}).ok());
  auto done = desk->Advance({"e1", "33010201011320000001", "3301020101", ""}, {"dispatch", "me", "派出所", "", 1000});
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_EQ(*done, "dispatched");
  const auto history = desk->History("e1");
  ASSERT_EQ(history.size(), 2u);
  EXPECT_GT(history[1].at_ms, 50000);
  EXPECT_EQ(history[1].site, "");
  auto wrong = desk->Advance({"e1"}, {"close", "me", "", "", 60000});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, ErrorCode::kConflict);
  EXPECT_FALSE(desk->Advance({"e1"}, {"handle", "me", "", "", 60000}).ok()) << "a handling needs a note";
}

TEST(HandlingSteps, RunsCrossALinkOnceWithSitesAsEachEndSeesThem) {
  auto town = OpenDesk("steps-town"), village = OpenDesk("steps-village");
  constexpr uint64_t kTownLog = 7, kVillageLog = 9;
  // An alert of the village, acknowledged at the town (where it is from site 东村).
  ASSERT_TRUE(town->Advance({"e1", "33010201011320000001", "3301020101", "东村"}, {"ack", "li", "", "", 1000}).ok());
  // And one of another village: it does not go to 东村.
  ASSERT_TRUE(town->Advance({"e2", "33010201011320000002", "3301020101", "西村"}, {"ack", "li", "", "", 1000}).ok());
  StepSender down(*town, "child:东村", "东街镇");
  EXPECT_FALSE(down.Due(kTownLog, 0)) << "nothing before the child tells its mark";
  down.OnMark(0, 0, kTownLog);
  auto run = down.Due(kTownLog, 0);
  ASSERT_TRUE(run);
  ASSERT_EQ(run->steps_size(), 1);
  EXPECT_EQ(run->steps(0).alert_site(), "") << "at the village the alert is its own";
  EXPECT_EQ(run->steps(0).site(), "东街镇");
  EXPECT_FALSE(down.Due(kTownLog, 100)) << "one run in flight";

  auto adopt_all = [](LoggedStep&, std::string*) { return true; };
  auto taken = TakeSteps(*village, "parent", village->MarkOf("parent"), *run, adopt_all);
  ASSERT_TRUE(taken.ok());
  ASSERT_EQ(taken->fresh.size(), 1u);
  EXPECT_EQ(village->StateOf("e1"), "acknowledged");
  // The same run again (its acknowledgement was lost): kept once.
  auto twice = TakeSteps(*village, "parent", village->MarkOf("parent"), *run, adopt_all);
  ASSERT_TRUE(twice.ok());
  EXPECT_TRUE(twice->fresh.empty());
  EXPECT_EQ(village->History("e1").size(), 1u);
  down.OnMark(taken->mark.stream, taken->mark.seq, kTownLog);
  EXPECT_FALSE(down.Due(kTownLog, 200)) << "nothing more for 东村";

  // The village dispatches; its steps go up, but not the one that came from the town.
  ASSERT_TRUE(
      village->Advance({"e1", "33010201011320000001", "3301020101", ""}, {"dispatch", "wang", "派出所", "", 2000})
          .ok());
  StepSender up(*village, "parent", "");
  up.OnMark(0, 0, kVillageLog);
  auto up_run = up.Due(kVillageLog, 0);
  ASSERT_TRUE(up_run);
  ASSERT_EQ(up_run->steps_size(), 1);
  EXPECT_EQ(up_run->steps(0).step(), "dispatch");
  // The town takes it as a child's (its ChildLinks adds the child's name to the sites).
  auto from_child =
      TakeSteps(*town, "child:东村", town->MarkOf("child:东村"), *up_run, [](LoggedStep& s, std::string*) {
        s.alert.site = "东村";
        s.step.site = "东村";
        return true;
      });
  ASSERT_TRUE(from_child.ok());
  EXPECT_EQ(town->StateOf("e1"), "dispatched");
  EXPECT_EQ(town->History("e1").back().site, "东村");
  // ... and does not send it back down.
  down.OnMark(kTownLog, taken->mark.seq, kTownLog);
  EXPECT_FALSE(down.Due(kTownLog, 300));
}

// A run of one step `step` (seq `seq`, uid `uid`) on alert `alert`, after `after` of log 7.
wire::HandlingSteps OneStepRun(uint64_t after, uint64_t seq, const std::string& uid, const std::string& alert,
                               const std::string& step) {
  wire::HandlingSteps run;
  run.set_stream(7);
  run.set_after(after);
  wire::HandlingStep* s = run.add_steps();
  s->set_seq(seq);
  s->set_uid(uid);
  s->set_alert_id(alert);
  s->set_step(step);
  return run;
}

TEST(HandlingSteps, ARunAfterAMissingOneIsNotKeptAndSendingGoesBackToTheMark) {
  auto town = OpenDesk("steps-gap-town"), village = OpenDesk("steps-gap-village");
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(town->Advance({"e" + std::to_string(i), "33010201011320000001", "3301020101", "东村"},
                              {"ack", "li", "", "", 1000})
                    .ok());
  }
  auto adopt_all = [](LoggedStep&, std::string*) { return true; };
  // A run that says it follows step 2 of the town's log, which the village never had.
  auto skipped =
      TakeSteps(*village, "parent", village->MarkOf("parent"), OneStepRun(2, 3, "x", "e2", "ack"), adopt_all);
  ASSERT_TRUE(skipped.ok());
  EXPECT_TRUE(skipped->fresh.empty());
  EXPECT_EQ(skipped->mark.seq, 0u) << "answered with the mark";

  // The sender whose run was not acknowledged in time sends it again from the mark.
  StepSender down(*town, "child:东村", "东街镇", 3000);
  down.OnMark(7, 0, 7);
  auto first = down.Due(7, 0);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->steps_size(), 3);
  EXPECT_FALSE(down.Due(7, 2999));
  auto again = down.Due(7, 3000);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->SerializeAsString(), first->SerializeAsString());
  EXPECT_EQ(down.resends(), 1u);
  auto taken = TakeSteps(*village, "parent", village->MarkOf("parent"), *again, adopt_all);
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(taken->fresh.size(), 3u);
  EXPECT_EQ(village->MarkOf("parent").seq, 3u);
  // A step that is no step is refused, and the mark still moves past it.
  auto refused =
      TakeSteps(*village, "parent", village->MarkOf("parent"), OneStepRun(3, 4, "y", "e1", "explode"), adopt_all);
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->refused, 1u);
  EXPECT_NE(refused->why.find("unknown step"), std::string::npos) << refused->why;
  EXPECT_EQ(refused->mark.seq, 4u);
}

}  // namespace
}  // namespace xl::router
