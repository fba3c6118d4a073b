#include "ingest/gb28181/device_playback.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "common/clock.h"
#include "ingest/gb28181/history_call.h"
#include "proto/gb28181/manscdp.h"
#include "proto/media/fmp4_writer.h"

namespace xl::gb28181 {
namespace {

constexpr int64_t kJumpUs = 1000000;     // a larger jump in stream time: the device moved
constexpr int64_t kSeekSettleMs = 3000;  // no jump seen by then: the next keyframe is the new place

}  // namespace

Result<std::unique_ptr<DevicePlayback>> DevicePlayback::Start(std::string id, const camera::CameraConfig& camera,
                                                              const GbChannelAddress& channel, int64_t from_ms,
                                                              int64_t to_ms, SipServer& sip, int video_nice) {
  const auto range = HistoryRange(from_ms, to_ms, NowMs(), kMaxRangeMs, "playback");
  if (!range.ok()) return range.error();
  to_ms = range->second;
  std::unique_ptr<DevicePlayback> p(new DevicePlayback());
  p->id_ = std::move(id);
  p->camera_id_ = camera.id;
  p->label_ = camera.id + " (" + camera.name + ")";
  p->from_ms_ = from_ms / 1000 * 1000;  // t= is in seconds
  p->to_ms_ = to_ms;
  p->anchor_ms_ = p->from_ms_;
  p->sip_ = &sip;
  p->last_read_ms_ = MonotonicMs();
  DevicePlayback* self = p.get();
  auto call = OpenHistoryCall(
      camera, channel, sip, "Playback", p->from_ms_, p->to_ms_, 1, p->counters_,
      [self](const ingest::EncodedUnit& unit) { self->OnUnit(unit); }, [self](const CallEvent& e) { self->OnCall(e); },
      video_nice);
  if (!call.ok()) return call.error();
  p->pipeline_ = std::move(call->pipeline);
  p->call_id_ = call->call_id;
  spdlog::info("camera {}: playing back its device's recording from {} ({})", p->label_, GbTime(p->from_ms_), p->id_);
  return p;
}

DevicePlayback::~DevicePlayback() {
  if (!ended()) End(kEnded, "stopped");
}

void DevicePlayback::OnCall(const CallEvent& e) {
  switch (e.kind) {
    case CallEvent::kAnswered:
      if (state_ == kWaiting) state_ = kPlaying;
      break;
    case CallEvent::kFinished:
      if (!ended()) {
        state_ = kFinishing;
        finished_at_ms_ = MonotonicMs();
      }
      break;
    case CallEvent::kFailed:
      call_id_.clear();
      End(kFailed, e.detail);
      break;
    case CallEvent::kEnded:
      call_id_.clear();
      End(kEnded, e.detail);
      break;
  }
}

void DevicePlayback::OnUnit(const ingest::EncodedUnit& unit) {
  const int64_t stream_us = unit.dts_us >= 0 ? unit.dts_us : unit.pts_us;
  if (stream_us < 0) return;
  std::lock_guard lock(mu_);
  last_unit_ms_ = MonotonicMs();
  if (codec_.empty()) codec_ = unit.codec;
  if (seek_pending_) {
    // Units of the old place may still come: the new one begins with a keyframe whose time
    // jumps (a device that keeps the recording's clock), or the first keyframe after a while
    // (one that starts its clock again at the same rate).
    const bool jumped = last_stream_us_ >= 0 && std::llabs(stream_us - (last_stream_us_ + frame_us_)) > kJumpUs;
    last_stream_us_ = stream_us;
    if (!unit.keyframe || (!jumped && last_unit_ms_ - seek_asked_ms_ < kSeekSettleMs)) return;
    seek_pending_ = false;
    anchor_ms_ = seek_ms_;
    anchor_stream_us_ = stream_us;
    generation_ = seek_generation_;
    units_.clear();
  }
  if (anchor_stream_us_ < 0) anchor_stream_us_ = stream_us;
  if (last_stream_us_ >= 0 && stream_us > last_stream_us_ && stream_us - last_stream_us_ < kJumpUs) {
    frame_us_ = stream_us - last_stream_us_;
  }
  const bool jump = last_stream_us_ >= 0 && std::llabs(stream_us - last_stream_us_) > kJumpUs;
  last_stream_us_ = stream_us;
  const int64_t wall_ms = anchor_ms_ + (stream_us - anchor_stream_us_) / 1000;
  if (!units_.empty() && (jump || (unit.keyframe && wall_ms - units_.front().wall_ms >= kChunkMs))) {
    CloseChunk(jump ? units_.back().wall_ms + frame_us_ / 1000 : wall_ms,
               jump ? units_.back().dts_us + frame_us_ : stream_us);
  }
  if (units_.empty() && !unit.keyframe) return;  // a chunk starts at a keyframe
  width_ = counters_.width;
  height_ = counters_.height;
  units_.push_back({std::string(reinterpret_cast<const char*>(unit.data), unit.size),
                    unit.pts_us >= 0 ? unit.pts_us : stream_us, stream_us, wall_ms, unit.keyframe});
}

void DevicePlayback::CloseChunk(int64_t next_wall_ms, int64_t next_dts_us) {
  std::vector<Unit> units = std::move(units_);
  units_.clear();
  fmp4::Fmp4Writer writer(codec_ == "h265" ? h26x::Codec::kH265 : h26x::Codec::kH264);
  if (!writer.Learn(units.front().bytes, width_, height_)) return;  // no parameter sets: dropped
  Chunk c;
  c.seq = ++seq_;
  c.generation = generation_;
  c.start_ms = units.front().wall_ms;
  c.end_ms = next_wall_ms;
  c.mp4 = writer.init_segment();
  const int64_t base = units.front().dts_us;  // the chunk's time 0
  for (size_t i = 0; i < units.size(); ++i) {
    const Unit& u = units[i];
    const int64_t next = i + 1 < units.size() ? units[i + 1].dts_us : next_dts_us;
    fmp4::Sample s{u.bytes, u.pts_us - base, u.dts_us - base, u.keyframe, std::max<int64_t>(1000, next - u.dts_us)};
    c.mp4 += writer.Fragment(s);
  }
  chunks_.push_back(std::move(c));
  while (chunks_.size() > kKeptChunks) chunks_.pop_front();
}

std::optional<DevicePlayback::Chunk> DevicePlayback::Next(uint64_t after_seq) {
  std::lock_guard lock(mu_);
  last_read_ms_ = MonotonicMs();
  for (const Chunk& c : chunks_) {
    if (c.seq > after_seq && c.generation == generation_ && !seek_pending_) return c;
  }
  return std::nullopt;
}

Status DevicePlayback::Control(const MansRtsp& control) {
  if (ended() || call_id_.empty()) return Unavailable("the playback has ended");
  if (state_ == kWaiting) return Unavailable("the device has not answered yet");
  return sip_->Info(call_id_, control);
}

Result<uint64_t> DevicePlayback::Seek(int64_t wall_ms) {
  wall_ms = std::clamp(wall_ms, from_ms_, to_ms_);
  if (Status s = Control({"PLAY", 0, 0, double(wall_ms - from_ms_) / 1000}); !s.ok()) return s.error();
  std::lock_guard lock(mu_);
  seek_pending_ = true;
  seek_ms_ = wall_ms;
  seek_asked_ms_ = MonotonicMs();
  seek_generation_ = std::max(generation_, seek_generation_) + 1;
  if (state_ == kPaused || state_ == kFinishing) state_ = kPlaying;
  return seek_generation_;
}

Status DevicePlayback::Scale(double scale) {
  if (Status s = Control({"PLAY", 0, scale, -1}); !s.ok()) return s;
  scale_ = scale;
  if (state_ == kPaused) state_ = kPlaying;
  return Status::Ok();
}

Status DevicePlayback::Pause() {
  if (Status s = Control({"PAUSE", 0, 0, -1}); !s.ok()) return s;
  if (state_ == kPlaying) state_ = kPaused;
  return Status::Ok();
}

Status DevicePlayback::Resume() {
  if (Status s = Control({"PLAY", 0, 0, -1}); !s.ok()) return s;
  if (state_ == kPaused) state_ = kPlaying;
  return Status::Ok();
}

bool DevicePlayback::Tick() {
  if (ended()) return false;
  if (auto failure = pipeline_->PollFailure()) {
    End(kFailed, *failure);
    return true;
  }
  const int64_t now = MonotonicMs();
  int64_t read_ms, unit_ms;
  {
    std::lock_guard lock(mu_);
    read_ms = last_read_ms_;
    unit_ms = last_unit_ms_;
  }
  if (now - read_ms >= kIdleMs) {
    End(kEnded, "nobody read it for " + std::to_string(kIdleMs / 1000) + " s");
    return true;
  }
  if (state_ == kFinishing && now - std::max(finished_at_ms_, unit_ms) >= kHistoryDrainMs) {
    End(kEnded, "the device sent the whole recording");
    return true;
  }
  return false;
}

void DevicePlayback::End(State state, const std::string& detail) {
  if (!call_id_.empty()) sip_->Bye(call_id_);
  call_id_.clear();
  pipeline_.reset();  // no unit comes after this
  {
    std::lock_guard lock(mu_);
    if (!units_.empty() && !seek_pending_) {
      CloseChunk(units_.back().wall_ms + frame_us_ / 1000, units_.back().dts_us + frame_us_);
    }
  }
  state_ = state;
  detail_ = detail;
  spdlog::info("camera {}: playback {} of its device's recording {}: {}", label_, id_,
               state == kFailed ? "failed" : "ended", detail);
}

const char* DevicePlayback::state_name() const {
  static const char* const kStates[] = {"waiting", "playing", "paused", "playing", "ended", "failed"};
  return kStates[state_];
}

nlohmann::json DevicePlayback::Json() const {
  std::lock_guard lock(mu_);
  return {{"id", id_},
          {"camera", camera_id_},
          {"from_ms", from_ms_},
          {"to_ms", to_ms_},
          {"state", state_name()},
          {"detail", detail_},
          {"generation", seek_pending_ ? seek_generation_ : generation_},
          {"scale", scale_},
          {"chunks", seq_}};
}

}  // namespace xl::gb28181
