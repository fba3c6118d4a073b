// Acknowledged delivery: the outbox keeps what is not acknowledged across restarts, sends it
// again after a silence and stays within its size by giving up snapshots first; the inbox
// takes each message once and in order; over a lossy link the two deliver everything exactly
// once.
#include <gtest/gtest.h>

#include <random>

#include "proto/wire/delivery/inbox.h"
#include "proto/wire/delivery/outbox.h"
#include "tests/support/process.h"

namespace xl::delivery {
namespace {

OutboxConfig Config(const std::string& name) {
  OutboxConfig c;
  c.path = test::TempDir("delivery-" + name) + "/outbox.db";  // a folder each: tests run in parallel
  c.resend_after_ms = 1000;
  c.window = 4;
  return c;
}

std::vector<uint64_t> Seqs(const std::vector<Outbox::Message>& due) {
  std::vector<uint64_t> out;
  for (const auto& m : due) out.push_back(m.seq);
  return out;
}

TEST(Outbox, KeepsWhatIsNotAcknowledgedAcrossARestart) {
  const OutboxConfig config = Config("restart");
  uint64_t stream;
  {
    auto box = Outbox::Open(config);
    ASSERT_TRUE(box.ok()) << box.error().message;
    for (const char* m : {"a", "b", "c"}) ASSERT_TRUE((*box)->Append(m).ok());
    auto due = (*box)->Due(0);
    ASSERT_EQ(Seqs(due), (std::vector<uint64_t>{1, 2, 3}));
    EXPECT_EQ(due[0].after, 0u);
    EXPECT_EQ(due[2].after, 2u);
    EXPECT_EQ(due[1].bytes, "b");
    for (const auto& m : due) (*box)->MarkSent(m.seq, 0);
    EXPECT_TRUE((*box)->Due(10).empty()) << "sent once is enough until the receiver is silent too long";
    (*box)->OnAck((*box)->stream() + 1, 3, 20);  // another outbox's acknowledgement
    EXPECT_EQ((*box)->stats().kept, 3u);
    (*box)->OnAck((*box)->stream(), 2, 20);
    EXPECT_EQ((*box)->stats().kept, 1u);
    EXPECT_EQ((*box)->stats().acked, 2u);
    stream = (*box)->stream();
  }
  auto box = Outbox::Open(config);
  ASSERT_TRUE(box.ok());
  EXPECT_EQ((*box)->stream(), stream);
  EXPECT_EQ((*box)->stats().kept, 1u);
  auto due = (*box)->Due(0);
  ASSERT_EQ(Seqs(due), (std::vector<uint64_t>{3}));
  EXPECT_EQ(due[0].bytes, "c");
  (*box)->OnAck(stream, 3, 0);
  // Numbers are never used twice, even when nothing is left.
  EXPECT_EQ((*box)->Append("d").value(), 4u);
}

TEST(Outbox, SendsAgainFromTheOldestAfterASilenceAndKeepsToItsWindow) {
  auto box = Outbox::Open(Config("resend"));
  ASSERT_TRUE(box.ok());
  for (int i = 0; i < 6; ++i) ASSERT_TRUE((*box)->Append("m" + std::to_string(i)).ok());
  auto due = (*box)->Due(0);
  ASSERT_EQ(Seqs(due), (std::vector<uint64_t>{1, 2, 3, 4})) << "the window is 4";
  for (const auto& m : due) (*box)->MarkSent(m.seq, 0);
  EXPECT_TRUE((*box)->Due(500).empty());
  (*box)->OnAck((*box)->stream(), 1, 600);
  EXPECT_EQ(Seqs((*box)->Due(700)), (std::vector<uint64_t>{5}));
  // No acknowledgement for resend_after_ms: everything outstanding goes again.
  EXPECT_EQ(Seqs((*box)->Due(1700)), (std::vector<uint64_t>{2, 3, 4, 5}));
  EXPECT_EQ((*box)->stats().resends, 1u);
}

TEST(Outbox, StaysWithinItsSizeGivingUpSnapshotsThenReportsThenTheOldest) {
  OutboxConfig config = Config("full");
  config.max_bytes = 1000;
  config.window = 100;
  auto box = Outbox::Open(config);
  ASSERT_TRUE(box.ok());
  const std::string snapshot(300, 'j');
  ASSERT_TRUE((*box)->Append("alert1" + snapshot, Keep::Shrink("alert1")).ok());
  ASSERT_TRUE((*box)->Append(std::string(200, 's'), Keep::Droppable()).ok());
  ASSERT_TRUE((*box)->Append("alert2" + snapshot, Keep::Shrink("alert2")).ok());
  ASSERT_TRUE((*box)->Append("alert3" + snapshot, Keep::Shrink("alert3")).ok());
  // 306 + 6 + 200 + 2 × 312 > 1000: the oldest snapshot went.
  OutboxStats s = (*box)->stats();
  EXPECT_EQ(s.shrunk, 1u);
  EXPECT_LE(s.kept_bytes, 1000);
  auto due = (*box)->Due(0);
  ASSERT_EQ(Seqs(due), (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(due[0].bytes, "alert1");
  EXPECT_EQ(due[2].bytes, "alert2" + snapshot);

  ASSERT_TRUE((*box)->Append("alert4" + snapshot, Keep::Shrink("alert4")).ok());
  ASSERT_TRUE((*box)->Append("alert5" + snapshot, Keep::Shrink("alert5")).ok());
  s = (*box)->stats();
  EXPECT_GE(s.shrunk, 3u);
  EXPECT_EQ(s.lost, 0u) << "alert text stays while anything else can go";
  EXPECT_LE(s.kept_bytes, 1000);

  // Beyond that, the report goes, then the oldest alerts: counted.
  for (int i = 6; i < 14; ++i) ASSERT_TRUE((*box)->Append(std::string(150, 'a'), Keep::Whole()).ok());
  s = (*box)->stats();
  EXPECT_EQ(s.dropped, 1u);
  EXPECT_GT(s.lost, 0u);
  EXPECT_LE(s.kept_bytes, 1000);
  due = (*box)->Due(0);
  ASSERT_FALSE(due.empty());
  for (size_t i = 1; i < due.size(); ++i) EXPECT_EQ(due[i].after, due[i - 1].seq);
  EXPECT_EQ(due[0].after, 0u) << "nothing is kept before the first";
}

TEST(Inbox, TakesEachMessageOnceInOrderAndStartsNewStreamsAfresh) {
  Inbox in;
  using V = Inbox::Verdict;
  EXPECT_EQ(in.Check("w1", 7, 1, 0), V::kNext);
  EXPECT_EQ(in.Take("w1", 7, 1, 0), 0u);
  EXPECT_EQ(in.Check("w1", 7, 1, 0), V::kDuplicate);
  EXPECT_EQ(in.Check("w1", 7, 3, 2), V::kAhead) << "2 is missing and the sender still has it";
  EXPECT_EQ(in.Check("w1", 7, 2, 1), V::kNext);
  in.Take("w1", 7, 2, 1);
  in.Discard();  // the commit failed: none of it counts
  EXPECT_EQ(in.Check("w1", 7, 1, 0), V::kNext);
  in.Take("w1", 7, 1, 0);
  in.Commit();
  EXPECT_EQ(in.Committed("w1").seq, 1u);
  // The sender gave up 2..4: 5 comes after 1.
  EXPECT_EQ(in.Check("w1", 7, 5, 1), V::kNext);
  EXPECT_EQ(in.Take("w1", 7, 5, 1), 3u);
  in.Commit();
  // A new outbox (its disk was replaced) starts at its first kept message.
  EXPECT_EQ(in.Check("w1", 8, 1, 0), V::kNext);
  EXPECT_EQ(in.Check("w1", 8, 2, 1), V::kAhead);
  EXPECT_EQ(in.Check("w2", 9, 4, 0), V::kNext) << "a sender whose first messages are acknowledged elsewhere";
  in.Load({{"w3", Mark{5, 10}}});
  EXPECT_EQ(in.Check("w3", 5, 10, 9), V::kDuplicate);
  EXPECT_EQ(in.Committed("w1").seq, 0u) << "Load replaces the marks";
}

// A link that loses messages and acknowledgements at random, and a receiver that crashes
// (losing what it had not committed): everything arrives exactly once, in order.
TEST(Delivery, ALossyLinkAndCrashesLoseNothingAndDuplicateNothing) {
  OutboxConfig config = Config("lossy");
  config.window = 8;
  config.resend_after_ms = 50;
  auto box = Outbox::Open(config);
  ASSERT_TRUE(box.ok());
  std::mt19937 rng(42);
  std::bernoulli_distribution lose(0.3), crash(0.02);
  Inbox in;
  std::map<std::string, Mark> stored;  // the receiver's durable marks
  std::vector<std::string> got;        // what it committed
  const int total = 300;
  int appended = 0;
  for (int64_t now = 0; now < 200000 && (appended < total || (*box)->stats().kept > 0); now += 10) {
    if (appended < total) ASSERT_TRUE((*box)->Append("m" + std::to_string(++appended)).ok());
    std::vector<std::string> batch;
    for (const auto& m : (*box)->Due(now)) {
      (*box)->MarkSent(m.seq, now);
      if (lose(rng)) continue;
      if (in.Check("w", (*box)->stream(), m.seq, m.after) != Inbox::Verdict::kNext) continue;
      in.Take("w", (*box)->stream(), m.seq, m.after);
      batch.push_back(m.bytes);
    }
    if (crash(rng)) {  // the receiver dies before committing
      in.Load(stored);
      continue;
    }
    got.insert(got.end(), batch.begin(), batch.end());
    in.Commit();
    stored["w"] = in.Committed("w");
    if (!lose(rng)) {
      (*box)->OnAck((*box)->stream(), stored["w"].seq, now);
    }
  }
  ASSERT_EQ(got.size(), size_t(total));
  for (int i = 0; i < total; ++i) ASSERT_EQ(got[size_t(i)], "m" + std::to_string(i + 1));
  EXPECT_GT((*box)->stats().resends, 0u);
}

}  // namespace
}  // namespace xl::delivery
