// Event clips cut from a real encoded stream: vtest.avi encoded by ffmpeg as a camera would
// send it (H.264 and H.265, 10 fps, a keyframe every 2 s), fed to the recorder with arrival
// times from the stream's own clock, written by the GStreamer muxer and read back by
// ffprobe; then the store's retention by size and by age.
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>

#include <unistd.h>

#include "ingest/clips/clip_recorder.h"
#include "tests/support/encoded_vtest.h"
#include "tests/support/media.h"
#include "tests/support/process.h"
#include "tools/camsim/encoded_clip.h"

namespace xl::ingest {
namespace {

namespace fs = std::filesystem;
using test::Fixture;
using test::ProbeFile;

constexpr int64_t kT0 = 1'700'000'000'000;  // wall clock of the stream's first unit
constexpr double kGopS = test::kVtestGopS;

const camsim::EncodedClip& Vtest(const std::string& codec) { return test::EncodedVtest(codec); }

// Feeds the clip's units up to stream time `until_ms`; `before(arrival_ms)` runs before each.
void Play(ClipRecorder& recorder, const camsim::EncodedClip& clip, int64_t until_ms,
          const std::function<void(int64_t)>& before = {}) {
  for (const camsim::AccessUnit& u : clip.units) {
    const int64_t at = kT0 + u.dts_ns / 1'000'000;
    if (at - kT0 > until_ms) break;
    if (before) before(at);
    recorder.Feed(StoreUnit(u.bytes.data(), u.bytes.size(), u.pts_ns / 1000, u.dts_ns / 1000, u.keyframe, at),
                  clip.codec.c_str());
  }
}

// A motion event from `start_s` to `end_s` of the clip, reported as analytics would: the
// start 0.4 s late (two frames at 5 fps), the end after 5 s of quiet. Returns the clip's
// path relative to the store.
std::string RecordEvent(ClipRecorder& recorder, const camsim::EncodedClip& clip, const std::string& id, double start_s,
                        double end_s, double until_s) {
  std::string relative;
  bool begun = false, ended = false;
  Play(recorder, clip, int64_t(until_s * 1000), [&](int64_t at) {
    if (!begun && at >= kT0 + int64_t(start_s * 1000) + 400) {
      relative = recorder.Begin(id, kT0 + int64_t(start_s * 1000));
      begun = true;
    }
    if (!ended && at >= kT0 + int64_t(end_s * 1000) + 5000) {
      recorder.End(id, kT0 + int64_t(end_s * 1000));
      ended = true;
    }
  });
  return relative;
}

class ClipRecorderTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ClipRecorderTest, AnEventsClipCoversPreEventAndPostWithinOneGop) {
  const camsim::EncodedClip& clip = Vtest(GetParam());
  ASSERT_GT(clip.units.size(), 400u);
  ClipStore store({test::TempDir("clips-" + GetParam())});
  ClipRecorder recorder(ClipConfig{}, "33010201001320000001", "33010201001320000001 (测试)", store);
  // Event 20 s → 30 s; pre 5 s and post 5 s: the clip must span 15 s → 35 s.
  const std::string relative = RecordEvent(recorder, clip, "33010201001320000001-1-motion", 20, 30, 45);
  EXPECT_EQ(recorder.open_clips(), 0u);
  store.Flush();
  ASSERT_FALSE(relative.empty());
  EXPECT_EQ(relative.substr(0, 21), "33010201001320000001/");
  const std::string path = store.dir() + "/" + relative;
  ASSERT_TRUE(fs::exists(path)) << path;
  EXPECT_FALSE(fs::exists(path + ".part"));
  const test::Probe probe = ProbeFile(path);
  ASSERT_TRUE(probe.ok) << path;
  EXPECT_EQ(probe.codec, GetParam() == "h264" ? "h264" : "hevc");
  EXPECT_GE(probe.duration_s, 20.0 - 0.15);
  EXPECT_LE(probe.duration_s, 20.0 + kGopS + 0.15);
  EXPECT_GE(probe.frames, int((20.0 - 0.15) * 10));
  EXPECT_EQ(store.stats().written, 1);

  // The moov box comes before the media, so a browser can start playing at once.
  std::ifstream in(path, std::ios::binary);
  std::string head(4096, '\0');
  in.read(head.data(), head.size());
  EXPECT_LT(head.find("moov"), head.find("mdat"));
}

INSTANTIATE_TEST_SUITE_P(Codecs, ClipRecorderTest, ::testing::Values("h264", "h265"));

TEST(ClipRecorder, AnEventLongerThanTheLimitIsCut) {
  const camsim::EncodedClip& clip = Vtest("h264");
  ClipStore store({test::TempDir("clips-cut")});
  ClipConfig config;
  config.max_ms = 8000;
  ClipRecorder recorder(config, "33010201001320000001", "cam", store);
  const std::string relative = RecordEvent(recorder, clip, "e-cut", 10, 60, 30);  // never ends within the feed
  EXPECT_EQ(recorder.open_clips(), 0u);
  store.Flush();
  const test::Probe probe = ProbeFile(store.dir() + "/" + relative);
  ASSERT_TRUE(probe.ok);
  EXPECT_LE(probe.duration_s, 8.0 + 0.15);
  EXPECT_GE(probe.duration_s, 8.0 - 0.15);
}

TEST(ClipRecorder, AStoppedStreamFinishesTheOpenClipWithWhatItHas) {
  const camsim::EncodedClip& clip = Vtest("h264");
  ClipStore store({test::TempDir("clips-close")});
  ClipRecorder recorder(ClipConfig{}, "33010201001320000001", "cam", store);
  const std::string relative = RecordEvent(recorder, clip, "e-close", 10, 60, 16);
  EXPECT_EQ(recorder.open_clips(), 1u);
  recorder.Close();
  store.Flush();
  const test::Probe probe = ProbeFile(store.dir() + "/" + relative);
  ASSERT_TRUE(probe.ok);
  EXPECT_GE(probe.duration_s, 11.0 - 0.15);  // from the keyframe at 4 s (≤ 10 − 5) to 16 s
  EXPECT_LE(probe.duration_s, 12.0 + 0.15);
}

TEST(ClipRecorder, ThePreCaptureBufferHoldsOnlyPreCaptureAndSlack) {
  const camsim::EncodedClip& clip = Vtest("h264");
  ClipStore store({test::TempDir("clips-buffer")});
  ClipRecorder recorder(ClipConfig{}, "33010201001320000001", "cam", store);
  Play(recorder, clip, 20000);
  const int64_t after_20s = recorder.buffered_bytes();
  Play(recorder, clip, 60000);  // the same 20 s again and 40 more: nothing accumulates
  EXPECT_GT(after_20s, 0);
  EXPECT_LT(recorder.buffered_bytes(), after_20s * 1.5);
  EXPECT_EQ(store.stats().written, 0);
}

// A live viewer starting now gets the buffer from the last keyframe on (camera_session.h).
TEST(ClipRecorder, TheBufferGivesALiveViewerTheUnitsSinceTheLastKeyframe) {
  const camsim::EncodedClip& clip = Vtest("h264");
  ClipStore store({test::TempDir("clips-gop")});
  ClipRecorder recorder(ClipConfig{}, "33010201001320000001", "cam", store);
  EXPECT_TRUE(recorder.SinceLastKeyframe().empty());
  Play(recorder, clip, 21000);  // keyframes every 2 s: the last at 20 s
  const std::vector<StoredUnitPtr> gop = recorder.SinceLastKeyframe();
  ASSERT_FALSE(gop.empty());
  EXPECT_TRUE(gop.front()->keyframe);
  EXPECT_EQ(std::count_if(gop.begin(), gop.end(), [](const StoredUnitPtr& u) { return u->keyframe; }), 1);
  EXPECT_GE(gop.front()->arrival_ms, kT0 + 19000);
  EXPECT_LE(gop.size(), size_t(kGopS * 10));
}

TEST(ClipRecorder, NoStoreFolderMeansNoClips) {
  const camsim::EncodedClip& clip = Vtest("h264");
  ClipStore store({""});
  ClipRecorder recorder(ClipConfig{}, "33010201001320000001", "cam", store);
  EXPECT_EQ(RecordEvent(recorder, clip, "e-none", 10, 12, 25), "");
  EXPECT_EQ(recorder.open_clips(), 0u);
}

// Three real clips in a store without limits; returns their paths, oldest first.
std::vector<std::string> ThreeClips(const std::string& dir) {
  const camsim::EncodedClip& clip = Vtest("h264");
  ClipStore store({dir});
  std::vector<std::string> paths;
  for (int i = 0; i < 3; ++i) {
    ClipRecorder recorder(ClipConfig{}, "33010201001320000001", "cam", store);
    paths.push_back(dir + "/" + RecordEvent(recorder, clip, test::Numbered("e", i), 10, 12 + i, 25));
    store.Flush();  // one after another: each finished (and dated) after the one before
  }
  return paths;
}

TEST(ClipStore, OverTheSizeLimitTheOldestClipsGoFirst) {
  const std::string dir = test::TempDir("clips-size");
  const std::vector<std::string> paths = ThreeClips(dir);
  int64_t newest_two = 0;
  for (int i : {1, 2}) newest_two += int64_t(fs::file_size(paths[i]));
  std::ofstream(dir + "/33010201001320000001/leftover.mp4.part") << "half a clip";

  ClipStoreConfig limits{dir, newest_two + 1000};
  ClipStore store(limits);  // applies the limit at start
  EXPECT_FALSE(fs::exists(paths[0]));
  EXPECT_TRUE(fs::exists(paths[1]));
  EXPECT_TRUE(fs::exists(paths[2]));
  EXPECT_FALSE(fs::exists(dir + "/33010201001320000001/leftover.mp4.part"));
  EXPECT_EQ(store.stats().clips, 2);
  EXPECT_EQ(store.stats().deleted, 1);

  // A new clip pushes the total over again: the oldest of the two goes, as soon as it is written.
  ClipRecorder recorder(ClipConfig{}, "33010201001320000002", "cam", store);
  const std::string fourth = dir + "/" + RecordEvent(recorder, Vtest("h264"), "e3", 10, 13, 25);
  store.Flush();
  EXPECT_TRUE(fs::exists(fourth));
  EXPECT_FALSE(fs::exists(paths[1]));
  EXPECT_TRUE(fs::exists(paths[2]));
  EXPECT_LE(store.stats().bytes, limits.max_bytes);
}

TEST(ClipStore, ClipsOlderThanTheAgeLimitGo) {
  const std::string dir = test::TempDir("clips-age");
  const std::vector<std::string> paths = ThreeClips(dir);
  fs::last_write_time(paths[1], fs::file_time_type::clock::now() - std::chrono::hours(49));
  ClipStore store({dir, int64_t(1) << 40, 48 * 3600 * 1000});
  EXPECT_TRUE(fs::exists(paths[0]));
  EXPECT_FALSE(fs::exists(paths[1]));
  EXPECT_TRUE(fs::exists(paths[2]));
}

}  // namespace
}  // namespace xl::ingest
