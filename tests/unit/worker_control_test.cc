// The router's side of GB/T 28181 catalogs (router/workers/worker_control.h): a worker's
// report of a device's channels adds the ones the registry does not know, pinned to that
// worker; a known channel keeps its settings — an operator's ?transport= among them — and a
// report that changes nothing changes nothing (every change would restart the camera's call).
#include <gtest/gtest.h>
#include <stdlib.h>

#include "proto/wire/wire.h"
#include "router/registry/camera_store.h"
#include "router/system_problems.h"
#include "router/workers/camera_states.h"
#include "router/workers/worker_control.h"
#include "router/workers/worker_outbox.h"

namespace xl::router {
namespace {

class WorkerControlTest : public ::testing::Test {
 protected:
  WorkerControlTest() {
    char dir[] = "/tmp/xl-worker-control-XXXXXX";
    store_ = std::move(CameraStore::Open(std::string(mkdtemp(dir)) + "/router.db").value());
    socket_.set(zmq::sockopt::router_mandatory, 1);
    socket_.set(zmq::sockopt::linger, 0);
    control_ = std::make_unique<WorkerControl>(socket_, *store_, 15000);
  }
  // Worker `worker` reports device `device`'s one channel.
  void Report(const std::string& worker, const std::string& device) {
    wire::ControlUp up;
    wire::GbChannels* report = up.mutable_gb_channels();
    report->set_worker(worker);
    report->set_device_id(device);
    wire::CameraSpec* spec = report->add_channels();
    spec->set_id(kChannel);
    spec->set_name("通道1");
    spec->set_url("gb28181://" + device + "/" + kChannel);
    spec->set_enabled(true);
    spec->set_pinned_worker(worker);
    control_->OnMessage(worker, ToFrame(up), now_ += 100);
  }
  const wire::CameraSpec& Spec() { return store_->Find(kChannel)->spec; }

  const std::string kChannel = "34020000001310000101", kDevice = "34020000001110000001";
  zmq::context_t ctx_{1};
  zmq::socket_t socket_{ctx_, zmq::socket_type::router};
  std::unique_ptr<CameraStore> store_;
  std::unique_ptr<WorkerControl> control_;
  int64_t now_ = 1000;
};

TEST_F(WorkerControlTest, AKnownChannelKeepsItsSettingsAcrossCatalogReports) {
  Report("w1", kDevice);
  ASSERT_NE(store_->Find(kChannel), nullptr);
  EXPECT_EQ(Spec().url(), "gb28181://" + kDevice + "/" + kChannel);
  EXPECT_EQ(Spec().pinned_worker(), "w1");

  // The operator renames it and switches its video to TCP.
  wire::CameraSpec edited = Spec();
  edited.set_name("村口");
  edited.set_url("gb28181://" + kDevice + "/" + kChannel + "?transport=tcp");
  ASSERT_TRUE(store_->Put({edited}).ok());
  const std::string before = Spec().SerializeAsString();

  // The next report (every minute, or a catalog refresh) changes nothing.
  Report("w1", kDevice);
  EXPECT_EQ(Spec().SerializeAsString(), before) << Spec().DebugString();

  // The device registers to another worker: the channel follows, its TCP choice kept.
  Report("w2", kDevice);
  EXPECT_EQ(Spec().pinned_worker(), "w2");
  EXPECT_EQ(Spec().url(), "gb28181://" + kDevice + "/" + kChannel + "?transport=tcp");
  EXPECT_EQ(Spec().name(), "村口");

  // Another device now reports the channel: it is reached through that one.
  Report("w2", "34020000001110000002");
  EXPECT_EQ(Spec().url(), "gb28181://34020000001110000002/" + kChannel + "?transport=tcp");
}

TEST(CameraStates, TheWorkersThatRanACameraAreKnownAcrossMovesAndRestarts) {
  const std::string cam = "33010201001320000011";
  auto report = [&](CameraStates& states, const std::string& worker) {
    wire::Camera c;
    c.set_id(cam);
    c.set_worker(worker);
    c.set_state(wire::CAMERA_STATE_ONLINE);
    states.Update(c, 0);
  };
  CameraStates states(15000, [](const wire::Camera&) {});
  EXPECT_FALSE(states.RanBy(cam, "w1"));
  report(states, "w1");
  report(states, "w2");  // moved (failover)
  EXPECT_TRUE(states.RanBy(cam, "w1"));
  EXPECT_TRUE(states.RanBy(cam, "w2"));
  EXPECT_FALSE(states.RanBy(cam, "w3"));
  for (const char* w : {"w3", "w4", "w5", "w6"}) report(states, w);
  EXPECT_FALSE(states.RanBy(cam, "w1")) << "only the last few are kept";
  EXPECT_TRUE(states.RanBy(cam, "w3"));
  // A router started again knows the last one from the states it saved.
  CameraStates restarted(15000, [](const wire::Camera&) {});
  restarted.Seed({states.cameras().at(cam)});
  EXPECT_TRUE(restarted.RanBy(cam, "w6"));
  EXPECT_FALSE(restarted.RanBy(cam, "w5"));
  restarted.Forget(cam);
  EXPECT_FALSE(restarted.RanBy(cam, "w6"));
}

TEST(WorkerOutbox, NearlyFullIsAProblemUntilThereIsRoomAgain) {
  wire::OutboxStatus box;
  box.set_max_bytes(1000);
  box.set_bytes(890);
  EXPECT_FALSE(OutboxProblem("w1", box, false));
  box.set_bytes(900);
  box.set_messages(42);
  box.set_snapshots_dropped(7);
  auto text = OutboxProblem("w1", box, false);
  ASSERT_TRUE(text);
  EXPECT_EQ(
      *text,
      "worker w1: its outbox is 90 % full (42 alerts waiting for the router); 7 snapshots given up, 0 alerts lost");
  box.set_bytes(850);  // raised: it stays until under 80 %
  EXPECT_TRUE(OutboxProblem("w1", box, true));
  EXPECT_FALSE(OutboxProblem("w1", box, false));
  box.set_bytes(790);
  EXPECT_FALSE(OutboxProblem("w1", box, true));
  box.set_max_bytes(0);  // an older worker that does not say
  EXPECT_FALSE(OutboxProblem("w1", box, false));
}

TEST(SystemProblems, SaysWhetherARaiseIsNewChangedOrTheSameAndKeepsItsStart) {
  using Change = SystemProblems::Change;
  SystemProblems problems;
  EXPECT_EQ(problems.Raise("a", "one", 100), Change::kNew);
  EXPECT_EQ(problems.Raise("a", "one", 200), Change::kSame);
  EXPECT_EQ(problems.Raise("a", "two", 300), Change::kTextChanged);
  EXPECT_EQ(problems.Raise("b", "three", 50), Change::kNew);
  const auto json = problems.Json();
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(json[0]["key"], "b");  // oldest first
  EXPECT_EQ(json[1]["text"], "two");
  EXPECT_EQ(json[1]["since_ms"], 100);
  EXPECT_TRUE(problems.Clear("a"));
  EXPECT_FALSE(problems.Clear("a"));
  EXPECT_FALSE(problems.Has("a"));
}

}  // namespace
}  // namespace xl::router
