#include "router/recordings/recording_desk.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "common/cli.h"
#include "common/clock.h"
#include "common/http_replies.h"
#include "common/off_loop.h"
#include "proto/camera/camera_id.h"
#include "router/json_reply.h"

namespace xl::router {
namespace {

const std::string kRecordings = "/api/desk/recordings/";
const std::string kExports = "/api/desk/exports";

std::optional<int64_t> Millis(std::string_view s) { return ParseIntArg(s, 0, INT64_MAX); }

// The range of a request's from= and to= (or a JSON body's from_ms and to_ms); error when
// missing, reversed or longer than `max_ms`.
Result<std::pair<int64_t, int64_t>> RangeOf(std::optional<int64_t> from, std::optional<int64_t> to, int64_t max_ms) {
  if (!from || !to || *to <= *from) return InvalidArgument("give from and to: wall-clock milliseconds, from < to");
  if (*to - *from > max_ms) {
    return InvalidArgument("the range is longer than " + std::to_string(max_ms / 60000) + " minutes");
  }
  return std::pair{*from, *to};
}

std::optional<int64_t> QueryMillis(const HttpRequest& r, const char* name) { return QueryInt(r, name, 0, INT64_MAX); }

// A JSON body's non-negative integer `key`; nullopt when absent or not one.
std::optional<int64_t> BodyMillis(const nlohmann::json& body, const char* key) {
  if (!body.contains(key) || !body[key].is_number_integer()) return std::nullopt;
  const int64_t v = body[key].get<int64_t>();
  return v < 0 ? std::nullopt : std::optional(v);
}

// A worker's text reply (a reason) without its closing newlines.
std::string WorkerText(std::string body) {
  while (!body.empty() && body.back() == '\n') body.pop_back();
  return body;
}

std::string Clock(int64_t ms) { return LocalTime(ms, "%Y-%m-%d %H:%M:%S"); }

nlohmann::json SegmentJson(const WorkerSegment& s) {
  return {{"worker", s.worker}, {"start_ms", s.start_ms}, {"end_ms", s.end_ms},
          {"bytes", s.bytes},   {"codec", s.codec},       {"open", s.open}};
}

// A worker's segment list (ingest/recording/recording_api.h); error when it is not one.
// A worker's /recordings answer (ingest/recording/recording_api.h) added to `found`.
Status ParseRecordings(const std::string& worker, const std::string& body, RecordingDesk::Found& found) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("segments") || !j["segments"].is_array()) {
    return Internal("its recordings list is not JSON with segments");
  }
  for (const auto& s : j["segments"]) {
    if (!s.is_object()) continue;
    WorkerSegment w;
    w.worker = worker;
    w.start_ms = s.value("start_ms", int64_t(0));
    w.end_ms = s.value("end_ms", int64_t(0));
    w.bytes = s.value("bytes", int64_t(0));
    w.codec = s.value("codec", "");
    w.open = s.value("open", false);
    w.end_reason = s.value("end_reason", "");
    if (s.contains("keyframes_ms") && s["keyframes_ms"].is_array()) {
      for (const auto& k : s["keyframes_ms"]) {
        if (k.is_number_integer()) w.keyframes_ms.push_back(k.get<int64_t>());
      }
    }
    if (w.end_ms >= w.start_ms) found.segments.push_back(std::move(w));
  }
  if (j.contains("device_records") && j["device_records"].is_array()) {
    for (const auto& r : j["device_records"]) {
      if (!r.is_object()) continue;
      found.device.push_back(DeviceRecord{worker, r.value("start_ms", int64_t(-1)), r.value("end_ms", int64_t(-1)),
                                          r.value("name", ""), r.value("type", ""), r.value("file_path", "")});
    }
    if (!j.value("device_complete", true)) {
      found.device_notes.push_back({{"worker", worker}, {"note", j.value("device_note", "")}});
    }
  }
  return Status::Ok();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

bool RecordingDesk::Handles(const HttpRequest& r) {
  return r.path.starts_with(kRecordings) || r.path == kExports || r.path.starts_with(kExports + "/");
}

Result<std::string> RecordingDesk::Visible(const std::string& camera, const DeskUser& me) const {
  if (!ValidateCameraId(camera).ok()) return InvalidArgument("not a camera ID: '" + camera + "'");
  const auto region = s_.region_of(camera);
  if (!region || !Sees(me, *region, camera)) return NotFound("no camera '" + camera + "'");
  if (!s_.local(camera)) {
    return Conflict("camera '" + camera +
                    "' is registered at a router below: its recordings are played and exported at its site");
  }
  return *region;
}

bool RecordingDesk::MayPlay(const std::map<std::string, std::string>& cookies, const std::string& camera) {
  auto me = s_.desk.Authenticate(cookies);
  return me && Visible(camera, *me).ok();
}

void RecordingDesk::Serve(const HttpRequest& r, HttpServer::Responder respond) {
  auto me = s_.desk.Authenticate(r.cookies);
  if (!me) return respond(JsonFault(401, "log in first (POST /api/login)"));
  if (r.path.starts_with(kExports)) {
    if (r.path == kExports && r.method == "POST") return Export(r, *me, std::move(respond));
    if (r.method != "GET") return respond(JsonFault(405, "GET, or POST to " + kExports));
    if (r.path == kExports) return respond(Exports(*me));
    return ExportFile(r.path.substr(kExports.size() + 1), *me, std::move(respond));
  }
  std::string camera = r.path.substr(kRecordings.size());
  for (const std::string suffix : {"/download", "/downloads"}) {
    if (!camera.ends_with(suffix)) continue;
    camera.resize(camera.size() - suffix.size());
    const bool start = suffix == "/download";
    if (r.method != (start ? "POST" : "GET")) return respond(JsonFault(405, start ? "POST only" : "GET only"));
    return Download(camera, start, r, *me, std::move(respond));
  }
  if (r.method != "GET") return respond(JsonFault(405, "GET only"));
  const bool mp4 = camera.ends_with("/mp4");
  if (mp4) camera.resize(camera.size() - 4);
  auto region = Visible(camera, *me);
  if (!region.ok()) return respond(JsonFault(region.error()));
  auto range = RangeOf(QueryMillis(r, "from"), QueryMillis(r, "to"), mp4 ? kMaxMp4Ms : kMaxTimelineMs);
  if (!range.ok()) return respond(JsonFault(range.error()));
  const auto [from, to] = *range;
  if (!mp4) return Timeline(camera, from, to, std::move(respond));
  const bool keyframes = r.query.count("keyframes") && r.query.at("keyframes") == "1";
  FetchMp4(camera, from, to, keyframes, [respond](Result<Mp4> got) {
    if (!got.ok()) return respond(JsonFault(got.error()));
    respond({200,
             "video/mp4",
             std::move(got->body),
             {{"Cache-Control", "private, max-age=60"}, {"X-Start-Ms", std::to_string(got->start_ms)}}});
  });
}

void RecordingDesk::FetchSegments(const std::string& camera, int64_t from_ms, int64_t to_ms, SegmentsDone done,
                                  bool with_device) {
  struct Gather {
    size_t waiting = 0;
    Found found;
    SegmentsDone done;
  };
  auto g = std::make_shared<Gather>();
  g->done = std::move(done);
  std::vector<WorkerInfo> asked;
  for (const WorkerInfo& w : s_.workers.Workers()) {
    if (w.http_url.empty()) {
      g->found.unreachable.push_back({{"worker", w.id}, {"reason", "no HTTP port the router knows"}});
    } else {
      asked.push_back(w);
    }
  }
  g->waiting = asked.size();
  if (asked.empty()) return g->done(std::move(g->found));
  const std::string query = "/recordings/" + camera + "?from=" + std::to_string(from_ms) +
                            "&to=" + std::to_string(to_ms) + (with_device ? "&device=1" : "");
  for (const WorkerInfo& w : asked) {
    fetcher_.Get(
        w.http_url + query,
        [g, worker = w.id](Result<HttpReply> got) {
          if (!got.ok()) {
            g->found.unreachable.push_back({{"worker", worker}, {"reason", got.error().message}});
          } else if (got->status == 200) {
            if (Status s = ParseRecordings(worker, got->body, g->found); !s.ok()) {
              g->found.unreachable.push_back({{"worker", worker}, {"reason", s.message()}});
            }
          } else if (got->status != 404) {  // 404: it records nothing
            g->found.unreachable.push_back({{"worker", worker}, {"reason", "answered " + std::to_string(got->status)}});
          }
          if (--g->waiting == 0) g->done(std::move(g->found));
        },
        {{"Authorization", "Bearer " + s_.workers.HttpToken(w.id)}});
  }
}

void RecordingDesk::Timeline(const std::string& camera, int64_t from, int64_t to, HttpServer::Responder respond) {
  FetchSegments(
      camera, from, to,
      [this, alive = std::weak_ptr<int>(alive_), camera, from, to, respond](Found found) {
        if (alive.expired()) return;
        std::vector<WorkerSegment>& segments = found.segments;
        nlohmann::json seg = nlohmann::json::array();
        std::sort(segments.begin(), segments.end(),
                  [](const WorkerSegment& a, const WorkerSegment& b) { return a.start_ms < b.start_ms; });
        for (const WorkerSegment& s : segments) seg.push_back(SegmentJson(s));
        const struct Timeline t = BuildTimeline(std::move(segments), from, to, NowMs());
        nlohmann::json ranges = nlohmann::json::array(), gaps = nlohmann::json::array();
        for (const auto& r : t.ranges) ranges.push_back({{"from_ms", r.from_ms}, {"to_ms", r.to_ms}});
        for (const auto& g : t.gaps) {
          gaps.push_back({{"from_ms", g.from_ms}, {"to_ms", g.to_ms}, {"reason", g.reason}});
        }
        nlohmann::json device = nlohmann::json::array();
        std::sort(found.device.begin(), found.device.end(),
                  [](const DeviceRecord& a, const DeviceRecord& b) { return a.start_ms < b.start_ms; });
        for (const DeviceRecord& r : found.device) {
          device.push_back(
              {{"from_ms", r.start_ms}, {"to_ms", r.end_ms}, {"name", r.name}, {"type", r.type}, {"worker", r.worker}});
        }
        nlohmann::json alerts = nlohmann::json::array();
        auto events = s_.log.EventsOf(camera, from, to, 1000);
        if (!events.ok()) return respond(JsonFault(events.error()));
        std::vector<std::string> ids;
        for (const EventSummary& e : *events) ids.push_back(e.id);
        const auto states = s_.handling.StatesOf(ids);
        for (const EventSummary& e : *events) {
          alerts.push_back({{"id", e.id},
                            {"kind", e.kind},
                            {"start_ms", e.start_ms},
                            {"ended", e.ended},
                            {"state", states.count(e.id) ? states.at(e.id) : "new"}});
        }
        respond(JsonReply(200, {{"camera", camera},
                                {"from_ms", from},
                                {"to_ms", to},
                                {"ranges", std::move(ranges)},
                                {"gaps", std::move(gaps)},
                                {"segments", std::move(seg)},
                                {"alerts", std::move(alerts)},
                                {"device_records", std::move(device)},
                                {"device_notes", std::move(found.device_notes)},
                                {"unreachable", std::move(found.unreachable)}}));
      },
      /*with_device=*/true);
}

void RecordingDesk::FetchMp4(const std::string& camera, int64_t from, int64_t to, bool keyframes_only, Mp4Done done) {
  FetchSegments(
      camera, from, to,
      [this, alive = std::weak_ptr<int>(alive_), camera, from, to, keyframes_only, done](Found found) {
        if (alive.expired()) return;
        std::vector<WorkerSegment>& segments = found.segments;
        const nlohmann::json& unreachable = found.unreachable;
        std::map<std::string, std::pair<int64_t, int64_t>> held;  // worker → its part of the range
        for (const WorkerSegment& s : segments) {
          auto [it, fresh] = held.try_emplace(s.worker, s.start_ms, s.end_ms);
          it->second.first = std::min(it->second.first, s.start_ms);
          it->second.second = std::max(it->second.second, s.end_ms);
        }
        if (held.size() > 1) {
          std::string parts;
          for (const auto& [w, span] : held) {
            parts += (parts.empty() ? "" : ", ") + w + " (" + Clock(span.first) + " to " + Clock(span.second) + ")";
          }
          return done(Conflict("the range spans the recordings of several workers: " + parts +
                               "; ask for each part separately"));
        }
        if (held.empty()) {
          std::string why = "nothing of " + camera + " is recorded between " + Clock(from) + " and " + Clock(to);
          if (!unreachable.empty()) why += " on the workers that answered (" + unreachable.dump() + ")";
          return done(NotFound(why));
        }
        FetchMp4From(held.begin()->first, camera, from, to, keyframes_only,
                     [done, segments = std::move(segments)](Result<Mp4> got) mutable {
                       if (got.ok()) got->segments = std::move(segments);
                       done(std::move(got));
                     });
      });
}

void RecordingDesk::FetchMp4From(const std::string& worker, const std::string& camera, int64_t from, int64_t to,
                                 bool keyframes_only, Mp4Done done) {
  const std::string url = s_.workers.HttpUrl(worker) + "/recordings/" + camera + "/mp4?from=" + std::to_string(from) +
                          "&to=" + std::to_string(to) + (keyframes_only ? "&keyframes=1" : "");
  fetcher_.Get(url,
               [done, worker](Result<HttpReply> got) {
                 if (!got.ok()) {
                   return done(Unavailable("worker '" + worker +
                                           "', which keeps this recording, cannot be reached: " + got.error().message));
                 }
                 if (got->status != 200) {
                   const std::string why = WorkerText(got->body);
                   const ErrorCode code = got->status == 404   ? ErrorCode::kNotFound
                                          : got->status == 400 ? ErrorCode::kInvalidArgument
                                                               : ErrorCode::kUnavailable;
                   return done(Error{"worker '" + worker + "': " + why, code});
                 }
                 // The wall clock of the file's time 0.
                 const int64_t start_ms = Millis(ReplyHeader(*got, "X-Start-Ms")).value_or(0);
                 done(Mp4{worker, std::move(got->body), start_ms, {}});
               },
               {{"Authorization", "Bearer " + s_.workers.HttpToken(worker)}});
}

void RecordingDesk::Download(const std::string& camera, bool start, const HttpRequest& r, const DeskUser& me,
                             HttpServer::Responder respond) {
  auto region = Visible(camera, me);
  if (!region.ok()) return respond(JsonFault(region.error()));
  auto runs = RunningWorker(camera);
  if (!runs.ok()) return respond(JsonFault(runs.error()));
  const auto [worker, base] = runs.value();
  std::string url = base + "/recordings/" + camera + (start ? "/download" : "/downloads");
  if (start) {
    auto body = nlohmann::json::parse(r.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) return respond(JsonFault(400, "give {from_ms, to_ms, speed}"));
    const auto number = [&](const char* key) { return BodyMillis(body, key); };
    auto range = RangeOf(number("from_ms"), number("to_ms"), 6LL * 3600 * 1000);
    if (!range.ok()) return respond(JsonFault(range.error()));
    url += "?from=" + std::to_string(range->first) + "&to=" + std::to_string(range->second);
    if (body.contains("speed")) {
      const auto speed = number("speed");
      if (!speed || *speed < 1 || *speed > 16) return respond(JsonFault(400, "speed is 1 to 16"));
      url += "&speed=" + std::to_string(*speed);
    }
    spdlog::info("camera {}: {} asks its device's recording from {} to {} to be copied here", camera, me.name,
                 Clock(range->first), Clock(range->second));
  }
  fetcher_.Send(start ? "POST" : "GET", url,
                [respond, worker](Result<HttpReply> got) {
                  if (!got.ok()) return respond(JsonFault(503, "worker " + worker + ": " + got.error().message));
                  if (got->status >= 300) {
                    return respond(JsonFault(got->status, WorkerText(got->body)));
                  }
                  respond({got->status, "application/json", got->body});
                },
                {{"Authorization", "Bearer " + s_.workers.HttpToken(worker)}});
}

Result<std::pair<std::string, std::string>> RecordingDesk::RunningWorker(const std::string& camera) const {
  const std::string worker = s_.worker_of(camera);
  const std::string base = worker.empty() ? "" : s_.workers.HttpUrl(worker);
  if (base.empty()) return Unavailable("camera '" + camera + "' runs on no worker the router can reach");
  return std::pair{worker, base};
}

void RecordingDesk::DevicePlaybackCall(const std::string& camera, const char* method, const std::string& tail,
                                       HttpFetcher::Done done) {
  auto runs = RunningWorker(camera);
  if (!runs.ok()) return done(runs.error());
  const auto [worker, base] = runs.value();
  fetcher_.Send(method, base + "/recordings/" + camera + "/device-playback" + tail, std::move(done),
                {{"Authorization", "Bearer " + s_.workers.HttpToken(worker)}});
}

void RecordingDesk::Export(const HttpRequest& r, const DeskUser& me, HttpServer::Responder respond) {
  auto body = nlohmann::json::parse(r.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return respond(JsonFault(400, "give {camera, from_ms, to_ms}"));
  const auto number = [&](const char* key) { return BodyMillis(body, key); };
  const std::string camera =
      body.contains("camera") && body["camera"].is_string() ? body["camera"].get<std::string>() : "";
  auto region = Visible(camera, me);
  if (!region.ok()) return respond(JsonFault(region.error()));
  auto range = RangeOf(number("from_ms"), number("to_ms"), kMaxMp4Ms);
  if (!range.ok()) return respond(JsonFault(range.error()));
  ExportRecord record;
  record.camera = camera;
  record.region = *region;
  record.user = me.name;
  record.from_ms = range->first;
  record.to_ms = range->second;
  FetchMp4(camera, record.from_ms, record.to_ms, false, [this, record, respond](Result<Mp4> got) mutable {
    if (!got.ok()) return respond(JsonFault(got.error()));
    record.worker = got->worker;
    record.starts_ms = got->start_ms;
    record.at_ms = NowMs();
    record.id = ExportLog::NewId(record.at_ms);
    nlohmann::json sources = nlohmann::json::array();
    for (const WorkerSegment& s : got->segments) sources.push_back(SegmentJson(s));
    struct Written {
      ExportRecord record;
      Result<nlohmann::json> manifest = Internal("not written");
    };
    RunOffLoop<std::shared_ptr<Written>>(
        [dir = s_.exports.dir(), record, mp4 = std::move(got->body), sources]() mutable {
          auto w = std::make_shared<Written>();
          w->manifest = ExportLog::Write(dir, record, mp4, sources);
          w->record = std::move(record);
          return w;
        },
        [this, respond](std::shared_ptr<Written> w) {
          if (!w->manifest.ok()) return respond(JsonFault(w->manifest.error()));
          if (Status s = s_.exports.Record(w->record); !s.ok()) {
            // No audit row, no export: the files go too.
            std::remove(s_.exports.PathOf(w->record.id, "mp4").c_str());
            std::remove(s_.exports.PathOf(w->record.id, "json").c_str());
            return respond(JsonFault(500, "the export could not be written to the audit log: " + s.message()));
          }
          spdlog::info("export {}: camera {} {} to {} by {} ({} bytes, sha256 {})", w->record.id, w->record.camera,
                       Clock(w->record.from_ms), Clock(w->record.to_ms), w->record.user, w->record.bytes,
                       w->record.sha256);
          respond(JsonReply(201, *w->manifest));
        },
        alive_);
  });
}

HttpReply RecordingDesk::Exports(const DeskUser& me) {
  nlohmann::json out = nlohmann::json::array();
  for (const ExportRecord& e : s_.exports.Newest(500)) {
    if (!Sees(me, e.region, e.camera)) continue;
    out.push_back({{"export", e.id},
                   {"camera", e.camera},
                   {"from_ms", e.from_ms},
                   {"to_ms", e.to_ms},
                   {"exported_by", e.user},
                   {"exported_at_ms", e.at_ms},
                   {"bytes", e.bytes},
                   {"sha256", e.sha256}});
  }
  return JsonReply(200, {{"exports", std::move(out)}});
}

void RecordingDesk::ExportFile(const std::string& name, const DeskUser& me, HttpServer::Responder respond) {
  const size_t dot = name.rfind('.');
  const std::string id = name.substr(0, dot), ext = dot == std::string::npos ? "" : name.substr(dot + 1);
  auto record = s_.exports.Find(id);
  if ((ext != "mp4" && ext != "json") || !record || !Sees(me, record->region, record->camera)) {
    return respond(JsonFault(404, "no export '" + name + "'"));
  }
  spdlog::info("export {}.{} downloaded by {}", id, ext, me.name);
  RunOffLoop<HttpReply>(
      [path = s_.exports.PathOf(id, ext), ext, id] {
        std::string bytes = ReadFile(path);
        if (bytes.empty()) return JsonFault(410, "the file of export " + id + " is gone from the exports folder");
        return HttpReply{200,
                         ext == "mp4" ? "video/mp4" : "application/json",
                         std::move(bytes),
                         {{"Content-Disposition", "attachment; filename=\"" + id + "." + ext + "\""}}};
      },
      [respond](HttpReply reply) { respond(std::move(reply)); }, alive_);
}

}  // namespace xl::router
