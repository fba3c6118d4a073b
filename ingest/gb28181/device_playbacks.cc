#include "ingest/gb28181/device_playbacks.h"

#include "common/clock.h"
#include "common/http_replies.h"
#include "proto/rtsp/rtsp_range.h"

namespace xl::gb28181 {
namespace {

const std::string kPath = "/device-playback";

// Query parameter `name` as wall-clock ms or a sequence number (≥ 0).
std::optional<int64_t> Param(const HttpRequest& r, const char* name) { return QueryInt(r, name, 0, INT64_MAX); }

}  // namespace

std::optional<HttpReply> DevicePlaybacks::Serve(const std::string& rest, const HttpRequest& request) {
  const size_t at = rest.find(kPath);
  if (at == std::string::npos) return std::nullopt;
  const std::string camera = rest.substr(0, at);
  std::string tail = rest.substr(at + kPath.size());  // "", "/<id>", "/<id>/next", "/<id>/control"
  if (tail.empty()) {
    if (request.method != "POST") return TextReply(405, "POST only");
    const auto channel = channel_of_(camera);
    if (!channel) return TextReply(404, "camera '" + camera + "' is no GB/T 28181 channel of this worker");
    const auto from = Param(request, "from"), to = Param(request, "to");
    if (!from || !to) return TextReply(400, "give from=MS&to=MS (wall-clock ms)");
    size_t running = 0;
    for (const auto& [id, e] : playbacks_) running += !e.playback->ended();
    if (running >= kMaxPlaybacks)
      return TextReply(503, "this worker plays back " + std::to_string(running) + " already");
    auto started = DevicePlayback::Start(camera + "-p" + std::to_string(++serial_), channel->camera, channel->address,
                                         *from, *to, sip_, video_nice_);
    if (!started.ok()) return TextReply(HttpStatusOf(started.error().code), started.error().message);
    const std::string id = started.value()->id();
    nlohmann::json body = started.value()->Json();
    playbacks_[id].playback = std::move(started.value());
    return JsonReply(201, body);
  }
  tail.erase(0, 1);
  const size_t slash = tail.find('/');
  const std::string id = tail.substr(0, slash), verb = slash == std::string::npos ? "" : tail.substr(slash + 1);
  auto it = playbacks_.find(id);
  if (it == playbacks_.end() || it->second.playback->camera_id() != camera) {
    return TextReply(404, "no playback '" + id + "' of camera '" + camera + "'");
  }
  DevicePlayback& p = *it->second.playback;
  if (verb.empty()) {
    if (request.method != "DELETE") return TextReply(405, "DELETE only");
    playbacks_.erase(it);  // hangs up
    return JsonReply(200, {{"id", id}, {"state", "ended"}});
  }
  if (verb == "next") {
    if (request.method != "GET") return TextReply(405, "GET only");
    const auto after = Param(request, "after");
    auto chunk = p.Next(after.value_or(0));
    const std::string state = p.state_name();
    if (!chunk) return HttpReply{204, "text/plain", "", {{"X-State", state}}};
    return HttpReply{200,
                     "video/mp4",
                     std::move(chunk->mp4),
                     {{"X-Seq", std::to_string(chunk->seq)},
                      {"X-Generation", std::to_string(chunk->generation)},
                      {"X-Start-Ms", std::to_string(chunk->start_ms)},
                      {"X-End-Ms", std::to_string(chunk->end_ms)},
                      {"X-State", state}}};
  }
  if (verb != "control") return TextReply(404, "no '" + verb + "' of a playback");
  if (request.method != "POST") return TextReply(405, "POST only");
  Status done = Status::Ok();
  if (auto seek = Param(request, "seek")) {
    auto generation = p.Seek(*seek);
    if (!generation.ok()) done = generation.error();
  } else if (request.query.count("scale")) {
    const auto scale = rtsp::ParseScale(request.query.at("scale"));
    if (!scale || *scale < 0.25 || *scale > 16) return TextReply(400, "scale is 0.25 to 16");
    done = p.Scale(*scale);
  } else if (request.query.count("pause")) {
    done = p.Pause();
  } else if (request.query.count("play")) {
    done = p.Resume();
  } else {
    return TextReply(400, "give seek=MS, scale=S, pause=1 or play=1");
  }
  if (!done.ok()) return TextReply(HttpStatusOf(done.code()), done.message());
  return JsonReply(200, p.Json());
}

void DevicePlaybacks::Tick() {
  const int64_t now = MonotonicMs();
  for (auto it = playbacks_.begin(); it != playbacks_.end();) {
    Entry& e = it->second;
    if (e.playback->Tick() || (e.playback->ended() && !e.ended_ms)) e.ended_ms = now;
    if (e.ended_ms && now - e.ended_ms > 60000) {
      it = playbacks_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace xl::gb28181
