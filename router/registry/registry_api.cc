#include "router/registry/registry_api.h"
#include "common/json_text.h"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "common/clock.h"
#include "proto/camera/camera_config.h"
#include "proto/camera/camera_id.h"
#include "proto/wire/wire.h"
#include "router/json_reply.h"
#include "router/registry/camera_csv.h"

namespace xl::router {

using nlohmann::json;

namespace {

// Whether a scoped admin may write `spec`: its region lies inside `scope` (a camera without
// a region: its ID does). Stricter than seeing it, which an ID prefix alone allows.
bool InsideScope(const std::string& scope, const wire::CameraSpec& spec) {
  if (scope.empty()) return true;
  return (spec.region().empty() ? spec.id() : spec.region()).rfind(scope, 0) == 0;
}

constexpr const char* kMasked = "***";

// How bad a camera's situation is, for sorting (higher first).
int Trouble(const wire::Camera& c) {
  switch (c.state()) {
    case wire::CAMERA_STATE_OFFLINE:
      return 4;
    case wire::CAMERA_STATE_RECONNECTING:
      return 3;
    case wire::CAMERA_STATE_UNKNOWN:
      return 3;
    case wire::CAMERA_STATE_CONNECTING:
      return 2;
    case wire::CAMERA_STATE_ONLINE:
      return c.faults_size() ? 2 : 0;
    default:
      return 0;
  }
}

// Fills `spec` from the fields of `in`; Error on an unknown key or a wrong type.
Status ApplyFields(const json& in, wire::CameraSpec& spec, bool allow_id) {
  if (!in.is_object()) return Error{"the body must be a JSON object"};
  for (const auto& [key, value] : in.items()) {
    auto text = [&]() -> Result<std::string> {
      if (!value.is_string()) return Error{"'" + key + "' must be a string"};
      return value.get<std::string>();
    };
    if (key == "id" && allow_id) {
      auto t = text();
      if (!t.ok()) return t.error();
      spec.set_id(*t);
    } else if (key == "name" || key == "region" || key == "url" || key == "username" || key == "password") {
      auto t = text();
      if (!t.ok()) return t.error();
      if (key == "password" && *t == kMasked) continue;  // unchanged
      if (key == "name") spec.set_name(*t);
      if (key == "region") spec.set_region(*t);
      if (key == "url") spec.set_url(*t);
      if (key == "username") spec.set_username(*t);
      if (key == "password") spec.set_password(*t);
    } else if (key == "enabled") {
      if (!value.is_boolean()) return Error{"'enabled' must be true or false"};
      spec.set_enabled(value.get<bool>());
    } else if (key == "profile") {
      if (value.is_string()) spec.set_profile(value.get<std::string>());
      else if (value.is_object()) spec.set_profile(JsonText(value));
      else if (value.is_null()) spec.clear_profile();
      else return Error{"'profile' must be an object of settings"};
    } else {
      return Error{"unknown field '" + key + "' (known: id, name, region, url, username, password, enabled, profile)"};
    }
  }
  return Status::Ok();
}

}  // namespace

RegistryApi::RegistryApi(CameraStore& store, WorkerControl& control, CameraStates& states,
                         std::function<void(const std::string&)> on_removed)
    : store_(store), control_(control), states_(states), on_removed_(std::move(on_removed)) {}

static json CameraJson(const RegisteredCamera& c, const wire::Camera* state, bool handed) {
  json j = {{"id", c.spec.id()},
            {"name", c.spec.name()},
            {"region", c.spec.region()},
            {"url", c.spec.url()},
            {"username", c.spec.username()},
            {"password", c.spec.password().empty() ? "" : kMasked},
            {"enabled", c.spec.enabled()},
            {"profile", c.spec.profile()},
            {"worker", c.worker},
            {"pinned_worker", c.spec.pinned_worker()},
            {"handed", handed}};
  // A camera just moved to another worker still carries the old worker's last report:
  // that is no news of it on the new one, so it counts as connecting until the new one reports.
  const bool moved = state && !c.worker.empty() && !state->worker().empty() && state->worker() != c.worker;
  if (moved) {
    j["state"] = c.spec.enabled() ? "connecting" : "disabled";
    j["reason"] = "moving from worker " + state->worker();
  } else if (state) {
    j["state"] = c.spec.enabled() ? StateName(state->state()) : "disabled";
    j["reason"] = state->reason();
  }
  if (state) {
    j["since_ms"] = state->since_ms();
    j["last_frame_ms"] = state->last_frame_ms();
    j["reconnects"] = state->reconnects();
    j["fps_in"] = state->fps_in();
    j["fps_out"] = state->fps_out();
    j["kbps"] = state->kbps();
    j["decode_errors"] = state->decode_errors();
    j["codec"] = state->codec();
    j["width"] = state->width();  // the coded size, once the stream is known
    j["height"] = state->height();
    json faults = json::array();
    for (int k : state->faults()) faults.push_back(KindName(wire::AlertKind(k)));
    j["faults"] = faults;
    j["motion_suppressed"] = state->motion_suppressed();
  } else {
    j["state"] = c.spec.enabled() ? "unknown" : "disabled";
  }
  return j;
}

HttpReply RegistryApi::Handle(const HttpRequest& r, const std::string& scope) {
  const std::string cams = "/api/cameras";
  if (r.path == cams || r.path == cams + "/") {
    if (r.method == "GET") return ListCameras(r, scope);
    if (r.method == "POST") return AddCamera(r.body, scope);
    return JsonFault(405, r.method + " is not allowed on " + r.path);
  }
  if (r.path.starts_with(cams + "/")) {
    const std::string id = r.path.substr(cams.size() + 1);
    if (r.method == "GET") return GetCamera(id, scope);
    if (r.method == "PUT" || r.method == "PATCH") return SetCamera(id, r.body, scope);
    if (r.method == "DELETE") return RemoveCamera(id, scope);
    return JsonFault(405, r.method + " is not allowed on " + r.path);
  }
  if (r.path == "/api/import") {
    if (r.method != "POST") return JsonFault(405, "POST a CSV file to /api/import");
    return Import(r, scope);
  }
  if (r.path == "/api/workers" && r.method == "GET") return Workers();
  if (r.path == "/api/status" && r.method == "GET") return StatusReport(scope);
  return JsonFault(404, "no such endpoint: " + r.method + " " + r.path);
}

HttpReply RegistryApi::ListCameras(const HttpRequest& r, const std::string& scope) {
  auto it = r.query.find("region");
  const std::string prefix = it == r.query.end() ? "" : it->second;
  json out = json::array();
  for (const auto& [id, c] : store_.cameras()) {
    if (!RegionMatches(prefix, c.spec.region(), id) || !RegionMatches(scope, c.spec.region(), id)) continue;
    auto s = states_.cameras().find(id);
    out.push_back(CameraJson(c, s == states_.cameras().end() ? nullptr : &s->second, control_.Handed(id)));
  }
  return JsonReply(200, out);
}

HttpReply RegistryApi::GetCamera(const std::string& id, const std::string& scope) {
  const RegisteredCamera* c = store_.Find(id);
  if (!c || !RegionMatches(scope, c->spec.region(), id)) return JsonFault(404, "no camera " + id);
  auto s = states_.cameras().find(id);
  return JsonReply(200, CameraJson(*c, s == states_.cameras().end() ? nullptr : &s->second, control_.Handed(id)));
}

HttpReply RegistryApi::AddCamera(const std::string& body, const std::string& scope) {
  json in = json::parse(body, nullptr, false);
  if (in.is_discarded()) return JsonFault(400, "the body is not valid JSON");
  wire::CameraSpec spec;
  spec.set_enabled(true);
  if (Status s = ApplyFields(in, spec, true); !s.ok()) return JsonFault(s.error());
  auto camera = camera::CameraFromSpec(spec);
  if (!camera.ok()) return JsonFault(camera.error());
  if (!InsideScope(scope, spec)) {
    return JsonFault(403, "an admin of region " + scope + " adds cameras only inside it");
  }
  if (store_.Find(spec.id())) return JsonFault(409, "camera " + spec.id() + " already exists");
  wire::CameraSpec clean = camera::SpecFromConfig(*camera);
  if (Status s = store_.Put({clean}); !s.ok()) return JsonFault(s.error());
  spdlog::info("registry: camera {} ({}) added", clean.id(), clean.name());
  control_.MarkDirty();
  return JsonReply(201, CameraJson(*store_.Find(clean.id()), nullptr, false));
}

HttpReply RegistryApi::SetCamera(const std::string& id, const std::string& body, const std::string& scope) {
  const RegisteredCamera* existing = store_.Find(id);
  if (!existing || !RegionMatches(scope, existing->spec.region(), id)) return JsonFault(404, "no camera " + id);
  json in = json::parse(body, nullptr, false);
  if (in.is_discarded()) return JsonFault(400, "the body is not valid JSON");
  if (in.is_object() && in.contains("id") && in["id"] != id) return JsonFault(400, "a camera's id cannot change");
  wire::CameraSpec spec = existing->spec;
  if (Status s = ApplyFields(in, spec, true); !s.ok()) return JsonFault(s.error());
  auto camera = camera::CameraFromSpec(spec);
  if (!camera.ok()) return JsonFault(camera.error());
  if (!InsideScope(scope, spec)) {
    return JsonFault(403, "an admin of region " + scope + " cannot move a camera out of it");
  }
  wire::CameraSpec clean = camera::SpecFromConfig(*camera);
  if (Status s = store_.Put({clean}); !s.ok()) return JsonFault(s.error());
  spdlog::info("registry: camera {} ({}) changed", clean.id(), clean.name());
  control_.MarkDirty();
  return GetCamera(id);
}

HttpReply RegistryApi::RemoveCamera(const std::string& id, const std::string& scope) {
  const RegisteredCamera* c = store_.Find(id);
  if (!c || !RegionMatches(scope, c->spec.region(), id)) return JsonFault(404, "no camera " + id);
  const std::string name = c->spec.name();
  auto removed = store_.Remove(id);
  if (!removed.ok()) return JsonFault(removed.error());
  spdlog::info("registry: camera {} ({}) removed", id, name);
  control_.MarkDirty();
  on_removed_(id);
  return JsonReply(200, json{{"removed", id}});
}

HttpReply RegistryApi::Import(const HttpRequest& r, const std::string& scope) {
  const bool dry_run = r.query.count("dry_run") && r.query.at("dry_run") != "0";
  if (r.body.size() > kMaxCsvBytes) return JsonFault(413, "the file is too large (at most 32 MiB per import)");
  auto csv = ParseCameraCsv(r.body, [&](const std::string& id) { return store_.Find(id) != nullptr; });
  if (!csv.ok()) return JsonFault(csv.error());
  if (!scope.empty()) {  // a region's admin imports only into that region: other rows are refused
    auto& valid = csv->valid;
    for (auto it = valid.begin(); it != valid.end();) {
      if (InsideScope(scope, *it)) {
        ++it;
        continue;
      }
      csv->errors.push_back({0, "camera " + it->id() + ": region " + it->region() + " is outside " + scope});
      it = valid.erase(it);
    }
  }
  if (!dry_run && !csv->valid.empty()) {
    if (Status s = store_.Put(csv->valid); !s.ok()) return JsonFault(s.error());
    control_.MarkDirty();
  }
  json errors = json::array();
  for (const CsvRowError& e : csv->errors) errors.push_back({{"row", e.row}, {"reason", e.reason}});
  json ids = json::array();
  for (const auto& spec : csv->valid) ids.push_back(spec.id());
  spdlog::info("registry: import of {} rows: {} {}, {} refused", csv->rows, csv->valid.size(),
               dry_run ? "valid (dry run)" : "added", csv->errors.size());
  return JsonReply(200, json{{"rows", csv->rows},
                             {"valid", csv->valid.size()},
                             {"applied", dry_run ? 0 : csv->valid.size()},
                             {"dry_run", dry_run},
                             {"ids", ids},
                             {"errors", errors}});
}

HttpReply RegistryApi::Workers() {
  json out = json::array();
  const int64_t now = MonotonicMs();
  for (const WorkerInfo& w : control_.Workers()) {
    json j = {{"id", w.id},
              {"live", w.live},
              {"cameras", w.cameras},
              {"silent_s", w.last_seen_ms ? (now - w.last_seen_ms) / 1000.0 : -1},
              {"up_to_date", w.applied_version >= w.sent_version && w.sent_version > 0}};
    auto load = states_.worker_cpu().find(w.id);
    j["cpu_cores"] = load == states_.worker_cpu().end() ? 0.0 : load->second;
    j["http"] = w.http_url;
    out.push_back(j);
  }
  return JsonReply(200, out);
}

HttpReply RegistryApi::StatusReport(const std::string& scope) {
  std::vector<json> rows;
  json totals = {{"cameras", 0}, {"handed", 0}};
  std::map<std::string, int> by_state;
  int handed = 0;
  size_t cameras = 0;
  for (const auto& [id, c] : store_.cameras()) {
    if (!RegionMatches(scope, c.spec.region(), id)) continue;
    ++cameras;
    auto s = states_.cameras().find(id);
    const wire::Camera* state = s == states_.cameras().end() ? nullptr : &s->second;
    const bool h = control_.Handed(id);
    handed += h;
    json j = CameraJson(c, state, h);
    j["trouble"] = state ? (c.spec.enabled() ? Trouble(*state) : 0) : (c.spec.enabled() ? 3 : 0);
    by_state[j["state"].get<std::string>()]++;
    rows.push_back(std::move(j));
  }
  // Worst first; within the same trouble, the longest in that state first.
  std::stable_sort(rows.begin(), rows.end(), [](const json& a, const json& b) {
    if (a["trouble"] != b["trouble"]) return a["trouble"].get<int>() > b["trouble"].get<int>();
    return a.value("since_ms", int64_t(0)) < b.value("since_ms", int64_t(0));
  });
  totals["cameras"] = cameras;
  totals["handed"] = handed;
  totals["by_state"] = by_state;
  return JsonReply(200, json{{"totals", totals}, {"cameras", rows}});
}

}  // namespace xl::router
