// The alert log's event list: one summary per event (kind, start, ended, newest message),
// newest first, kept as messages are appended, and filled in for a log written before the
// list existed; events the router ended open again with a newer message of their worker; and
// retention deletes whole events, oldest first, by age or by size.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <optional>

#include "common/clock.h"
#include "router/alerts/alert_log.h"
#include "router/alerts/retention.h"
#include "router/desk/alert_desk.h"
#include "tests/support/process.h"

namespace xl::router {
namespace {

wire::Alert Message(const std::string& event, wire::AlertKind kind, wire::AlertPhase phase, int64_t time_ms) {
  wire::Alert a;
  a.set_id(event);
  a.set_camera_id("33010201011320000001");
  a.set_region("3301020101");
  a.set_kind(kind);
  a.set_phase(phase);
  a.set_time_ms(time_ms);
  return a;
}

void AppendThreeEvents(AlertLog& log) {
  ASSERT_TRUE(log.Append({Message("a", wire::ALERT_KIND_MOTION, wire::ALERT_PHASE_START, 1000),
                          Message("b", wire::ALERT_KIND_FACE, wire::ALERT_PHASE_START, 1500)})
                  .ok());
  ASSERT_TRUE(log.Append({Message("a", wire::ALERT_KIND_MOTION, wire::ALERT_PHASE_UPDATE, 2000),
                          Message("c", wire::ALERT_KIND_BLUR, wire::ALERT_PHASE_START, 2500),
                          Message("a", wire::ALERT_KIND_MOTION, wire::ALERT_PHASE_END, 3000)})
                  .ok());
}

void ExpectThreeEvents(AlertLog& log) {
  auto events = log.RecentEvents(10);
  ASSERT_TRUE(events.ok()) << events.error().message;
  ASSERT_EQ(events->size(), 3u);
  // Newest message first: a (ended at seq 5), c (seq 4), b (seq 2).
  EXPECT_EQ((*events)[0].id, "a");
  EXPECT_EQ((*events)[0].kind, "motion");
  EXPECT_EQ((*events)[0].start_ms, 1000);
  EXPECT_TRUE((*events)[0].ended);
  EXPECT_EQ((*events)[0].last_seq, 5u);
  EXPECT_EQ((*events)[1].id, "c");
  EXPECT_FALSE((*events)[1].ended);
  EXPECT_EQ((*events)[2].id, "b");
  EXPECT_EQ((*events)[2].kind, "face");
  EXPECT_EQ((*events)[2].region, "3301020101");
  auto newest = log.RecentEvents(1);
  ASSERT_TRUE(newest.ok());
  ASSERT_EQ(newest->size(), 1u);
  EXPECT_EQ((*newest)[0].id, "a");
}

TEST(AlertLog, EventsAreSummarizedNewestFirstAsMessagesArrive) {
  auto log = AlertLog::Open(test::TempDir("alert-log-events") + "/x.db");
  ASSERT_TRUE(log.ok()) << log.error().message;
  AppendThreeEvents(**log);
  ExpectThreeEvents(**log);
}

TEST(AlertLog, ALogWrittenBeforeTheEventListGetsItOnOpen) {
  const std::string path = test::TempDir("alert-log-upgrade") + "/x.db";
  {
    auto log = AlertLog::Open(path);
    ASSERT_TRUE(log.ok());
    AppendThreeEvents(**log);
  }
  // As an older router left it: the log without the list.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "DROP TRIGGER alerts_to_events; DROP TABLE events;", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto log = AlertLog::Open(path);
  ASSERT_TRUE(log.ok()) << log.error().message;
  ExpectThreeEvents(**log);
  // And it is kept from then on.
  ASSERT_TRUE((*log)->Append({Message("d", wire::ALERT_KIND_MOTION, wire::ALERT_PHASE_START, 4000)}).ok());
  auto events = (*log)->RecentEvents(10);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 4u);
  EXPECT_EQ((*events)[0].id, "d");
}

// Whether event `id` is in the list and ended.
std::optional<bool> Ended(AlertLog& log, const std::string& id) {
  auto events = log.RecentEvents(100);
  if (!events.ok()) return std::nullopt;
  for (const EventSummary& e : *events) {
    if (e.id == id) return e.ended;
  }
  return std::nullopt;
}

TEST(AlertLog, AnEventTheRouterEndedOpensAgainOnlyWithANewerMessage) {
  auto log = AlertLog::Open(test::TempDir("alert-log-reopen") + "/x.db");
  ASSERT_TRUE(log.ok()) << log.error().message;
  std::vector<std::string> reopened;
  ASSERT_TRUE((*log)->Append({Message("a", wire::ALERT_KIND_MOTION, wire::ALERT_PHASE_START, 1000)}).ok());
  wire::Alert lost = Message("a", wire::ALERT_KIND_MOTION, wire::ALERT_PHASE_END, 2000);
  lost.set_end_reason("worker lost");
  ASSERT_TRUE((*log)->Append({lost}).ok());
  EXPECT_EQ(Ended(**log, "a"), true);
  // Sent again from a dead worker's outbox: older than the router's end. Logged, still ended.
  ASSERT_TRUE(
      (*log)->Append({Message("a", wire::ALERT_KIND_MOTION, wire::ALERT_PHASE_UPDATE, 1500)}, {}, &reopened).ok());
  EXPECT_TRUE(reopened.empty());
  EXPECT_EQ(Ended(**log, "a"), true);
  // Its worker is back with the event running: open again, then ended by the worker itself.
  ASSERT_TRUE((*log)
                  ->Append({Message("a", wire::ALERT_KIND_MOTION, wire::ALERT_PHASE_UPDATE, 2500),
                            Message("a", wire::ALERT_KIND_MOTION, wire::ALERT_PHASE_UPDATE, 2600)},
                           {}, &reopened)
                  .ok());
  EXPECT_EQ(reopened, std::vector<std::string>{"a"});
  EXPECT_EQ(Ended(**log, "a"), false);
  auto open = (*log)->OpenEventsOf("33010201011320000001");
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 1u);
  ASSERT_TRUE((*log)->Append({Message("a", wire::ALERT_KIND_MOTION, wire::ALERT_PHASE_END, 3000)}).ok());
  EXPECT_EQ(Ended(**log, "a"), true);
  // An end of the worker's own is final: a later message does not open the event.
  reopened.clear();
  ASSERT_TRUE(
      (*log)->Append({Message("a", wire::ALERT_KIND_MOTION, wire::ALERT_PHASE_UPDATE, 4000)}, {}, &reopened).ok());
  EXPECT_TRUE(reopened.empty());
  EXPECT_EQ(Ended(**log, "a"), true);
}

int64_t Handled(const std::string& path) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM handling", -1, &q, nullptr);
  const int64_t n = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
  sqlite3_finalize(q);
  sqlite3_close(db);
  return n;
}

constexpr int64_t kDayMs = 24LL * 3600 * 1000;

TEST(Retention, OldEventsGoWholeWithTheirHandlingAndNewerOnesStay) {
  const std::string path = test::TempDir("retention-age") + "/x.db";
  auto log = AlertLog::Open(path);
  ASSERT_TRUE(log.ok());
  auto desk = AlertDesk::Open(path);
  ASSERT_TRUE(desk.ok());
  AppendThreeEvents(**log);  // a (3 messages, ended), b, c
  ASSERT_TRUE((*desk)->Advance({"a"}, {"ack", "admin", "", "", 1}).ok());
  auto retention = AlertRetention::Open(path, {.max_age_days = 90, .max_size_mb = 0, .batch = 2});
  ASSERT_TRUE(retention.ok()) << retention.error().message;
  const int64_t now = NowMs();

  auto none = (*retention)->Step(now + 89 * kDayMs);
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_EQ(none->events, 0);
  EXPECT_EQ(Handled(path), 1);

  // 91 days on: everything is due, two events a step, oldest (by latest message) first.
  auto first = (*retention)->Step(now + 91 * kDayMs);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->events, 2);
  EXPECT_TRUE(first->more);
  EXPECT_EQ(Ended(**log, "b"), std::nullopt);
  EXPECT_EQ(Ended(**log, "c"), std::nullopt);
  EXPECT_EQ(Ended(**log, "a"), true);
  EXPECT_EQ(Handled(path), 1) << "a's handling stays while a does";
  auto second = (*retention)->Step(now + 91 * kDayMs);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->events, 1);
  EXPECT_EQ(second->messages, 3);
  EXPECT_FALSE(second->more);
  EXPECT_EQ(Ended(**log, "a"), std::nullopt);
  EXPECT_EQ(Handled(path), 0) << "and goes with it";
  auto messages = (*log)->ReadAfter(0, 100);
  ASSERT_TRUE(messages.ok());
  EXPECT_TRUE(messages->empty());
  // The log goes on numbering after what was deleted.
  auto seq = (*log)->Append({Message("d", wire::ALERT_KIND_MOTION, wire::ALERT_PHASE_START, 5000)});
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(seq->front(), 6u);
}

TEST(Retention, HandlingStepsOfAlertsThatAreNotHereGoByTheirAge) {
  const std::string path = test::TempDir("retention-orphans") + "/x.db";
  auto log = AlertLog::Open(path);
  ASSERT_TRUE(log.ok());
  auto desk = AlertDesk::Open(path);
  ASSERT_TRUE(desk.ok());
  AppendThreeEvents(**log);
  const int64_t now = NowMs();
  // Steps another centre sent: on an alert deleted here long ago, and on one not here yet.
  auto step = [](const std::string& uid, const std::string& alert, int64_t at_ms) {
    return LoggedStep{0, uid, {alert}, "", {"ack", "li", "", "", at_ms, "县中心"}};
  };
  ASSERT_TRUE(
      (*desk)->Receive("parent", {1, 2}, {step("u1", "gone", now - 91 * kDayMs), step("u2", "soon", now)}).ok());
  ASSERT_TRUE((*desk)->Advance({"a"}, {"ack", "admin", "", "", now - 91 * kDayMs}).ok());  // a is still here
  auto retention = AlertRetention::Open(path, {.max_age_days = 90, .max_size_mb = 0, .batch = 10});
  ASSERT_TRUE(retention.ok());
  ASSERT_TRUE((*retention)->Step(now).ok());
  EXPECT_EQ(Handled(path), 2) << "the old step of an alert that is not here went; the others stay";
  EXPECT_TRUE((*desk)->History("gone").empty());
  EXPECT_EQ((*desk)->History("soon").size(), 1u);
  EXPECT_EQ((*desk)->History("a").size(), 1u);
}

TEST(Retention, ASizeBudgetDeletesTheOldestEventsUntilTheLogFits) {
  const std::string path = test::TempDir("retention-size") + "/x.db";
  auto log = AlertLog::Open(path);
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE(AlertDesk::Open(path).ok());  // its table, which retention deletes from too
  // 40 events with a 100 kB snapshot each: about 4 MB.
  for (int i = 0; i < 40; ++i) {
    wire::Alert a = Message(test::Numbered("e", i), wire::ALERT_KIND_MOTION, wire::ALERT_PHASE_START, 1000 + i);
    a.set_snapshot_jpeg(std::string(100 * 1024, char('a' + i % 26)));
    ASSERT_TRUE((*log)->Append({a}).ok());
  }
  auto retention = AlertRetention::Open(path, {.max_age_days = 90, .max_size_mb = 2, .batch = 5});
  ASSERT_TRUE(retention.ok());
  EXPECT_GT((*retention)->UsedBytes(), 4 * 1000 * 1000);
  int64_t deleted = 0;
  for (int step = 0; step < 20; ++step) {
    auto d = (*retention)->Step(NowMs());
    ASSERT_TRUE(d.ok()) << d.error().message;
    if (d->events == 0) break;
    deleted += d->events;
  }
  EXPECT_LE((*retention)->UsedBytes(), 2 * 1024 * 1024);
  EXPECT_GE(deleted, 20);
  EXPECT_LT(deleted, 40);
  // The oldest went, the newest stayed.
  EXPECT_EQ(Ended(**log, "e0"), std::nullopt);
  EXPECT_EQ(Ended(**log, "e39"), false);
}

}  // namespace
}  // namespace xl::router
