#include "ingest/gb28181/device_downloads.h"

#include "common/clock.h"
#include "common/http_replies.h"

namespace xl::gb28181 {

std::optional<HttpReply> DeviceDownloads::Serve(const std::string& rest, const HttpRequest& request) {
  const bool start = rest.ends_with("/download");
  if (!start && !rest.ends_with("/downloads")) return std::nullopt;
  const std::string camera = rest.substr(0, rest.rfind('/'));
  if (!start) {
    if (request.method != "GET") return TextReply(405, "GET only");
    nlohmann::json list = nlohmann::json::array();
    for (auto it = downloads_.rbegin(); it != downloads_.rend(); ++it) {
      if (it->second->camera_id() == camera) list.push_back(it->second->Json());
    }
    return JsonReply(200, {{"downloads", std::move(list)}});
  }
  if (request.method != "POST") return TextReply(405, "POST only");
  const auto channel = channel_of_(camera);
  if (!channel) return TextReply(404, "camera '" + camera + "' is no GB/T 28181 channel of this worker");
  const auto from = QueryInt(request, "from", 0, INT64_MAX), to = QueryInt(request, "to", 0, INT64_MAX);
  if (!from || !to) return TextReply(400, "give from=MS&to=MS (wall-clock ms)");
  const bool speed_given = request.query.count("speed") > 0;
  const auto speed = speed_given ? QueryInt(request, "speed", 1, DeviceDownload::kMaxSpeed) : std::optional<int64_t>(4);
  if (!speed) return TextReply(400, "speed is 1 to " + std::to_string(DeviceDownload::kMaxSpeed));
  for (const auto& [serial, d] : downloads_) {
    if (d->camera_id() == camera && !d->ended())
      return TextReply(409, "a download of camera '" + camera + "' is running");
  }
  auto started = DeviceDownload::Start(camera + "-" + std::to_string(++serial_), channel->camera, channel->address,
                                       *from, *to, int(*speed), sip_, store_, video_nice_);
  if (!started.ok()) return TextReply(HttpStatusOf(started.error().code), started.error().message);
  nlohmann::json body = started.value()->Json();
  downloads_[serial_] = std::move(started.value());
  // Forget the oldest ended ones past the few listed.
  size_t ended = 0;
  for (const auto& [serial, d] : downloads_) ended += d->ended();
  for (auto it = downloads_.begin(); it != downloads_.end() && ended > kKeptEnded;) {
    if (it->second->ended()) {
      it = downloads_.erase(it);
      --ended;
    } else {
      ++it;
    }
  }
  return JsonReply(202, body);
}

void DeviceDownloads::Tick() {
  const int64_t now = MonotonicMs();
  for (auto& [serial, d] : downloads_) d->Tick(now);
}

}  // namespace xl::gb28181
