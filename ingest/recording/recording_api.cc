#include "ingest/recording/recording_api.h"

#include <nlohmann/json.hpp>
#include <optional>

#include "common/http_replies.h"
#include "common/off_loop.h"
#include "proto/camera/camera_id.h"

namespace xl::ingest {
namespace {

// Query parameter `name` as wall-clock milliseconds (≥ 0); nullopt when absent or not a number.
std::optional<int64_t> Millis(const HttpRequest& r, const std::string& name) { return QueryInt(r, name, 0, INT64_MAX); }

}  // namespace

void RecordingApi::Serve(const HttpRequest& request, HttpServer::Responder respond) {
  std::string rest = request.path.substr(std::string("/recordings/").size());
  if (const size_t slash = rest.find('/');
      slash != std::string::npos && !rest.ends_with("/mp4")) {  // a device's recordings: download, playback
    if (!ValidateCameraId(rest.substr(0, slash)).ok()) {
      return respond(TextReply(400, "not a camera ID: '" + rest.substr(0, slash) + "'"));
    }
    auto reply = device_calls_ ? device_calls_(rest, request) : std::nullopt;
    return respond(reply ? std::move(*reply) : TextReply(404, "no such recordings call on this worker"));
  }
  if (request.method != "GET") return respond(TextReply(405, "GET only"));
  bool mp4 = false;
  if (rest.ends_with("/mp4")) {
    mp4 = true;
    rest.resize(rest.size() - 4);
  }
  const std::string camera = rest;
  if (!ValidateCameraId(camera).ok()) return respond(TextReply(400, "not a camera ID: '" + camera + "'"));
  const auto from = Millis(request, "from"), to = Millis(request, "to");
  if (!from || !to || *to <= *from) return respond(TextReply(400, "give from=MS&to=MS (wall-clock ms, from < to)"));
  const bool device = !mp4 && request.query.count("device") && request.query.at("device") == "1";
  const HttpReply nothing = TextReply(404, "this worker records nothing (no recordings folder)");
  if (!store_.enabled() && !device) return respond(nothing);
  if (!mp4) {
    nlohmann::json segments = nlohmann::json::array();
    for (const Segment& s : store_.enabled() ? store_.Segments(camera, *from, *to) : std::vector<Segment>{}) {
      segments.push_back({{"start_ms", s.start_ms},
                          {"end_ms", s.end_ms},
                          {"bytes", s.bytes},
                          {"codec", s.codec},
                          {"open", s.open},
                          {"end_reason", s.end_reason},
                          {"keyframes_ms", s.keyframes_ms}});
    }
    nlohmann::json body = {{"worker", worker_id_}, {"camera", camera}, {"segments", std::move(segments)}};
    auto reply = [respond, body](nlohmann::json fields) mutable {
      body.update(fields);
      respond(JsonReply(200, body));
    };
    if (device && device_records_ && device_records_(camera, *from, *to, reply)) return;
    if (!store_.enabled()) return respond(nothing);
    return reply(nlohmann::json::object());
  }
  const bool keyframes_only = request.query.count("keyframes") && request.query.at("keyframes") == "1";
  RecordingStore& store = store_;
  RunOffLoop<HttpReply>(
      [&store, camera, from = *from, to = *to, keyframes_only] {
        auto mp4 = store.Mp4(camera, from, to, keyframes_only);
        if (!mp4.ok()) return TextReply(HttpStatusOf(mp4.error().code), mp4.error().message);
        return HttpReply{200, "video/mp4", std::move(mp4->mp4), {{"X-Start-Ms", std::to_string(mp4->start_ms)}}};
      },
      [respond](HttpReply reply) { respond(std::move(reply)); }, alive_);
}

}  // namespace xl::ingest
