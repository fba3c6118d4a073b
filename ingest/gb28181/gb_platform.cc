#include "ingest/gb28181/gb_platform.h"

#include "common/clock.h"
#include "common/json_text.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "proto/camera/camera_id.h"
#include "proto/gb28181/channel_url.h"
#include "proto/gb28181/ptz.h"

namespace xl::gb28181 {

Result<std::unique_ptr<GbPlatform>> GbPlatform::Start(std::string worker_id, const GbConfig& config, Hooks hooks) {
  std::unique_ptr<GbPlatform> p(new GbPlatform(std::move(worker_id), std::move(hooks)));
  GbPlatform* self = p.get();
  auto sip = SipServer::Start(config, [self](const GbEvent& e, const GbDevice& d) { self->OnEvent(e, d); });
  if (!sip.ok()) return sip.error();
  p->sip_ = std::move(sip.value());
  spdlog::info("worker {}: GB28181 platform {} (realm {}) on UDP and TCP {}:{}", p->worker_id_, config.id, config.realm,
               config.bind, p->sip_->port());
  return p;
}

void GbPlatform::ReportCatalogs() {
  for (const auto& [id, d] : sip_->registrar().devices()) {
    if (d.registered && !d.catalog.empty()) ReportChannels(d);  // the last complete one
  }
}

void GbPlatform::ReportChannels(const GbDevice& d) {
  wire::GbChannels report;
  report.set_worker(worker_id_);
  report.set_device_id(d.id);
  for (const auto& [cid, item] : d.catalog) {
    if (!IsGbId(cid)) continue;
    if (cid[10] == '2') continue;  // type 2xx: a platform, business group or organisation, not video
    wire::CameraSpec* spec = report.add_channels();
    spec->set_id(cid);
    spec->set_name(item.name.empty() ? cid : item.name);
    // The region: the channel's civil code when it is a region code, else the ID's town.
    if (ValidateRegionCode(item.civil_code).ok()) spec->set_region(item.civil_code);
    spec->set_url(GbUrl({d.id, cid, ""}));
    spec->set_enabled(true);
    spec->set_pinned_worker(worker_id_);
  }
  hooks_.report_channels(report);
}

Result<std::string> GbPlatform::Ptz(const std::string& device, const std::string& channel, const std::string& action,
                                    int speed, int preset) {
  auto cmd = PtzCmdFor(action, speed, preset);
  if (!cmd.ok()) return cmd.error();
  if (Status s = sip_->Ptz(device, channel, cmd.value()); !s.ok()) return NotFound(s.message());
  spdlog::info("gb28181 device {}: PTZ {} {} for {}", device, action, cmd.value(), channel.empty() ? device : channel);
  return cmd;
}

void GbPlatform::OnEvent(const GbEvent& e, const GbDevice& d) {
  const char* what = e.kind == GbEvent::kRegistered     ? "registered"
                     : e.kind == GbEvent::kUnregistered ? "unregistered"
                     : e.kind == GbEvent::kRefused      ? "refused"
                     : e.kind == GbEvent::kOnline       ? "online"
                     : e.kind == GbEvent::kOffline      ? "offline"
                     : e.kind == GbEvent::kCatalog      ? "catalog"
                     : e.kind == GbEvent::kCallLimit    ? "call limit"
                     : e.kind == GbEvent::kMoved        ? "moved"
                     : e.kind == GbEvent::kAlarm        ? "alarm"
                                                        : "device info";
  const std::string name = d.name.empty() ? "" : " (" + d.name + ")";
  if (e.kind == GbEvent::kRefused || e.kind == GbEvent::kOffline || e.kind == GbEvent::kCallLimit) {
    spdlog::warn("gb28181 device {}{}: {}: {}", e.device_id, name, what, e.detail);
  } else {
    spdlog::info("gb28181 device {}{}: {}: {}", e.device_id, name, what, e.detail);
  }
  if (e.kind == GbEvent::kCatalog) ReportChannels(d);
  const bool back = e.kind == GbEvent::kOnline || e.kind == GbEvent::kCatalog;
  const bool gone = e.kind == GbEvent::kOffline || e.kind == GbEvent::kUnregistered;
  if (back || gone) {
    hooks_.device_changed(e.device_id, back, "device " + e.device_id + " " + what + ": " + e.detail);
  }
}

HttpReply GbPlatform::Devices(const GbPlatform* p) {
  nlohmann::json devices = nlohmann::json::array();
  if (p) {
    for (const auto& [id, d] : p->sip_->registrar().devices()) {
      nlohmann::json channels = nlohmann::json::array();
      for (const auto& [cid, c] : d.catalog) {
        channels.push_back({{"id", c.device_id},
                            {"name", c.name},
                            {"civil_code", c.civil_code},
                            {"parent_id", c.parent_id},
                            {"status", c.status},
                            {"manufacturer", c.manufacturer},
                            {"model", c.model}});
      }
      devices.push_back({{"id", id},
                         {"name", d.name},
                         {"manufacturer", d.manufacturer},
                         {"model", d.model},
                         {"firmware", d.firmware},
                         {"registered", d.registered},
                         {"online", d.online},
                         {"address", d.peer.ToString()},
                         {"heard_ms_ago", p->sip_->Now() - d.last_heard_ms},  // last REGISTER or keepalive
                         {"catalog_complete", d.catalog_complete},
                         {"catalog_sum", d.catalog_sum},
                         {"max_calls", d.max_calls},
                         {"max_calls_learned", d.calls_learned},
                         {"calls", p->sip_->registrar().ActiveCalls(id)},
                         {"calls_waiting", p->sip_->registrar().WaitingCalls(id)},
                         {"alarms", d.alarms},
                         {"recent_alarms", d.recent_alarms},
                         {"channels", channels}});
    }
  }
  nlohmann::json body = {{"enabled", p != nullptr}, {"devices", devices}};
  if (p) {
    const SipServer::Counters& c = p->sip_->counters();
    body["sip"] = {{"received", c.received},       {"malformed", c.malformed},     {"sent", c.sent},
                   {"slow_closed", c.slow_closed}, {"idle_closed", c.idle_closed}, {"refused_tcp", c.refused_tcp}};
  }
  return {200, "application/json", JsonText(body)};
}

HttpReply GbPlatform::PtzRequest(GbPlatform* p, const HttpRequest& request) {
  auto fail = [](int status, const std::string& reason) {
    return HttpReply{status, "application/json", JsonText(nlohmann::json{{"error", reason}})};
  };
  if (request.method != "POST") return fail(405, "POST only");
  if (!p) return fail(404, "GB28181 is not enabled on this worker");
  const nlohmann::json j = nlohmann::json::parse(request.body, nullptr, false);
  if (!j.is_object() || !j.contains("device") || !j["device"].is_string() || !j.contains("action") ||
      !j["action"].is_string()) {
    return fail(400, "expected a JSON object with \"device\" and \"action\" (and \"channel\", \"speed\", \"preset\")");
  }
  int speed = 128, preset = 0;
  std::string channel;
  try {
    speed = j.value("speed", 128);
    preset = j.value("preset", 0);
    channel = j.value("channel", std::string());
  } catch (const nlohmann::json::exception&) {
    return fail(400, "\"speed\" and \"preset\" must be numbers, \"channel\" text");
  }
  const std::string action = j["action"].get<std::string>();
  auto sent = p->Ptz(j["device"].get<std::string>(), channel, action, speed, preset);
  if (!sent.ok()) return fail(HttpStatusOf(sent.error().code), sent.error().message);
  return {200, "application/json", JsonText(nlohmann::json{{"ptz_cmd", sent.value()}})};
}

}  // namespace xl::gb28181
