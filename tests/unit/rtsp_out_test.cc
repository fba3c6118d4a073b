// The RTSP re-serve with the real gst-rtsp-server and ffprobe as the player, the test thread
// as the router's loop: a player that must wait for a camera's first keyframe waits on its own
// thread while the loop goes on (and delivers that keyframe); a camera outside the player's
// region is 404 at DESCRIBE.
#include "router/live/rtsp_out.h"

#include <gst/gst.h>
#include <gtest/gtest.h>

#include <thread>

#include "common/clock.h"
#include "tests/support/media.h"
#include "tests/support/process.h"
#include "tests/support/video_frames.h"

namespace xl::router {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kCamA = "33010201011320000001", kCamB = "33010202011320000002";

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class RtspOutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    gst_init(nullptr, nullptr);
    // A folder a test: ctest runs them side by side.
    dir_ = test::TempDir(std::string("rtsp-out-") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    auto out = RtspOut::Start(RtspOutConfig{"127.0.0.1", 0}, relay_);
    ASSERT_TRUE(out.ok()) << out.error().message;
    out_ = std::move(out.value());
    out_->SetLogins({{"op_a", RtspDigest("op_a", "village-a-pw"), "3301020101"}});
    out_->SetCameras({{kCamA, {"h264", "3301020101"}}, {kCamB, {"h264", "33010202"}}});
  }

  // ffprobe of `camera` as op_a, started now.
  std::unique_ptr<test::Process> Probe(const std::string& camera) {
    const std::string url = "rtsp://op_a:village-a-pw@127.0.0.1:" + std::to_string(out_->port()) + "/" + camera;
    return std::make_unique<test::Process>(
        std::vector<std::string>{"/usr/bin/ffprobe", "-v", "error", "-rtsp_transport", "tcp", "-show_entries",
                                 "stream=codec_name", "-of", "default=nw=1", url},
        dir_ + "/ffprobe-" + camera + ".log");
  }

  // Runs the loop (a turn every 10 ms) while `go_on` holds, at most `limit`.
  void RunLoopWhile(const std::function<bool()>& go_on, std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (go_on() && std::chrono::steady_clock::now() < end) {
      while (g_main_context_iteration(nullptr, FALSE)) {}
      std::this_thread::sleep_for(milliseconds(10));
    }
  }

  std::string dir_;
  LiveRelay relay_;
  std::unique_ptr<RtspOut> out_;
};

TEST_F(RtspOutTest, APlayerWaitingForTheFirstKeyframeDoesNotHoldUpTheLoop) {
  // No video yet: the GOP cache is empty when the player's DESCRIBE builds the media.
  auto probe = Probe(kCamA);
  RunLoopWhile([&] { return relay_.viewer_count() == 0 && probe->running(); }, seconds(30));
  ASSERT_EQ(relay_.viewer_count(), 1u) << probe->Output();
  // The loop is free: it delivers the camera's video, and the waiting player gets it.
  const std::vector<test::AccessUnit> units = test::VtestAccessUnits(dir_, 25, 8);
  ASSERT_GT(units.size(), 100u);
  size_t sent = 0;
  RunLoopWhile(
      [&] {
        const test::AccessUnit& u = units[sent % units.size()];
        ++sent;
        relay_.OnMessage(test::FrameMessage(kCamA, sent, u.keyframe, u.data), MonotonicMs());
        return probe->running();
      },
      seconds(30));
  EXPECT_PRED2(Contains, probe->Output(), "codec_name=h264");
}

TEST_F(RtspOutTest, ACameraOutsideTheRegionIsNotFoundAtDescribeAndIsNotPulled) {
  relay_.OnMessage(test::TinyH264Frame(kCamB, 1, true), MonotonicMs());
  auto probe = Probe(kCamB);
  RunLoopWhile([&] { return probe->running(); }, seconds(30));
  EXPECT_PRED2(Contains, probe->Output(), "DESCRIBE failed: 404");
  EXPECT_EQ(relay_.viewer_count(), 0u) << "the media of a camera the player may not see was built";
}

}  // namespace
}  // namespace xl::router
