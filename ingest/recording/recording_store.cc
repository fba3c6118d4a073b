#include "ingest/recording/recording_store.h"

#include <fcntl.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "common/clock.h"
#include "proto/media/fmp4_reader.h"

namespace xl::ingest {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kMaxQueuedBytes = int64_t(64) << 20;  // units waiting for the disk, all cameras
constexpr int64_t kEventsModeKeepMs = 15 * 60 * 1000;   // mode events: a segment waits this long for an event
constexpr int64_t kStreamJumpUs = 5 * 1000000;          // a larger jump in stream time is a gap
constexpr int kBatch = 20;                              // segments deleted per retention pass
constexpr int64_t kRetentionEveryMs = 10000;

// "<camera>/<YYYYMMDD>/<HHMMSS>-<start ms>.mp4", day and time in local time.
std::string RelativePath(const std::string& camera, int64_t start_ms) {
  const time_t t = time_t(start_ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char day[16], clock[16];
  std::strftime(day, sizeof day, "%Y%m%d", &tm);
  std::strftime(clock, sizeof clock, "%H%M%S", &tm);
  return camera + "/" + day + "/" + clock + "-" + std::to_string(start_ms) + ".mp4";
}

int64_t FreeBytes(const std::string& dir) {
  struct statvfs st {};
  if (statvfs(dir.c_str(), &st) != 0) return -1;
  return int64_t(st.f_bavail) * int64_t(st.f_frsize);
}

std::string Mb(int64_t bytes) { return std::to_string(bytes / 1000000) + " MB"; }

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(path + ": " + std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The stream time of a unit: its decode time, else its presentation time, else its arrival.
int64_t StreamUs(const StoredUnit& u) {
  if (u.dts_us >= 0) return u.dts_us;
  if (u.pts_us >= 0) return u.pts_us;
  return u.arrival_ms * 1000;
}

}  // namespace

RecordingStore::RecordingStore(RecordingStoreConfig config) : config_(std::move(config)) {
  if (!enabled()) return;
  std::error_code ec;
  fs::create_directories(config_.dir, ec);
  auto index = SegmentIndex::Open(config_.dir + "/index.db");
  if (index.ok()) {
    index_ = std::move(index.value());
    Recover();
  } else {
    problem_ = "recordings folder unusable: " + index.error().message;
    spdlog::error("recordings: recording stopped: {}", problem_);
  }
  free_bytes_ = FreeBytes(config_.dir);
  thread_ = std::thread([this] { Run(); });
}

RecordingStore::~RecordingStore() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

// ---- recorders (streaming threads) ----

std::unique_ptr<RecordingStore::Recorder> RecordingStore::Open(const std::string& camera_id, const std::string& label,
                                                               const RecordConfig& config) {
  if (!enabled() || config.mode == RecordMode::kOff) return nullptr;
  int key;
  {
    std::lock_guard lock(mu_);
    key = next_key_++;
  }
  Item item{ItemKind::kOpen, key, nullptr};
  item.text = camera_id;
  item.label = label;
  item.config = config;
  Queue(std::move(item));
  return std::unique_ptr<Recorder>(new Recorder(*this, key));
}

RecordingStore::Recorder::~Recorder() {
  if (!ended_) End("camera stopped");
}

void RecordingStore::Recorder::Feed(const StoredUnitPtr& unit, const std::string& codec, uint32_t width,
                                    uint32_t height) {
  if (ended_) return;
  Item item{ItemKind::kUnit, key_, unit, codec, width, height};
  store_.Queue(std::move(item));
}

void RecordingStore::Recorder::Event(int64_t start_ms, int64_t end_ms) {
  Item item{ItemKind::kEvent, key_};
  item.start_ms = start_ms;
  item.end_ms = end_ms;
  store_.Queue(std::move(item));
}

void RecordingStore::Recorder::End(const std::string& reason) {
  if (ended_) return;
  ended_ = true;
  Item item{ItemKind::kEnd, key_};
  item.text = reason;
  store_.Queue(std::move(item));
}

void RecordingStore::Queue(Item item) {
  {
    std::lock_guard lock(mu_);
    if (item.kind == ItemKind::kUnit) {
      if (queued_bytes_ > kMaxQueuedBytes) {
        ++drops_[item.key];  // the writer ends the segment there: a gap, not a corrupt file
        return;
      }
      queued_bytes_ += int64_t(item.unit->bytes.size());
    }
    item.drops = drops_[item.key];
    if (item.kind == ItemKind::kEnd) drops_.erase(item.key);
    queue_.push_back(std::move(item));
  }
  cv_.notify_one();
}

// ---- the writer thread ----

void RecordingStore::Run() {
  pthread_setname_np(pthread_self(), "xl-recording");  // as top and /proc show it
  for (;;) {
    std::deque<Item> items;
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(500), [this] { return stopping_ || !queue_.empty(); });
      if (stopping_ && queue_.empty()) break;
      items.swap(queue_);
      busy_ = true;
    }
    int64_t bytes = 0;
    {
      std::lock_guard write(write_mu_);
      const int64_t now = NowMs();
      for (Item& item : items) {
        if (item.kind == ItemKind::kUnit) bytes += int64_t(item.unit->bytes.size());
        Handle(item, now);
      }
      Tick(now);
    }
    {
      std::lock_guard lock(mu_);
      queued_bytes_ -= bytes;
      busy_ = false;
    }
    idle_cv_.notify_all();
  }
  std::lock_guard write(write_mu_);
  for (auto& [key, camera] : cameras_) CloseSegment(camera, "worker stopped");
  cameras_.clear();
}

void RecordingStore::Handle(Item& item, int64_t now_ms) {
  if (item.kind == ItemKind::kOpen) {
    Camera& c = cameras_[item.key];
    c.id = item.text;
    c.label = item.label;
    c.config = item.config;
    return;
  }
  auto it = cameras_.find(item.key);
  if (it == cameras_.end()) return;
  Camera& camera = it->second;
  switch (item.kind) {
    case ItemKind::kUnit:
      if (item.drops != camera.seen_drops) {
        camera.seen_drops = item.drops;
        CloseSegment(camera, "recording fell behind (disk too slow)");
        spdlog::warn("camera {}: recording fell behind the disk; units dropped until the next keyframe", camera.label);
      }
      Write(camera, item);
      break;
    case ItemKind::kEvent:
      if (index_) index_->AddEvent(camera.id, item.start_ms, item.end_ms);
      break;
    case ItemKind::kEnd:
      CloseSegment(camera, item.text);
      cameras_.erase(it);
      break;
    case ItemKind::kOpen:
      break;
  }
  (void)now_ms;
}

void RecordingStore::Write(Camera& camera, const Item& item) {
  if (!index_) return;
  {
    std::lock_guard lock(mu_);
    if (!problem_.empty()) return;
  }
  const StoredUnit& u = *item.unit;
  const int64_t stream_us = StreamUs(u);
  int64_t start_ms = u.arrival_ms;
  if (camera.file) {
    const int64_t last = camera.file->last_stream_us();
    if (item.text != camera.codec) {
      CloseSegment(camera, "");
    } else if (stream_us - last > kStreamJumpUs) {
      CloseSegment(camera, "no video for " + std::to_string((stream_us - last) / 1000000) + " s");
    } else if (stream_us < last) {  // the stream's clock started again: a new segment, no gap
      if (!u.keyframe) return;
      start_ms = camera.file->end_ms();
      CloseSegment(camera, "");
    } else if (u.keyframe && camera.file->WallMs(stream_us) - camera.file->start_ms() >= camera.config.segment_ms) {
      // The stream's own clock carries on, but a picture cannot have been taken after it
      // arrived: a segment whose first picture came late (a burst when the stream started)
      // runs late by as much, and the next one starts on time again.
      start_ms = std::min(camera.file->WallMs(stream_us), u.arrival_ms);
      CloseSegment(camera, "");
    }
  }
  if (!camera.file) {
    if (!u.keyframe) return;  // a segment starts with a keyframe
    const h26x::Codec codec = item.text == "h265" ? h26x::Codec::kH265 : h26x::Codec::kH264;
    const std::string relative = RelativePath(camera.id, start_ms);
    auto file =
        SegmentFile::Create(config_.dir + "/" + relative, codec, u.bytes, item.width, item.height, start_ms, stream_us);
    if (!file.ok()) {
      if (file.error().code == ErrorCode::kInvalidArgument) return;  // no parameter sets yet: the next keyframe
      SetProblem((file.error().code == ErrorCode::kResourceExhausted ? "disk full: " : "folder unwritable: ") +
                 file.error().message);
      return;
    }
    Segment s;
    s.camera = camera.id;
    s.start_ms = s.end_ms = start_ms;
    s.path = relative;
    s.codec = item.text;
    s.keep_ms = camera.config.mode == RecordMode::kEvents ? kEventsModeKeepMs : camera.config.retain_ms;
    s.event_keep_ms = camera.config.events_retain_ms;
    auto id = index_->Add(s);
    if (!id.ok()) {
      std::error_code ec;
      fs::remove(config_.dir + "/" + relative, ec);
      SetProblem((id.error().code == ErrorCode::kResourceExhausted ? "disk full: " : "recordings index: ") +
                 id.error().message);
      return;
    }
    camera.file = std::move(file.value());
    camera.segment_id = id.value();
    camera.codec = item.text;
    std::lock_guard lock(mu_);
    ++recording_;
    if (!camera.announced) {
      camera.announced = true;
      spdlog::info("camera {}: recording to {}", camera.label, config_.dir + "/" + camera.id);
    }
  }
  const int64_t before = camera.file->bytes();
  Status s = camera.file->Write(u.bytes, stream_us, u.pts_us, u.keyframe);
  {
    std::lock_guard lock(mu_);
    written_bytes_ += camera.file->bytes() - before;
  }
  if (!s.ok()) {
    SetProblem((s.code() == ErrorCode::kResourceExhausted ? "disk full: " : "folder unwritable: ") + s.message());
  }
}

void RecordingStore::CloseSegment(Camera& camera, const std::string& reason) {
  if (!camera.file) return;
  camera.file->Flush();
  SegmentIndex::Progress p{camera.segment_id, camera.file->start_ms(), camera.file->end_ms(), camera.file->bytes(),
                           camera.file->keyframes_ms()};
  if (Status s = index_->Close(p, reason); !s.ok()) {
    // The index's disk is full too: closed once it takes writes again (Tick), so the gap
    // keeps its reason.
    spdlog::warn("camera {}: recordings index: {}; closing the segment later", camera.label, s.message());
    unclosed_.push_back({p, reason});
  }
  camera.file.reset();
  std::lock_guard lock(mu_);
  --recording_;
}

void RecordingStore::Tick(int64_t now_ms) {
  if (now_ms - last_check_ms_ < 1000) return;
  last_check_ms_ = now_ms;
  std::vector<SegmentIndex::Progress> progress;
  for (auto& [key, camera] : cameras_) {
    if (!camera.file) continue;
    if (Status s = camera.file->Flush(); !s.ok()) {
      SetProblem((s.code() == ErrorCode::kResourceExhausted ? "disk full: " : "folder unwritable: ") + s.message());
      break;
    }
    progress.push_back({camera.segment_id, camera.file->start_ms(), camera.file->end_ms(), camera.file->bytes(),
                        camera.file->keyframes_ms()});
  }
  if (index_) index_->Update(progress);
  while (index_ && !unclosed_.empty() && index_->Close(unclosed_.front().first, unclosed_.front().second).ok()) {
    unclosed_.pop_front();
  }
  const int64_t free = FreeBytes(config_.dir);
  free_bytes_ = free;
  std::string problem;
  {
    std::lock_guard lock(mu_);
    problem = problem_;
  }
  if (problem.empty()) {
    if (free >= 0 && free < config_.min_free_bytes) {
      SetProblem("disk full: " + Mb(free) + " free on " + config_.dir + ", at least " + Mb(config_.min_free_bytes) +
                 " needed");
    }
  } else if (now_ms - last_probe_ms_ >= config_.pause_check_ms) {
    last_probe_ms_ = now_ms;
    // Paused: does the folder take files again? (Retention below may be what frees it.)
    if (!index_) {
      auto index = SegmentIndex::Open(config_.dir + "/index.db");
      if (index.ok()) index_ = std::move(index.value());
    }
    const std::string now_problem = index_ ? FolderProblem() : problem;
    if (now_problem.empty()) SetProblem("");
  }
  const bool over_budget = index_ && config_.max_bytes > 0 && index_->total_bytes() > config_.max_bytes;
  if (index_ && (over_budget || now_ms - last_retention_ms_ >= kRetentionEveryMs)) {
    last_retention_ms_ = now_ms;
    EnforceRetentionLocked(now_ms);
  }
}

std::string RecordingStore::FolderProblem() const {
  std::error_code ec;
  fs::create_directories(config_.dir, ec);
  if (ec) return "folder unwritable: " + config_.dir + ": " + ec.message();
  const std::string probe = config_.dir + "/.probe";
  const int fd = ::open(probe.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (fd < 0) return "folder unwritable: " + config_.dir + ": " + std::strerror(errno);
  ::close(fd);
  ::unlink(probe.c_str());
  const int64_t free = FreeBytes(config_.dir);
  // Resume with some room to spare, so recording does not flap at the floor.
  if (free >= 0 && free < config_.min_free_bytes + config_.min_free_bytes / 2) {
    return "disk full: " + Mb(free) + " free on " + config_.dir;
  }
  return "";
}

void RecordingStore::SetProblem(const std::string& problem) {
  {
    std::lock_guard lock(mu_);
    if (problem == problem_) return;
    problem_ = problem;
  }
  if (problem.empty()) {
    spdlog::info("recordings: recording resumed in {}", config_.dir);
    return;
  }
  spdlog::error("recordings: recording stopped: {}", problem);
  for (auto& [key, camera] : cameras_) {
    CloseSegment(camera, "recording stopped: " + problem);
  }
}

// ---- retention ----

int RecordingStore::EnforceRetention(int64_t now_ms) {
  std::lock_guard write(write_mu_);
  return EnforceRetentionLocked(now_ms);
}

int RecordingStore::EnforceRetentionLocked(int64_t now_ms) {
  if (!index_) return 0;
  int deleted = 0;
  for (const Segment& s : index_->Expired(now_ms, kBatch)) deleted += DeleteSegment(s);
  const int by_age = deleted;
  if (config_.max_bytes > 0) {
    int64_t total = index_->total_bytes();
    if (total > config_.max_bytes) {
      for (const Segment& s : index_->OldestForSpace(kBatch)) {
        if (total <= config_.max_bytes) break;
        if (DeleteSegment(s)) {
          ++deleted;
          total -= s.bytes;
        }
      }
    }
  }
  if (deleted) {
    spdlog::info("recordings: deleted {} segments ({} past their age, {} for the {} budget)", deleted, by_age,
                 deleted - by_age, Mb(config_.max_bytes));
  }
  return deleted;
}

bool RecordingStore::DeleteSegment(const Segment& s) {
  const fs::path path = fs::path(config_.dir) / s.path;
  std::error_code ec;
  fs::remove(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    spdlog::warn("recordings: cannot delete {}: {}", path.string(), ec.message());
    return false;
  }
  if (!index_->Remove(s.id).ok()) return false;
  fs::remove(path.parent_path(), ec);  // the day's folder, once empty (fails otherwise)
  std::lock_guard lock(mu_);
  ++deleted_;
  return true;
}

// ---- recovery after a crash ----

void RecordingStore::Recover() {
  for (const Segment& s : index_->OpenSegments()) {
    const std::string path = config_.dir + "/" + s.path;
    auto bytes = ReadFile(path);
    auto file = bytes.ok() ? fmp4::Fmp4File::Parse(bytes.value()) : Result<fmp4::Fmp4File>(bytes.error());
    if (!file.ok() || file->samples().empty()) {
      std::error_code ec;
      fs::remove(path, ec);
      index_->Remove(s.id);
      spdlog::warn("recordings: segment {} left open by the last run had no whole frame; removed", s.path);
      continue;
    }
    if (std::error_code ec; file->whole_bytes() < bytes->size()) fs::resize_file(path, file->whole_bytes(), ec);
    const auto& samples = file->samples();
    SegmentIndex::Progress p{s.id, s.start_ms, 0, int64_t(file->whole_bytes()), {}};
    const int64_t first = samples.front().dts_us;
    for (const fmp4::ReadSample& x : samples) {
      if (x.keyframe) p.keyframes_ms.push_back(s.start_ms + (x.dts_us - first) / 1000);
    }
    p.end_ms = s.start_ms + (samples.back().dts_us - first + samples.back().duration_us) / 1000;
    index_->Close(p, "worker stopped unexpectedly");
    spdlog::info("recordings: segment {} left open by the last run closed at its last whole frame ({} s)", s.path,
                 (p.end_ms - s.start_ms) / 1000);
  }
}

// ---- reads ----

std::vector<Segment> RecordingStore::Segments(const std::string& camera, int64_t from_ms, int64_t to_ms) const {
  if (!index_) return {};
  return index_->Overlapping(camera, from_ms, to_ms);
}

Result<RecordingStore::Range> RecordingStore::Mp4(const std::string& camera, int64_t from_ms, int64_t to_ms,
                                                  bool keyframes_only) const {
  if (to_ms <= from_ms) return InvalidArgument("the range ends before it starts");
  if (to_ms - from_ms > kMaxReadMs) {
    return InvalidArgument("at most " + std::to_string(kMaxReadMs / 60000) + " minutes per request");
  }
  struct Loaded {
    std::string bytes;
    fmp4::Fmp4File file;
    const Segment* segment;
  };
  struct At {
    size_t file, sample;
    int64_t wall_us;
  };
  const std::vector<Segment> segments = Segments(camera, from_ms - 60000, to_ms);  // (a GOP may start a minute early)
  // The index knows the keyframes: files that end before the one at or before from_ms are
  // not read (a seek reads one file, not the minute before it too).
  int64_t start_keyframe_ms = INT64_MIN;
  for (const Segment& s : segments) {
    for (int64_t k : s.keyframes_ms) {
      if (k <= from_ms) start_keyframe_ms = std::max(start_keyframe_ms, k);
    }
  }
  std::vector<Loaded> loaded;
  std::vector<At> at;  // every sample before to_ms, in order
  for (const Segment& s : segments) {
    if (!s.open && s.end_ms <= start_keyframe_ms) continue;
    auto bytes = ReadFile(config_.dir + "/" + s.path);
    if (!bytes.ok()) continue;
    auto file = fmp4::Fmp4File::Parse(bytes.value());
    if (!file.ok() || file->samples().empty()) continue;
    loaded.push_back({std::move(bytes.value()), std::move(file.value()), &s});
    const Loaded& l = loaded.back();
    const int64_t first = l.file.samples().front().dts_us;
    for (size_t i = 0; i < l.file.samples().size(); ++i) {
      const int64_t wall_us = s.start_ms * 1000 + (l.file.samples()[i].dts_us - first);
      if (wall_us >= to_ms * 1000) break;
      at.push_back({loaded.size() - 1, i, wall_us});
    }
  }
  // The start: the last keyframe at or before from_ms, else the first one after it.
  std::optional<size_t> start;
  for (size_t k = 0; k < at.size(); ++k) {
    const bool keyframe = loaded[at[k].file].file.samples()[at[k].sample].keyframe;
    if (!keyframe) continue;
    if (at[k].wall_us <= from_ms * 1000 || !start) start = k;
    if (at[k].wall_us > from_ms * 1000) break;
  }
  if (!start) return NotFound("nothing recorded of camera " + camera + " in that range");
  const std::string codec = loaded[at[*start].file].segment->codec;
  fmp4::Fmp4Writer writer(codec == "h265" ? h26x::Codec::kH265 : h26x::Codec::kH264);
  std::string out;
  for (size_t k = *start; k < at.size(); ++k) {
    const Loaded& l = loaded[at[k].file];
    if (l.segment->codec != codec) break;  // the camera changed codec: the file ends there
    const fmp4::ReadSample& x = l.file.samples()[at[k].sample];
    if (keyframes_only && !x.keyframe) continue;
    const std::string unit = l.file.AccessUnit(l.bytes, at[k].sample);
    if (!writer.ready()) {
      if (!writer.Learn(unit, l.file.width(), l.file.height())) continue;
      out = writer.init_segment();
    }
    // Its duration up to the next sample written (the next keyframe when only keyframes go):
    // known here, where a live stream would not know it.
    int64_t duration_us = x.duration_us;
    for (size_t n = k + 1; n < at.size(); ++n) {
      if (keyframes_only && !loaded[at[n].file].file.samples()[at[n].sample].keyframe) continue;
      duration_us = at[n].wall_us - at[k].wall_us;
      break;
    }
    out += writer.Fragment(
        fmp4::Sample{unit, at[k].wall_us + (x.pts_us - x.dts_us), at[k].wall_us, x.keyframe, duration_us});
  }
  if (!writer.ready()) return NotFound("nothing recorded of camera " + camera + " in that range");
  return Range{std::move(out), at[*start].wall_us / 1000};
}

// ---- state ----

RecordingStore::Health RecordingStore::health() const {
  Health h;
  h.enabled = enabled();
  if (!h.enabled) return h;
  {
    std::lock_guard lock(mu_);
    h.problem = problem_;
    h.recording = recording_;
    h.deleted = deleted_;
    h.written_bytes = written_bytes_;
  }
  if (index_) {
    h.bytes = index_->total_bytes();
    h.segments = index_->segments();
  }
  h.free_bytes = free_bytes_.load();
  return h;
}

void RecordingStore::Flush() {
  if (!thread_.joinable()) return;
  std::unique_lock lock(mu_);
  cv_.notify_one();
  idle_cv_.wait(lock, [this] { return queue_.empty() && !busy_; });
  lock.unlock();
  std::lock_guard write(write_mu_);
  for (auto& [key, camera] : cameras_) {
    if (camera.file) camera.file->Flush();
  }
}

}  // namespace xl::ingest
