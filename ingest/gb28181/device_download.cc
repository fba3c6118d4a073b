#include "ingest/gb28181/device_download.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/clock.h"
#include "ingest/gb28181/history_call.h"
#include "proto/gb28181/manscdp.h"

namespace xl::gb28181 {

Result<std::unique_ptr<DeviceDownload>> DeviceDownload::Start(std::string id, const camera::CameraConfig& camera,
                                                              const GbChannelAddress& channel, int64_t from_ms,
                                                              int64_t to_ms, int speed, SipServer& sip,
                                                              ingest::RecordingStore& store, int video_nice) {
  if (!store.enabled()) return Unavailable("this worker records nothing (no recordings folder)");
  const auto range = HistoryRange(from_ms, to_ms, NowMs(), kMaxRangeMs, "download");
  if (!range.ok()) return range.error();
  to_ms = range->second;
  if (speed < 1 || speed > kMaxSpeed) return InvalidArgument("speed is 1 to " + std::to_string(kMaxSpeed));
  std::unique_ptr<DeviceDownload> d(new DeviceDownload());
  d->id_ = std::move(id);
  d->camera_id_ = camera.id;
  d->label_ = camera.id + " (" + camera.name + ")";
  // t= is in seconds: the device starts at the second, and so does the stream's placing.
  d->from_ms_ = from_ms / 1000 * 1000;
  d->to_ms_ = to_ms;
  d->speed_ = speed;
  d->record_ = camera.record;
  // Downloading is asked for: kept as the camera's recordings are, even if it records nothing itself.
  if (d->record_.mode != camera::RecordMode::kContinuous) d->record_.mode = camera::RecordMode::kContinuous;
  d->sip_ = &sip;
  d->store_ = &store;
  for (const ingest::Segment& s : store.Segments(camera.id, d->from_ms_, d->to_ms_)) {
    d->ours_.emplace_back(s.start_ms, s.end_ms);
  }
  // Villages reach the town over thin links: only the part we lack is asked for, from the
  // first moment we have no recording of to the last (a second's slack each way).
  int64_t need_from = d->from_ms_, need_to = d->to_ms_;
  for (bool moved = true; moved;) {
    moved = false;
    for (const auto& [start, end] : d->ours_) {
      if (start <= need_from + 1000 && end > need_from) need_from = end, moved = true;
      if (end >= need_to - 1000 && start < need_to) need_to = start, moved = true;
    }
  }
  if (need_to - need_from < 1000) {
    d->state_ = kDone;
    d->detail_ = "the worker has all of it already";
    spdlog::info("camera {}: download of {} to {} not needed: {}", d->label_, GbTime(d->from_ms_), GbTime(d->to_ms_),
                 d->detail_);
    return d;
  }
  d->from_ms_ = need_from / 1000 * 1000;
  d->to_ms_ = need_to;
  DeviceDownload* self = d.get();
  auto call = OpenHistoryCall(
      camera, channel, sip, "Download", d->from_ms_, d->to_ms_, speed, d->counters_,
      [self](const ingest::EncodedUnit& unit) { self->OnUnit(unit); }, [self](const CallEvent& e) { self->OnCall(e); },
      video_nice);
  if (!call.ok()) return call.error();
  d->pipeline_ = std::move(call->pipeline);
  d->call_id_ = call->call_id;
  spdlog::info("camera {}: downloading {} to {} from its device at {}× ({})", d->label_, GbTime(d->from_ms_),
               GbTime(d->to_ms_), speed, d->id_);
  return d;
}

DeviceDownload::~DeviceDownload() {
  if (!ended()) End(kFailed, "stopped");
}

void DeviceDownload::OnCall(const CallEvent& e) {
  switch (e.kind) {
    case CallEvent::kAnswered:
      if (state_ == kWaiting) {
        state_ = kRunning;
        last_unit_ms_ = MonotonicMs();  // silence counts from the answer
      }
      break;
    case CallEvent::kFinished:
      if (state_ == kRunning) {
        state_ = kFinishing;
        finished_at_ms_ = MonotonicMs();
      }
      break;
    case CallEvent::kFailed:
      call_id_.clear();
      End(kFailed, e.detail);
      break;
    case CallEvent::kEnded:  // the device hung up: what it sent is what there is
      call_id_.clear();
      End(reached_ms_ > 0 ? kDone : kFailed, e.detail);
      break;
  }
}

bool DeviceDownload::Ours(int64_t wall_ms) const {
  for (const auto& [start, end] : ours_) {
    if (wall_ms >= start && wall_ms < end) return true;
  }
  return false;
}

void DeviceDownload::OnUnit(const ingest::EncodedUnit& unit) {
  const int64_t stream_us = unit.dts_us >= 0 ? unit.dts_us : unit.pts_us;
  if (stream_us < 0) return;
  std::lock_guard lock(mu_);
  if (closed_) return;
  if (first_stream_us_ < 0) first_stream_us_ = stream_us;
  const int64_t wall_ms = from_ms_ + (stream_us - first_stream_us_) / 1000;
  last_unit_ms_ = MonotonicMs();
  bytes_ += int64_t(unit.size);
  reached_ms_ = std::max<int64_t>(reached_ms_, wall_ms);
  if (wall_ms >= to_ms_) return;  // past the range: the device sends to the end of a second or a file
  if (Ours(wall_ms)) {
    ++skipped_;
    if (recorder_) recorder_->End("the worker's own recording follows");
    recorder_.reset();
    return;
  }
  if (!recorder_) recorder_ = store_->Open(camera_id_, label_ + " from its device", record_);
  if (!recorder_) return;
  ++written_;
  recorder_->Feed(ingest::StoreUnit(unit.data, unit.size, unit.pts_us, unit.dts_us, unit.keyframe, wall_ms), unit.codec,
                  counters_.width, counters_.height);
}

bool DeviceDownload::Tick(int64_t now_ms) {
  if (ended()) return false;
  if (auto failure = pipeline_->PollFailure()) {
    End(kFailed, *failure);
    return true;
  }
  if (state_ == kFinishing && now_ms - std::max(finished_at_ms_, last_unit_ms_.load()) >= kHistoryDrainMs) {
    End(kDone, "");
    return true;
  }
  if (state_ == kRunning && now_ms - last_unit_ms_ >= kSilenceMs) {
    End(kFailed, "the device sent no video for " + std::to_string(kSilenceMs / 1000) + " s");
    return true;
  }
  return false;
}

void DeviceDownload::End(State state, const std::string& detail) {
  if (!call_id_.empty()) sip_->Bye(call_id_);
  call_id_.clear();
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    if (recorder_) recorder_->End(state == kDone ? "downloaded from the device to here" : "download stopped");
    recorder_.reset();
  }
  pipeline_.reset();  // stops the streaming threads; no unit comes after this
  state_ = state;
  detail_ = detail;
  if (state == kDone) {
    spdlog::info("camera {}: download {} done: {} units written ({} the worker had), {} KiB, to {}", label_, id_,
                 written_.load(), skipped_.load(), bytes_.load() / 1024, GbTime(std::min(reached_ms_.load(), to_ms_)));
  } else {
    spdlog::warn("camera {}: download {} failed: {} ({} units written)", label_, id_, detail, written_.load());
  }
}

nlohmann::json DeviceDownload::Json() const {
  static const char* const kStates[] = {"waiting", "running", "running", "done", "failed"};
  return {{"id", id_},
          {"camera", camera_id_},
          {"from_ms", from_ms_},
          {"to_ms", to_ms_},
          {"speed", speed_},
          {"state", kStates[state_]},
          {"detail", detail_},
          {"reached_ms", std::min(reached_ms_.load(), to_ms_)},
          {"bytes", bytes_.load()},
          {"written", written_.load()},
          {"skipped", skipped_.load()}};
}

}  // namespace xl::gb28181
