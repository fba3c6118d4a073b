// Continuous recording on the worker, from a real encoded stream (vtest.avi as H.264 and
// H.265): fragmented MP4 written and read back unit for unit; segments cut at keyframes
// and indexed without gaps; a range read back as one MP4 starting at the keyframe before
// it; a segment left open by a crash closed at its last whole fragment; retention by age
// (events kept longer) and by budget (oldest first); a folder that cannot take files pauses
// recording with the reason instead of failing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/clock.h"
#include "ingest/recording/recording_store.h"
#include "proto/media/fmp4_reader.h"
#include "proto/media/fmp4_writer.h"
#include "tests/support/encoded_vtest.h"
#include "tests/support/process.h"

namespace xl::ingest {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kHourMs = 3600 * 1000;
constexpr int64_t kDayMs = 24 * kHourMs;

std::string Bytes(const camsim::AccessUnit& u) { return std::string(u.bytes.begin(), u.bytes.end()); }

// The slices of an Annex B access unit (what must survive a round trip through MP4).
std::vector<std::string> Slices(h26x::Codec codec, std::string_view annexb) {
  std::vector<std::string> out;
  for (std::string_view nal : h26x::SplitAnnexB(annexb)) {
    if (h26x::IsSliceType(codec, h26x::NalType(codec, nal))) out.emplace_back(nal);
  }
  return out;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class Fmp4RoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(Fmp4RoundTrip, EveryUnitReadsBackAsWrittenAndACutFileUpToItsLastWholeFragment) {
  const camsim::EncodedClip& clip = test::EncodedVtest(GetParam());
  ASSERT_GT(clip.units.size(), 100u);
  const h26x::Codec codec = GetParam() == "h265" ? h26x::Codec::kH265 : h26x::Codec::kH264;
  fmp4::Fmp4Writer writer(codec);
  ASSERT_TRUE(writer.Learn(Bytes(clip.units[0]), uint32_t(clip.width), uint32_t(clip.height)));
  std::string file = writer.init_segment();
  std::vector<size_t> ends;
  for (const auto& u : clip.units) {
    file += writer.Fragment({Bytes(u), u.pts_ns / 1000, u.dts_ns / 1000, u.keyframe});
    ends.push_back(file.size());
  }
  auto read = fmp4::Fmp4File::Parse(file);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->codec(), codec);
  EXPECT_EQ(read->width(), uint32_t(clip.width));
  ASSERT_EQ(read->samples().size(), clip.units.size());
  EXPECT_EQ(read->whole_bytes(), file.size());
  for (size_t i = 0; i < clip.units.size(); ++i) {
    const auto& s = read->samples()[i];
    EXPECT_EQ(s.keyframe, clip.units[i].keyframe) << i;
    EXPECT_NEAR(double(s.dts_us), double((clip.units[i].dts_ns - clip.units[0].dts_ns) / 1000), 12) << i;
    const std::string unit = read->AccessUnit(file, i);
    EXPECT_EQ(Slices(codec, unit), Slices(codec, Bytes(clip.units[i]))) << i;
    if (s.keyframe) EXPECT_TRUE(h26x::FindParameterSets(codec, unit).complete(codec)) << i;
  }
  // Cut in the middle of fragment 50: fragments 0-49 read, nothing beyond.
  const size_t cut = ends[49] + (ends[50] - ends[49]) / 2;
  auto partial = fmp4::Fmp4File::Parse(std::string_view(file).substr(0, cut));
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(partial->samples().size(), 50u);
  EXPECT_EQ(partial->whole_bytes(), ends[49]);
  // No init segment: an error, not a crash.
  EXPECT_FALSE(fmp4::Fmp4File::Parse(file.substr(writer.init_segment().size())).ok());
  EXPECT_FALSE(fmp4::Fmp4File::Parse("").ok());
}

INSTANTIATE_TEST_SUITE_P(Codecs, Fmp4RoundTrip, ::testing::Values("h264", "h265"));

// Feeds `loops` loops of the clip to `recorder` as if it arrived from `t0_ms` on (stream
// time continuing across loops); returns the wall time just after the last unit.
int64_t Feed(RecordingStore::Recorder& recorder, const camsim::EncodedClip& clip, int64_t t0_ms, int loops = 1,
             size_t max_units = SIZE_MAX) {
  int64_t at = t0_ms;
  size_t fed = 0;
  for (int loop = 0; loop < loops; ++loop) {
    const int64_t base_ns = loop * clip.duration_ns;
    for (const auto& u : clip.units) {
      if (fed++ == max_units) return at;
      at = t0_ms + (base_ns + u.dts_ns) / 1'000'000;
      recorder.Feed(StoreUnit(u.bytes.data(), u.bytes.size(), (base_ns + u.pts_ns) / 1000, (base_ns + u.dts_ns) / 1000,
                              u.keyframe, at),
                    clip.codec, uint32_t(clip.width), uint32_t(clip.height));
    }
  }
  return at + 100;
}

RecordingStoreConfig Folder(const std::string& name) {
  RecordingStoreConfig c;
  c.dir = test::TempDir(name);
  fs::remove_all(c.dir);
  c.min_free_bytes = 0;
  return c;
}

RecordConfig EverySegmentS(int seconds) {
  RecordConfig r;
  r.segment_ms = seconds * 1000;
  return r;
}

const std::string kCamera = "33010201001320000001";

TEST(Recording, SegmentsFollowEachOtherAtKeyframesAndARangeReadsBackFromTheKeyframeBeforeIt) {
  const camsim::EncodedClip& clip = test::EncodedVtest("h264");
  const int64_t t0 = NowMs() - kHourMs;
  RecordingStoreConfig config = Folder("rec-segments");
  RecordingStore store(config);
  int64_t end;
  {
    auto recorder = store.Open(kCamera, kCamera + " (test)", EverySegmentS(10));
    ASSERT_NE(recorder, nullptr);
    end = Feed(*recorder, clip, t0);
    recorder->End("camera offline: test");
  }
  store.Flush();
  const std::vector<Segment> segments = store.Segments(kCamera, t0 - 1000, end + 1000);
  const double clip_s = double(clip.duration_ns) / 1e9;
  ASSERT_GE(segments.size(), size_t(clip_s / 10) - 1) << clip_s;
  for (size_t i = 0; i < segments.size(); ++i) {
    const Segment& s = segments[i];
    EXPECT_FALSE(s.open);
    EXPECT_EQ(s.codec, "h264");
    EXPECT_GT(s.bytes, 0);
    EXPECT_TRUE(fs::exists(config.dir + "/" + s.path)) << s.path;
    EXPECT_EQ(int64_t(fs::file_size(config.dir + "/" + s.path)), s.bytes);
    ASSERT_FALSE(s.keyframes_ms.empty());
    EXPECT_EQ(s.keyframes_ms.front(), s.start_ms);  // every segment starts with a keyframe
    if (i + 1 < segments.size()) {
      EXPECT_EQ(s.end_reason, "") << i;  // the next follows on
      EXPECT_NEAR(double(segments[i + 1].start_ms), double(s.end_ms), 1) << i;
      EXPECT_NEAR(double(s.end_ms - s.start_ms), 10000, test::kVtestGopS * 1000 + 100) << i;
    } else {
      EXPECT_EQ(s.end_reason, "camera offline: test");
    }
  }
  EXPECT_NEAR(double(segments.front().start_ms), double(t0), 1);
  EXPECT_NEAR(double(segments.back().end_ms), double(end), 200);

  // 15 s from t0 + 13.5 s: starts at the keyframe at 12 s.
  const int64_t from = t0 + 13500, to = from + 15000;
  auto mp4 = store.Mp4(kCamera, from, to, false);
  ASSERT_TRUE(mp4.ok()) << mp4.error().message;
  auto read = fmp4::Fmp4File::Parse(mp4->mp4);
  ASSERT_TRUE(read.ok());
  ASSERT_FALSE(read->samples().empty());
  EXPECT_TRUE(read->samples().front().keyframe);
  EXPECT_NEAR(double(mp4->start_ms), double(t0 + 12000), 1);
  const auto& last = read->samples().back();
  EXPECT_NEAR(double(last.dts_us + last.duration_us) / 1e6, 15 + 1.5, 0.15);
  // A file ffprobe reads, as long as that.
  const std::string out = config.dir + "/range.mp4";
  std::ofstream(out, std::ios::binary) << mp4->mp4;
  EXPECT_NEAR(test::ProbeFile(out).duration_s, 16.5, 0.3);
  // Keyframes only: one every 2 s.
  auto fast = store.Mp4(kCamera, from, to, true);
  ASSERT_TRUE(fast.ok());
  auto fast_read = fmp4::Fmp4File::Parse(fast->mp4);
  ASSERT_TRUE(fast_read.ok());
  EXPECT_EQ(fast_read->samples().size(), 9u);  // 12, 14, … 28 s
  for (const auto& s : fast_read->samples()) EXPECT_TRUE(s.keyframe);
  // Nothing recorded there; a range too long.
  EXPECT_EQ(store.Mp4(kCamera, t0 - 20 * 60000, t0 - 10 * 60000, false).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store.Mp4("33010201001320000002", from, to, false).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store.Mp4(kCamera, t0, t0 + kDayMs, false).error().code, ErrorCode::kInvalidArgument);
}

TEST(Recording, H265IsRecordedAsItCame) {
  const camsim::EncodedClip& clip = test::EncodedVtest("h265");
  const int64_t t0 = NowMs() - kHourMs;
  RecordingStore store(Folder("rec-h265"));
  {
    auto recorder = store.Open(kCamera, kCamera + " (test)", EverySegmentS(60));
    Feed(*recorder, clip, t0);
  }
  store.Flush();
  auto mp4 = store.Mp4(kCamera, t0 + 5000, t0 + 10000, false);
  ASSERT_TRUE(mp4.ok()) << mp4.error().message;
  auto read = fmp4::Fmp4File::Parse(mp4->mp4);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->codec(), h26x::Codec::kH265);
  EXPECT_EQ(read->samples().size(), 60u);  // from the keyframe at 4 s to 9.9 s, at 10 fps
}

TEST(Recording, ASegmentLeftOpenByACrashClosesAtItsLastWholeFragment) {
  const camsim::EncodedClip& clip = test::EncodedVtest("h264");
  const int64_t t0 = NowMs() - kHourMs;
  RecordingStoreConfig config = Folder("rec-crash");
  const std::string copy = test::TempDir("rec-crash-copy");
  fs::remove_all(copy);
  {
    RecordingStore store(config);
    auto recorder = store.Open(kCamera, kCamera + " (test)", EverySegmentS(600));
    Feed(*recorder, clip, t0, 1, 155);  // 15.5 s
    store.Flush();
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // the index's once-a-second update
    store.Flush();
    // What a kill -9 now would leave: the folder as it stands, the last fragment half written.
    fs::copy(config.dir, copy, fs::copy_options::recursive);
    const std::vector<Segment> open = store.Segments(kCamera, t0, t0 + kHourMs);
    ASSERT_EQ(open.size(), 1u);
    EXPECT_TRUE(open[0].open);
    const std::string file = copy + "/" + open[0].path;
    fs::resize_file(file, fs::file_size(file) - 100);
  }
  RecordingStoreConfig restarted = config;
  restarted.dir = copy;
  RecordingStore store(restarted);
  const std::vector<Segment> segments = store.Segments(kCamera, t0, t0 + kHourMs);
  ASSERT_EQ(segments.size(), 1u);
  EXPECT_FALSE(segments[0].open);
  EXPECT_EQ(segments[0].end_reason, "worker stopped unexpectedly");
  EXPECT_NEAR(double(segments[0].end_ms - t0), 15400, 150);  // the cut frame is gone, the rest is there
  EXPECT_EQ(int64_t(fs::file_size(copy + "/" + segments[0].path)), segments[0].bytes);
  auto mp4 = store.Mp4(kCamera, t0 + 10000, t0 + 20000, false);
  ASSERT_TRUE(mp4.ok());
  EXPECT_EQ(fmp4::Fmp4File::Parse(mp4->mp4)->samples().size(), 54u);  // 10.0 … 15.3 s
}

TEST(Recording, RetentionByAgeKeepsEventsLongerAndTheBudgetTakesTheOldestFirst) {
  const camsim::EncodedClip& clip = test::EncodedVtest("h264");
  const int64_t t0 = NowMs() - 10 * kDayMs;
  RecordingStoreConfig config = Folder("rec-retention");
  RecordingStore store(config);
  RecordConfig record = EverySegmentS(10);
  record.retain_ms = 2 * kDayMs;
  record.events_retain_ms = 11 * kDayMs;
  {
    auto recorder = store.Open(kCamera, kCamera + " (test)", record);
    recorder->Event(t0 + 25000, t0 + 27000);  // in the third segment
    Feed(*recorder, clip, t0, 3);
  }
  store.Flush();
  // Ten days on, everything but the event's segment is past its two days (retention runs in
  // the background too: delete until nothing is left to delete).
  while (store.EnforceRetention(NowMs()) > 0) {}
  std::vector<Segment> kept = store.Segments(kCamera, t0, NowMs());
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].start_ms, t0 + 20000);
  EXPECT_TRUE(fs::exists(config.dir + "/" + kept[0].path));
  EXPECT_EQ(std::distance(fs::recursive_directory_iterator(config.dir + "/" + kCamera), {}), 2);  // day + file
  EXPECT_EQ(store.health().segments, 1);

  // A budget: a recent recording of 3 loops, then a budget of half of it.
  RecordingStoreConfig small = Folder("rec-budget");
  const int64_t t1 = NowMs() - kHourMs;
  std::vector<Segment> recent;
  {
    RecordingStore unlimited(small);
    auto recorder = unlimited.Open(kCamera, kCamera + " (test)", EverySegmentS(10));
    Feed(*recorder, clip, t1, 3);
    recorder.reset();
    unlimited.Flush();
    recent = unlimited.Segments(kCamera, t1, NowMs());
  }
  int64_t total = 0;
  for (const Segment& s : recent) total += s.bytes;
  small.max_bytes = total / 2;
  RecordingStore budgeted(small);
  while (budgeted.EnforceRetention(NowMs()) > 0) {}
  const std::vector<Segment> left = budgeted.Segments(kCamera, t1, NowMs());
  ASSERT_FALSE(left.empty());
  ASSERT_LT(left.size(), recent.size());
  EXPECT_LE(budgeted.health().bytes, small.max_bytes);
  EXPECT_EQ(left.back().id, recent.back().id);  // the newest stay
  EXPECT_EQ(left.front().id, recent[recent.size() - left.size()].id);
}

TEST(Recording, AFolderThatCannotTakeFilesPausesRecordingWithTheReason) {
  const camsim::EncodedClip& clip = test::EncodedVtest("h264");
  // Under a plain file: no folder can be made there (even as root).
  const std::string base = test::TempDir("rec-unwritable");
  std::ofstream(base + "/plain-file") << "x";
  RecordingStoreConfig config;
  config.dir = base + "/plain-file/recordings";
  config.min_free_bytes = 0;
  RecordingStore store(config);
  {
    auto recorder = store.Open(kCamera, kCamera + " (test)", EverySegmentS(10));
    ASSERT_NE(recorder, nullptr);
    Feed(*recorder, clip, NowMs() - kHourMs, 1, 50);
  }
  store.Flush();
  EXPECT_NE(store.health().problem, "");
  EXPECT_EQ(store.health().segments, 0);

  // Free space under the floor: "disk full", nothing written, nothing crashes.
  RecordingStoreConfig full = Folder("rec-full");
  full.min_free_bytes = int64_t(1) << 60;
  RecordingStore paused(full);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  {
    auto recorder = paused.Open(kCamera, kCamera + " (test)", EverySegmentS(10));
    Feed(*recorder, clip, NowMs() - kHourMs, 1, 50);
  }
  paused.Flush();
  EXPECT_TRUE(paused.health().problem.starts_with("disk full")) << paused.health().problem;
  EXPECT_EQ(paused.health().segments, 0);
}

TEST(Recording, AModeOfOffRecordsNothingAndNoFolderMeansNoRecorder) {
  RecordingStore store(Folder("rec-off"));
  RecordConfig off;
  off.mode = RecordMode::kOff;
  EXPECT_EQ(store.Open(kCamera, "x", off), nullptr);
  RecordingStore none(RecordingStoreConfig{});
  EXPECT_FALSE(none.enabled());
  EXPECT_EQ(none.Open(kCamera, "x", RecordConfig{}), nullptr);
}

}  // namespace
}  // namespace xl::ingest
