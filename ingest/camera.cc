#include "ingest/camera.h"

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "proto/wire/wire.h"

namespace xl::ingest {

constexpr int64_t kFirstBackoffMs = 1000;
constexpr int64_t kMaxBackoffMs = 30000;

Camera::Camera(CameraConfig config, std::string worker_id, Publisher& publisher, MediaPublisher& media,
               ClipStore& clips, RecordingStore& recordings, Reaper& reaper, SourceContext source_context)
    : config_(std::move(config)),
      worker_id_(std::move(worker_id)),
      publisher_(publisher),
      media_(media),
      clips_(clips),
      recordings_(recordings),
      reaper_(reaper),
      source_context_(std::move(source_context)),
      live_(config_.always_on) {}

void Camera::SetLive(bool live) {
  live = live || config_.always_on;
  if (live == live_) return;
  live_ = live;
  spdlog::info("camera {} ({}): live video {}", config_.id, config_.name, live ? "on" : "off");
  if (attempt_.session) attempt_.session->SetLive(live);
  if (attempt_.pipeline) attempt_.pipeline->SetEncodedTap(attempt_.session->wants_encoded());
  if (source_watched_) source_watched_(live);
}

void Camera::Relabel(const std::string& name, const std::string& region) {
  if (name == config_.name && region == config_.region) return;
  spdlog::info("camera {} ({}): now named {} in region {}; running on", config_.id, config_.name, name, region);
  config_.name = name;
  config_.region = region;
  // The running attempt's alerts keep the old label; the router stamps its registry's.
  wire::Envelope env;
  *env.mutable_camera() = Describe();
  publisher_.Publish(std::move(env));
}

void Camera::Start(int64_t now_ms) { Launch(now_ms, wire::CAMERA_STATE_CONNECTING); }

void Camera::EndAttempt() {
  if (hang_up_) hang_up_();
  hang_up_ = nullptr;
  source_waiting_ = nullptr;
  source_watched_ = nullptr;
  reaper_.Retire(std::move(attempt_));
  attempt_ = {};
}

void Camera::RetryNow(int64_t now_ms) {
  if (state_ != wire::CAMERA_STATE_OFFLINE || !retry_at_ms_) return;
  retry_at_ms_ = now_ms;
  backoff_ms_ = kFirstBackoffMs;
}

void Camera::SourceLost(int64_t now_ms, const std::string& reason) {
  if (state_ == wire::CAMERA_STATE_OFFLINE) return;
  Fail(now_ms, reason);
}

void Camera::Stop(int64_t now_ms) {
  EndAttempt();
  SetState(now_ms, wire::CAMERA_STATE_OFFLINE, "stopped");
}

void Camera::Launch(int64_t now_ms, wire::CameraState state) {
  attempt_started_ms_ = now_ms;
  seen_frames_ = frames_base_ = 0;
  SetState(now_ms, state, state == wire::CAMERA_STATE_RECONNECTING ? "retry " + std::to_string(reconnects_) : "");
  attempt_.counters = counters_;
  auto detectors = analytics::LoadDetectors(config_.analytics);
  if (!detectors.ok()) return Fail(now_ms, detectors.error().message);
  attempt_.session = std::make_unique<Session>(config_, publisher_, media_, *counters_, clips_, recordings_,
                                               std::move(detectors.value()));
  attempt_.session->SetLive(live_);
  Session* session = attempt_.session.get();
  PipelineCounters* counters = counters_.get();
  OpenedSource source = OpenCameraSource(
      config_, source_context_,
      [session, counters](analytics::Frame& f) {
        counters->analysed.fetch_add(1);
        session->OnFrame(f);
      },
      [session](const EncodedUnit& unit) { session->OnEncoded(unit); }, *counters_, session->wants_encoded(), live_);
  attempt_.pipeline = std::move(source.pipeline);
  hang_up_ = std::move(source.hang_up);
  source_waiting_ = std::move(source.waiting);
  source_watched_ = std::move(source.set_watched);
  if (!source.status.ok()) return Fail(now_ms, source.status.message());
}

void Camera::Tick(int64_t now_ms) {
  if (state_ == wire::CAMERA_STATE_OFFLINE) {
    if (retry_at_ms_ && now_ms >= retry_at_ms_) {
      ++reconnects_;
      Launch(now_ms, wire::CAMERA_STATE_RECONNECTING);
    }
    return;
  }
  if (!attempt_.pipeline) return;
  auto waiting = source_waiting_ ? source_waiting_() : std::nullopt;
  if (auto failure = attempt_.pipeline->PollFailure()) {
    if (!waiting) return Fail(now_ms, *failure);
    // Its call went to another camera and the receiver ended with it (over TCP the device
    // closes the connection): not a fault; wait again with a fresh receiver.
    spdlog::info("camera {} ({}): receiver ended while waiting for the device ({}); waiting anew", config_.id,
                 config_.name, *failure);
    EndAttempt();
    return Launch(now_ms, wire::CAMERA_STATE_CONNECTING);
  }
  if (waiting) {
    // Not a fault: no signal loss, no watchdog while the source serves others.
    attempt_started_ms_ = progress_ms_ = now_ms;
    frames_base_ = seen_frames_ = attempt_.session->frames();
    SetState(now_ms, wire::CAMERA_STATE_CONNECTING, *waiting);
    return;
  }
  if (state_ == wire::CAMERA_STATE_CONNECTING && reason_.rfind("waiting for", 0) == 0) {
    SetState(now_ms, wire::CAMERA_STATE_CONNECTING, "its turn came");
  }

  const uint64_t frames = attempt_.session->frames();
  if (frames != seen_frames_) {
    seen_frames_ = frames;
    progress_ms_ = now_ms;
    last_frame_ms_ = attempt_.session->last_frame_ms();
  }
  if (state_ != wire::CAMERA_STATE_ONLINE && frames > frames_base_) {
    backoff_ms_ = kFirstBackoffMs;
    SetState(now_ms, wire::CAMERA_STATE_ONLINE, "");
  }
  if (now_ms - std::max(attempt_started_ms_, progress_ms_) > int64_t(config_.watchdog_s) * 1000) {
    Fail(now_ms, "no video for " + std::to_string(config_.watchdog_s) + " s");
  }
}

void Camera::Fail(int64_t now_ms, const std::string& reason) {
  attempt_.end_reason = "camera offline: " + reason;
  EndAttempt();
  retry_at_ms_ = now_ms + backoff_ms_;
  SetState(now_ms, wire::CAMERA_STATE_OFFLINE, reason + "; retry in " + std::to_string(backoff_ms_ / 1000) + " s");
  backoff_ms_ = std::min(backoff_ms_ * 2, kMaxBackoffMs);
}

void Camera::SignalLoss(bool lost, const std::string& reason) {
  if (lost == (signal_lost_ms_ != 0)) return;
  const int64_t now = NowMs();
  if (lost) signal_lost_ms_ = now;
  wire::Envelope env;
  wire::Alert* a = env.mutable_alert();
  *a = analytics::NewAlert({config_.id, config_.name, config_.region}, wire::ALERT_KIND_SIGNAL_LOSS,
                           lost ? wire::ALERT_PHASE_START : wire::ALERT_PHASE_END, signal_lost_ms_, now);
  if (!lost) {
    a->set_end_ms(now);
    signal_lost_ms_ = 0;
  }
  spdlog::info("camera {} ({}): signal loss {}{}{}", config_.id, config_.name, lost ? "raised" : "ended",
               reason.empty() ? "" : ": ", reason);
  publisher_.Publish(std::move(env));
}

void Camera::SetState(int64_t now_ms, wire::CameraState state, const std::string& reason) {
  if (state == wire::CAMERA_STATE_ONLINE) SignalLoss(false, "");
  if (state == wire::CAMERA_STATE_OFFLINE && reason != "stopped") SignalLoss(true, reason);
  if (state == state_ && reason == reason_) return;
  const wire::CameraState old = state_;
  state_ = state;
  reason_ = reason;
  since_ms_ = NowMs();
  if (state == old && state == wire::CAMERA_STATE_OFFLINE) {
    spdlog::info("camera {} ({}): still offline: {}", config_.id, config_.name, reason);
  } else if (state != old) {
    spdlog::info("camera {} ({}): {} -> {}{}{}", config_.id, config_.name, StateName(old), StateName(state),
                 reason.empty() ? "" : ": ", reason);
  } else if (!reason.empty()) {
    spdlog::info("camera {} ({}): still {}: {}", config_.id, config_.name, StateName(state), reason);
  }
  wire::Envelope env;
  *env.mutable_camera() = Describe();
  publisher_.Publish(std::move(env));
}

void Camera::MeasureRates(int64_t now_ms) {
  const RateBase now{now_ms, counters_->bytes.load(), counters_->decoded.load(), counters_->analysed.load()};
  if (rate_base_.at_ms && now_ms > rate_base_.at_ms) {
    const float secs = float(now_ms - rate_base_.at_ms) / 1000.f;
    fps_in_ = float(now.decoded - rate_base_.decoded) / secs;
    fps_out_ = float(now.analysed - rate_base_.analysed) / secs;
    kbps_ = float(now.bytes - rate_base_.bytes) * 8.f / 1000.f / secs;
  }
  rate_base_ = now;
}

wire::Camera Camera::Describe() const {
  wire::Camera c;
  c.set_id(config_.id);
  c.set_name(config_.name);
  c.set_region(config_.region);
  c.set_state(state_);
  c.set_reason(reason_);
  c.set_since_ms(since_ms_);
  c.set_worker(worker_id_);
  c.set_reconnects(reconnects_);
  c.set_last_frame_ms(last_frame_ms_);
  const bool flowing = state_ == wire::CAMERA_STATE_ONLINE;
  c.set_fps_in(flowing ? fps_in_ : 0);
  c.set_fps_out(flowing ? fps_out_ : 0);
  c.set_kbps(flowing ? kbps_ : 0);
  c.set_decode_errors(uint32_t(counters_->warnings.load()));
  if (signal_lost_ms_) c.add_faults(wire::ALERT_KIND_SIGNAL_LOSS);
  if (attempt_.session && state_ == wire::CAMERA_STATE_ONLINE) {
    for (wire::AlertKind k : attempt_.session->open_faults()) c.add_faults(k);
    c.set_motion_suppressed(attempt_.session->motion_suppressed());
  }
  c.set_codec(counters_->codec_name());
  c.set_width(counters_->width);
  c.set_height(counters_->height);
  return c;
}

}  // namespace xl::ingest
