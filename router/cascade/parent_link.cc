#include "router/cascade/parent_link.h"

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "proto/wire/wire.h"

namespace xl::router {

namespace {
constexpr int64_t kRefusalLogMs = 60 * 1000;
}  // namespace

const char* ParentLink::StateName(State s) {
  return s == State::kUp ? "up" : s == State::kDown ? "down" : "connecting";
}

ParentLink::ParentLink(zmq::context_t& ctx, const ParentLinkConfig& config, AlertLog& log, AlertDesk& desk)
    : config_(config),
      log_(log),
      desk_(desk),
      socket_(ctx, zmq::socket_type::dealer),
      steps_(desk, "parent", ""),
      steps_mark_(desk.MarkOf("parent")) {}

Status ParentLink::ConnectSocket(zmq::socket_t& s, const CurveClientKeys& keys, int sndhwm) {
  MakeCurveClient(s, keys);
  s.set(zmq::sockopt::linger, 0);
  // Nothing queued for a connection that is not there: what could not go is sent from the
  // mark once the parent answers again (video: from the next keyframe).
  s.set(zmq::sockopt::immediate, 1);
  s.set(zmq::sockopt::sndhwm, sndhwm);
  s.set(zmq::sockopt::maxmsgsize, int64_t(1) << 20);  // acknowledgements and refusals are small
  // A link cut without a FIN (a village's uplink down) is noticed and the connection made again.
  s.set(zmq::sockopt::heartbeat_ivl, 2000);
  s.set(zmq::sockopt::heartbeat_timeout, 6000);
  s.set(zmq::sockopt::reconnect_ivl_max, 5000);
  try {
    s.connect(config_.endpoint);
  } catch (const zmq::error_t& e) {
    return Error{"--parent " + config_.endpoint + ": " + e.what()};
  }
  return Status::Ok();
}

Result<std::unique_ptr<ParentLink>> ParentLink::Connect(zmq::context_t& ctx, const ParentLinkConfig& config,
                                                        const CurveKeyPair& own, AlertLog& log, AlertDesk& desk,
                                                        LiveRelay& relay) {
  auto parent_key = ResolvePublicKey(config.parent_key);
  if (!parent_key.ok()) return Error{"--parent-key: " + parent_key.error().message};
  std::unique_ptr<ParentLink> link(new ParentLink(ctx, config, log, desk));
  const CurveClientKeys keys{own, *parent_key};
  if (Status s = link->ConnectSocket(link->socket_, keys, int(config.window) + 16); !s.ok()) return s.error();
  zmq::socket_t video(ctx, zmq::socket_type::dealer);
  if (Status s = link->ConnectSocket(video, keys, config.video_queue); !s.ok()) return s.error();
  link->video_ = std::make_unique<VideoUp>(relay, std::move(video));
  spdlog::info("cascade: parent at {} (key {}), alert log {:x}, head #{}", config.endpoint, *parent_key, log.stream(),
               log.head());
  return link;
}

void ParentLink::SetState(State state, int64_t now_ms, const std::string& why) {
  if (state == state_) return;
  state_ = state;
  since_ms_ = now_ms;
  if (state == State::kUp) {
    spdlog::info("cascade: link to parent {} up: it has this log up to #{} ({} alerts to send)", config_.endpoint,
                 acked_, log_.head() > acked_ ? log_.head() - acked_ : 0);
  } else {
    spdlog::warn("cascade: link to parent {} {}: {}", config_.endpoint, StateName(state), why);
  }
}

void ParentLink::OnReadable(int64_t now_ms) {
  for (int i = 0; i < 1024; ++i) {
    zmq::message_t frame;
    if (!socket_.recv(frame, zmq::recv_flags::dontwait)) return;
    wire::LinkDown down;
    if (!FromFrame(frame, &down)) {
      spdlog::warn("cascade: a malformed message from the parent ({} bytes)", frame.size());
      continue;
    }
    heard_ms_ = now_ms;
    if (down.has_ack()) OnAck(down.ack().stream(), down.ack().seq(), now_ms);
    if (down.has_steps_ack()) steps_.OnMark(down.steps_ack().stream(), down.steps_ack().seq(), log_.stream());
    if (down.has_steps()) OnSteps(down.steps(), now_ms);
    if (down.has_ptz()) OnPtz(down.ptz());
    if (down.has_clip_request()) OnClipRequest(down.clip_request());
    if (down.has_watch()) {
      watch_heard_ms_ = now_ms;
      const auto& ids = down.watch().camera_ids();
      video_->SetWatched(std::set<std::string>(ids.begin(), ids.end()), now_ms);
    }
    // The parent lost our catalog (it restarted): again, but not more than every few seconds.
    if (down.send_catalog() && (catalog_complete_ms_ < 0 || now_ms - catalog_complete_ms_ >= 5000)) {
      catalog_wanted_ = true;
    }
    if (down.has_refused()) {
      ++counts_.refused;
      if (refusal_logged_ms_ < 0 || now_ms - refusal_logged_ms_ >= kRefusalLogMs) {
        refusal_logged_ms_ = now_ms;
        spdlog::warn("cascade: the parent refused: {} ({} refused so far)", down.refused(), counts_.refused);
      }
    }
  }
}

void ParentLink::OnPtz(const wire::PtzCommand& command) {
  const std::string& camera = command.camera_id();
  Status sent = !catalog_sent_.count(camera) ? Error{"not a camera this router sent up"}
                : ptz_                       ? ptz_(command)
                                             : Error{"no PTZ here"};
  if (!sent.ok()) {
    spdlog::warn("cascade: PTZ {} from the parent for camera {} not passed on: {}", command.action(), camera,
                 sent.message());
    return;
  }
  spdlog::info("cascade: PTZ {} from the parent for camera {} passed on", command.action(), camera);
}

void ParentLink::OnSteps(const wire::HandlingSteps& run, int64_t now_ms) {
  // The parent's steps are on alerts this router sent up: kept as they come.
  auto taken = TakeSteps(desk_, "parent", steps_mark_, run, [](LoggedStep&, std::string*) { return true; });
  if (!taken.ok()) {
    spdlog::error("cascade: cannot keep the parent's handling steps: {}", taken.error().message);
    return;  // not acknowledged: they come again
  }
  if (taken->refused && (refusal_logged_ms_ < 0 || now_ms - refusal_logged_ms_ >= kRefusalLogMs)) {
    refusal_logged_ms_ = now_ms;
    spdlog::warn("cascade: {} handling steps from the parent not kept: {}", taken->refused, taken->why);
  }
  steps_mark_ = taken->mark;
  for (LoggedStep& s : taken->fresh) arrived_.push_back(std::move(s));
  wire::LinkUp up;
  *up.mutable_steps_ack() = AckOf(steps_mark_);
  Send(up);
}

void ParentLink::OnAck(uint64_t stream, uint64_t seq, int64_t now_ms) {
  // A mark of another log (this database is new to the parent): it has nothing of this one.
  if (stream != log_.stream()) seq = 0;
  if (!mark_known_) {
    // The parent's answer after (re)connecting: go on from its mark.
    mark_known_ = true;
    catalog_wanted_ = true;
    acked_ = seq;
    last_sent_ = seq;
    in_flight_.clear();
    progress_ms_ = now_ms;
    SetState(State::kUp, now_ms, "");
    return;
  }
  SetState(State::kUp, now_ms, "");
  if (seq <= acked_) return;
  acked_ = seq;
  progress_ms_ = now_ms;
  while (!in_flight_.empty() && in_flight_.front() <= seq) in_flight_.pop_front();
  if (last_sent_ < seq) last_sent_ = seq;  // another connection of ours sent it (before a restart)
}

void ParentLink::OnClipRequest(const wire::ClipRequest& request) {
  const uint64_t id = request.id();
  const std::string event = request.event_id();
  if (!clip_) {
    for (wire::LinkUp& part : ClipParts(id, {404, "this router serves no clips", ""}))
      clip_out_.push_back(std::move(part));
    return;
  }
  spdlog::info("cascade: the parent asks for the clip of {}", event);
  std::weak_ptr<int> alive = alive_;
  clip_(event, [this, alive, id, event](ClipResult clip) {
    if (alive.expired()) return;  // this link is gone
    if (clip.status == 200) {
      spdlog::info("cascade: clip of {} going up ({} bytes)", event, clip.body.size());
    } else {
      spdlog::warn("cascade: clip of {} for the parent: {} {}", event, clip.status, clip.reason);
    }
    for (wire::LinkUp& part : ClipParts(id, clip)) clip_out_.push_back(std::move(part));
  });
}

void ParentLink::Pump(int64_t now_ms) {
  if (since_ms_ == 0) since_ms_ = heard_ms_ = now_ms;
  // Clip parts go up on the video connection as it takes them (never ahead of alerts).
  while (!clip_out_.empty() && video_ && video_->SendUp(clip_out_.front())) clip_out_.pop_front();
  if (now_ms - heard_ms_ >= config_.down_after_ms && state_ != State::kDown) {
    SetState(State::kDown, now_ms,
             "no answer for " + std::to_string(config_.down_after_ms / 1000) + " s (alerts are kept here meanwhile)");
    mark_known_ = false;  // whatever was on its way is sent again from the mark the parent tells
    steps_.Reset();
  }
  // Nobody above watches through a link that is down, or a parent that stopped saying so.
  if (!video_->watched().empty() &&
      (state_ != State::kUp || watch_heard_ms_ < 0 || now_ms - watch_heard_ms_ >= config_.watch_lapse_ms)) {
    video_->SetWatched({}, now_ms);
  }
  if (hello_ms_ < 0 || now_ms - hello_ms_ >= config_.hello_every_ms) {
    wire::LinkUp up;
    up.mutable_hello()->set_log_stream(log_.stream());
    up.mutable_hello()->set_log_head(log_.head());
    *up.mutable_hello()->mutable_steps_mark() = AckOf(steps_mark_);
    if (loads_) {
      for (wire::LinkLoad& load : loads_()) *up.mutable_hello()->add_links() = std::move(load);
    }
    if (Send(up)) hello_ms_ = now_ms;
  }
  if (!mark_known_) return;
  if (!in_flight_.empty() && now_ms - progress_ms_ >= config_.resend_after_ms) {
    // Sent, never acknowledged (lost with a connection): again from the mark.
    ++counts_.resends;
    last_sent_ = acked_;
    in_flight_.clear();
  }
  SendDue(now_ms);
  if (auto run = steps_.Due(log_.stream(), now_ms)) {
    wire::LinkUp up;
    *up.mutable_steps() = std::move(*run);
    Send(up);  // not connected: again after the resend time
  }
  if (catalog_ && (catalog_wanted_ || now_ms - catalog_complete_ms_ >= config_.catalog_every_ms)) {
    SendCatalog(now_ms, true);
  } else if (catalog_ && now_ms - catalog_diff_ms_ >= config_.catalog_diff_ms) {
    SendCatalog(now_ms, false);
  }
}

void ParentLink::SendCatalog(int64_t now_ms, bool complete) {
  catalog_diff_ms_ = now_ms;
  std::map<std::string, std::string> now;
  wire::LinkUp up;
  wire::Catalog* out = up.mutable_catalog();
  out->set_complete(complete);
  for (wire::Camera& c : catalog_()) {
    std::string id = c.id(), entry = c.SerializeAsString();
    auto sent = catalog_sent_.find(id);
    if (complete || sent == catalog_sent_.end() || sent->second != entry) *out->add_cameras() = std::move(c);
    now[std::move(id)] = std::move(entry);
  }
  if (!complete) {
    for (const auto& [id, entry] : catalog_sent_) {
      if (!now.count(id)) out->add_removed(id);
    }
    if (out->cameras_size() == 0 && out->removed_size() == 0) return;
  }
  if (!socket_.send(ToFrame(up), zmq::send_flags::dontwait)) return;  // not connected: again later
  catalog_sent_ = std::move(now);
  counts_.catalog_cameras = catalog_sent_.size();
  if (complete) {
    catalog_wanted_ = false;
    catalog_complete_ms_ = now_ms;
  }
}

void ParentLink::SendDue(int64_t now_ms) {
  while (in_flight_.size() < config_.window && last_sent_ < log_.head()) {
    auto rows = log_.ReadAfter(last_sent_, int(config_.window - in_flight_.size()));
    if (!rows.ok()) {
      spdlog::error("cascade: cannot read the alert log: {}", rows.error().message);
      return;
    }
    if (rows->empty()) {
      last_sent_ = log_.head();  // deleted by retention meanwhile
      return;
    }
    for (wire::LoggedAlert& row : *rows) {
      wire::LinkUp up;
      wire::Envelope* env = up.mutable_envelope();
      env->set_stream(log_.stream());
      env->set_seq(row.seq());
      env->set_after(last_sent_);
      env->set_sent_ms(NowMs());
      *env->mutable_alert() = std::move(*row.mutable_alert());
      if (!socket_.send(ToFrame(up), zmq::send_flags::dontwait)) return;  // not connected: later
      if (in_flight_.empty()) progress_ms_ = now_ms;
      in_flight_.push_back(row.seq());
      last_sent_ = row.seq();
      ++counts_.sent;
    }
  }
}

ParentLink::Stats ParentLink::stats() const {
  Stats s = counts_;
  s.state = state_;
  s.acked = acked_;
  s.lag = log_.head() > acked_ ? log_.head() - acked_ : 0;
  s.live_streams = video_->streaming();
  s.video = video_->stats();
  return s;
}

}  // namespace xl::router
