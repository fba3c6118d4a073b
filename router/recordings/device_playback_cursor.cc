#include "router/recordings/device_playback_cursor.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/http_replies.h"

namespace xl::router {
namespace {

int64_t NumberOf(const HttpReply& r, const std::string& name) {
  const std::string v = ReplyHeader(r, name);
  return v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 18 ? -1 : std::stoll(v);
}

}  // namespace

DevicePlaybackCursor::DevicePlaybackCursor(RecordingDesk& recordings, std::string camera,
                                           PlaybackCursor::Listener listener)
    : recordings_(recordings), camera_(std::move(camera)), listener_(std::move(listener)) {}

DevicePlaybackCursor::~DevicePlaybackCursor() {
  if (!id_.empty()) recordings_.DevicePlaybackCall(camera_, "DELETE", "/" + id_, [](Result<HttpReply>) {});
}

void DevicePlaybackCursor::Seek(int64_t ms, int speed) {
  seek_wanted_ = true;
  seek_ms_ = ms;
  speed_ = speed;
  player_ms_ = ms;
  sent_to_ms_ = -1;
  told_end_ = false;
  ++seeks_;
  retry_at_ms_ = 0;
}

void DevicePlaybackCursor::Call(const char* method, const std::string& tail,
                                std::function<void(Result<HttpReply>)> then) {
  busy_ = true;
  recordings_.DevicePlaybackCall(
      camera_, method, tail, [this, alive = std::weak_ptr<int>(alive_), then](Result<HttpReply> got) {
        if (alive.expired()) return;
        busy_ = false;
        if (!got.ok() || got->status >= 400) {
          const std::string why = got.ok() ? std::to_string(got->status) + " " + got->body : got.error().message;
          listener_.error("the device's recording: " + why);
          retry_at_ms_ = MonotonicMs() + 3000;
        }
        then(std::move(got));
        Pump();
      });
}

void DevicePlaybackCursor::Pump() {
  if (busy_ || MonotonicMs() < retry_at_ms_ || (!seek_wanted_ && id_.empty())) return;
  const uint64_t asked = seeks_;
  if (!id_.empty() && seek_wanted_ && (seek_ms_ < range_from_ || seek_ms_ >= range_to_)) {
    // Outside what the call asked for: another call from there.
    recordings_.DevicePlaybackCall(camera_, "DELETE", "/" + id_, [](Result<HttpReply>) {});
    id_.clear();
  }
  if (id_.empty()) {  // the first seek opens the call there
    seek_wanted_ = false;
    range_from_ = seek_ms_ / 1000 * 1000;
    range_to_ = seek_ms_ + kRangeMs;
    const std::string tail = "?from=" + std::to_string(seek_ms_) + "&to=" + std::to_string(range_to_);
    return Call("POST", tail, [this, asked](Result<HttpReply> got) {
      if (got.ok() && got->status >= 400 && got->status < 500) {  // refused (a bad range, no such channel): said once
        told_end_ = true;
        listener_.end(seek_ms_);
        return;
      }
      if (!got.ok() || got->status != 201) {  // the worker cannot now: tried again after a while
        seek_wanted_ = true;
        return;
      }
      if (asked != seeks_) seek_wanted_ = true;  // sought again meanwhile: move it there
      const auto j = nlohmann::json::parse(got->body, nullptr, false);
      id_ = j.is_object() ? j.value("id", "") : "";
      range_to_ = j.is_object() ? j.value("to_ms", range_to_) : range_to_;  // the worker's end: now at most
      generation_ = j.is_object() ? j.value("generation", uint64_t(0)) : 0;
      device_speed_ = 1;
      device_paused_ = false;
      spdlog::info("playback: camera {} from its device ({})", camera_, id_);
    });
  }
  const std::string control = "/" + id_ + "/control?";
  if (seek_wanted_) {
    return Call("POST", control + "seek=" + std::to_string(seek_ms_), [this, asked](Result<HttpReply> got) {
      if (!got.ok() || got->status != 200 || asked != seeks_) return;
      seek_wanted_ = false;
      const auto j = nlohmann::json::parse(got->body, nullptr, false);
      if (j.is_object()) generation_ = j.value("generation", generation_);
      device_paused_ = false;
    });
  }
  if (speed_ != device_speed_) {
    const int want = speed_;
    return Call("POST", control + "scale=" + std::to_string(want), [this, want](Result<HttpReply> got) {
      if (got.ok() && got->status == 200) device_speed_ = want, device_paused_ = false;
    });
  }
  // The player paces the device.
  const int64_t ahead = sent_to_ms_ < 0 ? 0 : sent_to_ms_ - player_ms_;
  const int64_t limit = kAheadS * 1000 * speed_;
  if (!device_paused_ && ahead > limit) {
    return Call("POST", control + "pause=1", [this](Result<HttpReply> got) {
      if (got.ok() && got->status == 200) device_paused_ = true;
    });
  }
  if (device_paused_ && ahead < limit / 2) {
    return Call("POST", control + "play=1", [this](Result<HttpReply> got) {
      if (got.ok() && got->status == 200) device_paused_ = false;
    });
  }
  if (listener_.ready && !listener_.ready()) return;
  Call("GET", "/" + id_ + "/next?after=" + std::to_string(last_seq_), [this, asked](Result<HttpReply> got) {
    if (!got.ok() || asked != seeks_) return;
    if (got->status == 204) {
      const std::string state = ReplyHeader(*got, "X-State");
      if ((state == "ended" || state == "failed") && !told_end_) {
        told_end_ = true;
        listener_.end(sent_to_ms_ < 0 ? seek_ms_ : sent_to_ms_);
      }
      retry_at_ms_ = MonotonicMs() + 200;  // nothing yet: ask again shortly
      return;
    }
    if (got->status == 200) OnChunk(*got);
  });
}

void DevicePlaybackCursor::OnChunk(const HttpReply& reply) {
  const int64_t seq = NumberOf(reply, "X-Seq"), generation = NumberOf(reply, "X-Generation");
  const int64_t start = NumberOf(reply, "X-Start-Ms"), end = NumberOf(reply, "X-End-Ms");
  if (seq < 0 || generation < 0 || start < 0 || end < start) {
    listener_.error("the worker's chunk has no times");
    return;
  }
  last_seq_ = uint64_t(seq);
  if (uint64_t(generation) != generation_) return;  // of the place before the last seek
  sent_to_ms_ = end;
  PlaybackCursor::Chunk c;
  c.start_ms = start;
  c.end_ms = end;
  c.speed = speed_;
  c.keyframes_only = speed_ > 4;
  c.mp4 = reply.body;
  listener_.chunk(std::move(c));
}

}  // namespace xl::router
