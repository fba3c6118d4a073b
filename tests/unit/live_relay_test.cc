// The relay's fan-out rules, with viewers that take or refuse frames on command.
#include "router/live/live_relay.h"

#include <gtest/gtest.h>

#include "proto/media/h26x.h"
#include "proto/wire/wire.h"
#include "router/cascade/video_up.h"
#include "router/live/fmp4_muxer.h"
#include "tests/support/video_frames.h"

namespace xl::router {
namespace {

struct TestViewer : LiveViewer {
  bool accept = true;
  std::vector<uint64_t> seqs;
  std::vector<bool> keys;
  bool Offer(const LiveFramePtr& f) override {
    if (!accept) return false;
    seqs.push_back(f->video.seq());
    keys.push_back(f->video.keyframe());
    return true;
  }
};

std::string Unit(bool key) { return test::TinyH264Unit(key); }

zmq::message_t Frame(uint64_t seq, bool key, const std::string& camera = "33010201001320000011") {
  return test::TinyH264Frame(camera, seq, key);
}

const std::string kCam = "33010201001320000011";

TEST(LiveRelay, NewViewerStartsFromTheGopCacheAtAKeyframe) {
  LiveRelay relay;
  for (uint64_t s = 1; s <= 5; ++s) relay.OnMessage(Frame(s, s == 1 || s == 4), 0);
  TestViewer v;
  relay.Add(kCam, &v, "test", 0);
  EXPECT_EQ(v.seqs, (std::vector<uint64_t>{4, 5}));
  EXPECT_TRUE(v.keys.front());
  relay.OnMessage(Frame(6, false), 0);
  EXPECT_EQ(v.seqs.back(), 6u);
  relay.Remove(&v, 0);
}

TEST(LiveRelay, AViewerThatFallsBehindSkipsToTheNextKeyframeAndSlowsNobody) {
  LiveRelay relay;
  TestViewer slow, fast;
  relay.Add(kCam, &slow, "test", 0);
  relay.Add(kCam, &fast, "test", 0);
  relay.OnMessage(Frame(1, true), 0);
  slow.accept = false;
  relay.OnMessage(Frame(2, false), 0);
  relay.OnMessage(Frame(3, false), 0);
  slow.accept = true;
  relay.OnMessage(Frame(4, false), 0);  // not a keyframe: still skipped
  relay.OnMessage(Frame(5, true), 0);
  relay.OnMessage(Frame(6, false), 0);
  EXPECT_EQ(slow.seqs, (std::vector<uint64_t>{1, 5, 6}));
  EXPECT_EQ(fast.seqs, (std::vector<uint64_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(relay.Stats(0)[0]["viewers"][0]["skipped_to_keyframe"], 1);
  relay.Remove(&slow, 0);
  relay.Remove(&fast, 0);
}

TEST(LiveRelay, LostFramesMakeEveryoneWaitForAKeyframe) {
  LiveRelay relay;
  TestViewer v;
  relay.Add(kCam, &v, "test", 0);
  relay.OnMessage(Frame(1, true), 0);
  relay.OnMessage(Frame(2, false), 0);
  relay.OnMessage(Frame(4, false), 0);  // 3 was lost
  relay.OnMessage(Frame(5, true), 0);
  EXPECT_EQ(v.seqs, (std::vector<uint64_t>{1, 2, 5}));
  EXPECT_EQ(relay.gaps(), 1u);
  relay.Remove(&v, 0);
}

TEST(LiveRelay, CamerasAreWantedWhileWatchedAndForALingerAfter) {
  LiveRelay relay(5000);
  TestViewer v;
  EXPECT_TRUE(relay.Wanted(0).empty());
  relay.Add(kCam, &v, "test", 1000);
  EXPECT_EQ(relay.Wanted(1000).count(kCam), 1u);
  relay.Remove(&v, 2000);
  EXPECT_EQ(relay.Wanted(6999).count(kCam), 1u);
  EXPECT_TRUE(relay.Wanted(7000).empty());
}

TEST(LiveRelay, CamerasNobodyWatchesAreForgottenOnceTheirVideoStops) {
  LiveRelay relay(5000);
  TestViewer v;
  relay.Add(kCam, &v, "test", 1000);
  relay.OnMessage(Frame(1, true), 1000);
  relay.OnMessage(Frame(1, true, "33010201001320000012"), 1000);  // video nobody watches
  relay.Prune(100000);
  EXPECT_EQ(relay.stream_count(), 1u) << "a watched camera stays";
  relay.OnMessage(Frame(2, false), 100000);
  relay.Remove(&v, 100000);
  relay.OnMessage(Frame(3, false), 102000);  // still coming in the linger
  relay.Prune(106000);
  EXPECT_EQ(relay.stream_count(), 1u) << "within a linger of its last frame";
  relay.Prune(107000);
  EXPECT_EQ(relay.stream_count(), 0u);
  EXPECT_TRUE(relay.Stats(107000).empty());
  // Watched again: it starts afresh from the next keyframe.
  relay.Add(kCam, &v, "test", 108000);
  relay.OnMessage(Frame(9, true), 108000);
  EXPECT_EQ(v.seqs.back(), 9u);
  relay.Remove(&v, 108000);
}

// The admission (a link's live budget) is asked only for a camera nobody wants yet: a refused
// viewer is not added, and more viewers of a camera already crossing cost nothing.
TEST(LiveRelay, AdmissionDecidesOnlyForACameraNobodyWantsYet) {
  LiveRelay relay(5000);
  std::vector<std::string> asked;
  bool room = false;
  relay.SetAdmission([&](const std::string& camera, int64_t) -> std::optional<std::string> {
    asked.push_back(camera);
    if (room) return std::nullopt;
    return "link to 东街村 full: 1 stream, 2 Mbit/s";
  });
  TestViewer first, second;
  EXPECT_EQ(relay.Add(kCam, &first, "test", 0), "link to 东街村 full: 1 stream, 2 Mbit/s");
  EXPECT_TRUE(relay.Wanted(0).empty()) << "a refused viewer wants nothing";
  relay.OnMessage(Frame(1, true), 0);
  EXPECT_TRUE(first.seqs.empty());
  room = true;
  EXPECT_EQ(relay.Add(kCam, &first, "test", 0), std::nullopt);
  room = false;
  EXPECT_EQ(relay.Add(kCam, &second, "test", 0), std::nullopt) << "already crossing: no new cost";
  EXPECT_EQ(asked.size(), 2u);
  relay.Remove(&first, 0);
  relay.Remove(&second, 1000);
  EXPECT_EQ(relay.Add(kCam, &second, "test", 5999), std::nullopt) << "within the linger it still crosses";
  relay.Remove(&second, 6000);
  EXPECT_NE(relay.Add(kCam, &second, "test", 11000), std::nullopt) << "let go: asked again";
  EXPECT_EQ(asked.size(), 3u);
}

// A camera's rate: over its last second while it streams, and remembered after it stops.
TEST(LiveRelay, ACamerasRateIsMeasuredAndRemembered) {
  LiveRelay relay(5000);
  EXPECT_EQ(relay.Kbps(kCam), 0) << "never seen";
  TestViewer v;
  relay.Add(kCam, &v, "test", 0);
  for (int64_t ms = 0; ms <= 2000; ms += 40) relay.OnMessage(Frame(uint64_t(ms / 40 + 1), ms % 1000 == 0), ms);
  const double kbps = relay.Kbps(kCam);
  EXPECT_GT(kbps, 0);
  relay.Remove(&v, 2000);
  relay.Prune(100000);
  EXPECT_EQ(relay.stream_count(), 0u);
  EXPECT_DOUBLE_EQ(relay.Kbps(kCam), kbps) << "remembered after the stream was forgotten";
}

TEST(LiveRelay, GarbageIsRefused) {
  LiveRelay relay;
  zmq::message_t junk(std::string("\xff\xff\xff\x01garbage"));
  EXPECT_EQ(relay.OnMessage(junk, 0), LiveRelay::Intake::kMalformed);
}

TEST(H26x, ParameterSetsCodecStringAndFmp4) {
  const std::string key = Unit(true);
  auto nals = h26x::SplitAnnexB(key);
  ASSERT_EQ(nals.size(), 3u);
  auto ps = h26x::FindParameterSets(h26x::Codec::kH264, key);
  ASSERT_TRUE(ps.complete(h26x::Codec::kH264));
  EXPECT_EQ(h26x::CodecString(h26x::Codec::kH264, ps), "avc1.64001F");

  Fmp4Muxer mux("h264");
  LiveRelay relay;
  TestViewer sink;
  relay.Add(kCam, &sink, "test", 0);
  auto frame = std::make_shared<LiveFrame>();
  ASSERT_TRUE(frame->video.ParseFromString(
      std::string(static_cast<const char*>(Frame(1, true).data()), Frame(1, true).size())));
  ASSERT_TRUE(mux.Learn(*frame));
  EXPECT_EQ(mux.init_segment().substr(4, 4), "ftyp");
  EXPECT_NE(mux.init_segment().find("avcC"), std::string::npos);
  auto fragment = mux.Fragment(frame);
  EXPECT_EQ(fragment->substr(4, 4), "moof");
  EXPECT_NE(fragment->find("mdat"), std::string::npos);
  EXPECT_EQ(mux.Fragment(frame), fragment) << "a frame's fragment is made once";
  relay.Remove(&sink, 0);
}

// A child router's relay sends what its parent watches up the link (router/cascade/video_up.h);
// the parent's relay takes each frame as it came from a worker.
TEST(LiveRelay, ACameraTheParentWatchesGoesUpTheLinkFrameByFrameUntilItStops) {
  zmq::context_t ctx;
  zmq::socket_t parent_end(ctx, zmq::socket_type::pair), child_end(ctx, zmq::socket_type::pair);
  parent_end.bind("inproc://link-video");
  child_end.connect("inproc://link-video");
  LiveRelay child, parent;
  VideoUp up(child, std::move(child_end));
  for (uint64_t s = 1; s <= 3; ++s) child.OnMessage(Frame(s, s == 2), 0);
  up.SetWatched({kCam}, 0);  // from the child's GOP cache on
  EXPECT_EQ(child.Wanted(0), std::set<std::string>{kCam});
  child.OnMessage(Frame(4, false), 0);
  TestViewer v;
  parent.Add(kCam, &v, "test", 0);
  for (zmq::message_t msg; parent_end.recv(msg, zmq::recv_flags::dontwait);) {
    wire::LinkUp link_up;
    ASSERT_TRUE(FromFrame(msg, &link_up));
    ASSERT_TRUE(link_up.has_video());
    EXPECT_EQ(parent.OnMessage(link_up.video().SerializeAsString(), 0), LiveRelay::Intake::kTaken);
  }
  EXPECT_EQ(v.seqs, (std::vector<uint64_t>{2, 3, 4}));
  EXPECT_EQ(up.stats().frames, 3u);
  // Not watched any more: nothing goes up, and the child lets the camera go after its linger.
  up.SetWatched({}, 1000);
  child.OnMessage(Frame(5, false), 1000);
  zmq::message_t none;
  EXPECT_FALSE(parent_end.recv(none, zmq::recv_flags::dontwait));
  EXPECT_TRUE(child.Wanted(1000 + 5000).empty());
  parent.Remove(&v, 0);
}

}  // namespace
}  // namespace xl::router
