// The alert log's event list: one summary per event (kind, start, ended, newest message),
// newest first, kept as messages are appended, and filled in for a log written before the
// list existed.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "router/alerts/alert_log.h"
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

}  // namespace
}  // namespace xl::router
