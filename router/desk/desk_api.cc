#include "router/desk/desk_api.h"

#include <glib.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/off_loop.h"
#include "proto/camera/camera_id.h"
#include "proto/wire/wire.h"
#include "router/json_reply.h"

namespace xl::router {

namespace {

using json = nlohmann::json;
constexpr const char* kCookie = "xl_session";
constexpr int kScanPage = 2000;               // events read at a time for an alert list
constexpr size_t kMaxScannedEvents = 200000;  // and at most this many per request
constexpr int64_t kMaxScanMs = 250;           // or for this long on the loop thread

// The session cookie: never for scripts, never sent by another site's page, and over TLS
// (direct or behind a proxy that says so) never sent over plain HTTP.
std::string SessionCookie(bool secure, const std::string& value, bool clear) {
  return std::string(kCookie) + "=" + value + "; Path=/; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "") +
         (clear ? "; Max-Age=0" : "");
}

json UserJson(const DeskUser& u) {
  return {{"user", u.name}, {"role", u.role}, {"region", u.region}, {"disabled", u.disabled}};
}

// A JSON object body, or why not (kInvalidArgument).
Result<json> ObjectBody(const HttpRequest& r) {
  json j = json::parse(r.body.empty() ? "{}" : r.body, nullptr, false);
  if (j.is_discarded()) return Error{"the body is not valid JSON"};
  if (!j.is_object()) return Error{"the body must be a JSON object"};
  return j;
}

// A text field of `j` ("" when absent); false when present but not text.
bool TextField(const json& j, const char* name, std::string* out) {
  if (!j.contains(name)) return true;
  if (!j[name].is_string()) return false;
  *out = j[name].get<std::string>();
  return true;
}

// True when `user` lies inside `admin`'s region (an admin of the whole system sees everyone).
bool InRegion(const DeskUser& admin, const DeskUser& user) {
  return admin.region.empty() || (!user.region.empty() && user.region.rfind(admin.region, 0) == 0);
}

}  // namespace

std::optional<DeskUser> DeskApi::Authenticate(const std::map<std::string, std::string>& cookies) {
  auto it = cookies.find(kCookie);
  if (it == cookies.end()) return std::nullopt;
  return s_.users.SessionUser(it->second, NowMs());
}

bool DeskApi::Handles(const std::string& path) {
  return path == "/api/login" || path == "/api/logout" || path == "/api/me" || path == "/api/me/password" ||
         path == "/api/users" || path.starts_with("/api/users/") || path.starts_with("/api/desk/");
}

std::optional<HttpReply> DeskApi::Handle(const HttpRequest& r, const HttpServer::Responder& respond) {
  if (r.path == "/api/login") {
    if (r.method != "POST") return JsonFault(405, "POST {user, password} to log in");
    return Login(r, respond);
  }
  auto me = Authenticate(r.cookies);
  if (!me) return JsonFault(401, "log in first (POST /api/login)");
  if (r.path == "/api/logout") {
    s_.users.EndSession(r.cookies.at(kCookie));
    HttpReply out{204, "application/json", ""};
    out.headers.emplace_back("Set-Cookie", SessionCookie(r.secure, "", true));
    return out;
  }
  if (r.path == "/api/me") return JsonReply(200, UserJson(*me));
  if (r.path == "/api/me/password") {
    if (r.method != "POST") return JsonFault(405, "POST {old_password, new_password}");
    return ChangeOwnPassword(r, *me, respond);
  }
  if (r.path == "/api/users") return Users(r, *me, respond);
  if (r.path.starts_with("/api/users/")) {
    gchar* name = g_uri_unescape_string(r.path.substr(11).c_str(), nullptr);  // names may be Chinese
    const std::string user = name ? name : "";
    g_free(name);
    return ChangeUser(r, user, *me, respond);
  }
  if (r.method == "GET" && r.path == "/api/desk/cameras") return Cameras(*me);
  if (r.method == "GET" && r.path == "/api/desk/tree") return Tree(*me);
  if (r.method == "GET" && r.path == "/api/desk/health") return Health(*me);
  if (r.method == "GET" && r.path == "/api/desk/system") return JsonReply(200, {{"problems", s_.problems.Json()}});
  if (r.path == "/api/desk/ptz") {
    if (r.method != "POST") return JsonFault(405, "POST {camera, action, speed, preset}");
    return Ptz(r, *me);
  }
  if (!r.path.starts_with("/api/desk/alerts")) return JsonFault(404, "no such endpoint");
  const std::string rest = r.path.substr(std::string("/api/desk/alerts").size());
  if (rest.empty() || rest == "/") {
    if (r.method != "GET") return JsonFault(405, "GET the alerts");
    return Alerts(r, *me);
  }
  const std::string tail = rest.substr(1);
  const size_t slash = tail.find('/');
  if (slash == std::string::npos) {
    if (r.method != "GET") return JsonFault(405, "GET an alert");
    return Alert(tail, *me);
  }
  if (r.method == "GET" && tail.substr(slash + 1) == "snapshot") return Snapshot(tail.substr(0, slash), *me);
  if (r.method != "POST") return JsonFault(405, "POST a handling step");
  return Step(tail.substr(0, slash), tail.substr(slash + 1), r, *me);
}

bool DeskApi::OffLoop(std::function<Hashed()> work, std::function<void(Hashed)> done) {
  if (hashing_ >= kMaxHashing) return false;
  ++hashing_;
  RunOffLoop<Hashed>(
      std::move(work),
      [this, done = std::move(done)](Hashed h) {
        --hashing_;
        done(std::move(h));
      },
      alive_);
  return true;
}

HttpReply DeskApi::SlowDown(int64_t wait_ms, const std::string& why) {
  const int64_t seconds = (wait_ms + 999) / 1000;
  HttpReply slow = JsonFault(429, why + ": try again in " + std::to_string(seconds) + " s");
  slow.headers.emplace_back("Retry-After", std::to_string(seconds));
  return slow;
}

HttpReply DeskApi::Busy() {
  HttpReply busy = JsonFault(503, "the router is checking other passwords: try again in a second");
  busy.headers.emplace_back("Retry-After", "1");
  return busy;
}

void DeskApi::UserChanged(const std::string& name) {
  if (s_.on_user_changed) s_.on_user_changed(name);
}

std::optional<HttpReply> DeskApi::Login(const HttpRequest& r, const HttpServer::Responder& respond) {
  auto body = ObjectBody(r);
  if (!body.ok()) return JsonFault(body.error());
  const json& j = *body;
  std::string name, password;
  if (!TextField(j, "user", &name) || !TextField(j, "password", &password) || name.empty()) {
    return JsonFault(400, "expected {\"user\": text, \"password\": text}");
  }
  if (const int64_t wait = throttle_.WaitMs(name, r.peer, NowMs()); wait > 0) {
    return SlowDown(wait, "too many failed logins for this user or from this address");
  }
  // Unknown and disabled users cost a hash too: timing tells nobody apart.
  const auto creds = s_.users.CredentialsOf(name);
  const std::string hash = creds ? creds->password_hash : "";
  const bool learn_digest = creds && !creds->has_rtsp_digest;
  auto work = [hash, name, password, learn_digest] {
    Hashed h;
    h.matched = PasswordMatches(hash, password);
    if (h.matched && learn_digest) h.hashes.rtsp_ha1 = RtspDigest(name, password);
    return h;
  };
  auto done = [this, name, peer = r.peer, secure = r.secure, respond](Hashed h) {
    auto user = s_.users.Find(name);  // as it is now: it may have been disabled meanwhile
    if (!h.matched || !user) {
      if (throttle_.Failed(name, peer, NowMs())) {
        spdlog::warn("desk: login refused for user '{}' from {}: failed {}+ times in a row, slowed down", name, peer,
                     LoginThrottle::kFreeFailures);
      } else {
        spdlog::warn("desk: login refused for user '{}' from {}{}", name, peer,
                     h.matched ? " (the user is disabled)" : "");
      }
      return respond(JsonFault(401, "wrong user or password"));
    }
    throttle_.Succeeded(name, peer);
    if (!h.hashes.rtsp_ha1.empty() && s_.users.SetRtspDigest(name, h.hashes.rtsp_ha1).ok()) UserChanged(name);
    auto token = s_.users.StartSession(user->name, NowMs());
    if (!token.ok()) return respond(JsonFault(token.error()));
    spdlog::info("desk: {} ({}) logged in from {}", user->name, user->role, peer);
    HttpReply out = JsonReply(200, UserJson(*user));
    out.headers.emplace_back("Set-Cookie", SessionCookie(secure, token.value(), false));
    respond(std::move(out));
  };
  if (!OffLoop(work, done)) return Busy();
  return std::nullopt;
}

std::optional<HttpReply> DeskApi::Users(const HttpRequest& r, const DeskUser& me,
                                        const HttpServer::Responder& respond) {
  if (me.role != "admin") return JsonFault(403, "only an admin manages users");
  if (r.method == "GET") {
    json out = json::array();
    for (const DeskUser& u : s_.users.List()) {
      if (InRegion(me, u)) out.push_back(UserJson(u));
    }
    return JsonReply(200, out);
  }
  if (r.method != "POST") return JsonFault(405, "GET or POST users");
  auto body = ObjectBody(r);
  if (!body.ok()) return JsonFault(body.error());
  const json& j = *body;
  DeskUser u;
  std::string password;
  if (!TextField(j, "user", &u.name) || !TextField(j, "password", &password) || !TextField(j, "role", &u.role) ||
      !TextField(j, "region", &u.region)) {
    return JsonFault(400, "expected {\"user\", \"password\", \"role\", \"region\"} as text");
  }
  if (!InRegion(me, u)) {
    return JsonFault(403,
                     "an admin of region " + me.region + " creates users only inside it (region " + me.region + "…)");
  }
  if (Status s = CheckPasswordRule(password); !s.ok()) return JsonFault(s.error());
  if (Status s = s_.users.ValidateNew(u); !s.ok()) return JsonFault(s.error());
  auto work = [name = u.name, password] { return Hashed{false, HashPassword(name, password)}; };
  auto done = [this, u, admin = me.name, respond](Hashed h) {
    if (Status s = s_.users.Add(u, h.hashes); !s.ok()) return respond(JsonFault(s.error()));
    spdlog::info("desk: {} added user {} ({}, region {})", admin, u.name, u.role, u.region.empty() ? "all" : u.region);
    UserChanged(u.name);
    respond(JsonReply(201, UserJson(u)));
  };
  if (!OffLoop(work, done)) return Busy();
  return std::nullopt;
}

std::optional<HttpReply> DeskApi::ChangeUser(const HttpRequest& r, const std::string& name, const DeskUser& me,
                                             const HttpServer::Responder& respond) {
  if (me.role != "admin") return JsonFault(403, "only an admin manages users");
  auto target = s_.users.Get(name);
  if (!target || !InRegion(me, *target)) return JsonFault(404, "no user " + name);
  if (name == me.name) {
    return JsonFault(403,
                     "an admin does not change or remove their own account here (POST /api/me/password for "
                     "the password; another admin for the rest)");
  }
  if (r.method == "DELETE") {
    if (Status s = s_.users.Remove(name); !s.ok()) return JsonFault(s.error());
    spdlog::info("desk: {} removed user {}", me.name, name);
    UserChanged(name);
    return HttpReply{204, "application/json", ""};
  }
  if (r.method != "PATCH") return JsonFault(405, "PATCH {role, region, disabled, password} or DELETE a user");
  auto body = ObjectBody(r);
  if (!body.ok()) return JsonFault(body.error());
  const json& j = *body;
  DeskUser changed = *target;
  std::string password;
  if (!TextField(j, "role", &changed.role) || !TextField(j, "region", &changed.region) ||
      !TextField(j, "password", &password) || (j.contains("disabled") && !j["disabled"].is_boolean())) {
    return JsonFault(400, "expected {\"role\", \"region\", \"password\"} as text, \"disabled\" true or false");
  }
  if (j.contains("disabled")) changed.disabled = j["disabled"].get<bool>();
  if (!InRegion(me, changed)) {
    return JsonFault(403, "an admin of region " + me.region + " keeps users inside it (region " + me.region + "…)");
  }
  if (j.contains("password")) {
    if (Status s = CheckPasswordRule(password); !s.ok()) return JsonFault(s.error());
  }
  // Role, region and the switch apply now; a new password once hashed.
  const bool moved = changed.role != target->role || changed.region != target->region;
  if (moved) {
    if (Status s = s_.users.SetRoleAndRegion(name, changed.role, changed.region); !s.ok()) return JsonFault(s.error());
  }
  if (changed.disabled != target->disabled) {
    if (Status s = s_.users.SetDisabled(name, changed.disabled); !s.ok()) return JsonFault(s.error());
  }
  if (moved || changed.disabled != target->disabled) {
    spdlog::info("desk: {} changed user {}: {}, region {}{}", me.name, name, changed.role,
                 changed.region.empty() ? "all" : changed.region, changed.disabled ? ", disabled" : "");
    UserChanged(name);
  }
  if (!j.contains("password")) return JsonReply(200, UserJson(changed));
  auto work = [name, password] { return Hashed{false, HashPassword(name, password)}; };
  auto done = [this, changed, admin = me.name, respond](Hashed h) {
    if (Status s = s_.users.SetPassword(changed.name, h.hashes); !s.ok()) return respond(JsonFault(s.error()));
    spdlog::info("desk: {} set a new password for user {}", admin, changed.name);
    UserChanged(changed.name);
    respond(JsonReply(200, UserJson(changed)));
  };
  if (!OffLoop(work, done)) return Busy();
  return std::nullopt;
}

std::optional<HttpReply> DeskApi::ChangeOwnPassword(const HttpRequest& r, const DeskUser& me,
                                                    const HttpServer::Responder& respond) {
  auto body = ObjectBody(r);
  if (!body.ok()) return JsonFault(body.error());
  std::string old_password, new_password;
  if (!TextField(*body, "old_password", &old_password) || !TextField(*body, "new_password", &new_password)) {
    return JsonFault(400, "expected {\"old_password\", \"new_password\"} as text");
  }
  if (Status s = CheckPasswordRule(new_password); !s.ok()) return JsonFault(s.error());
  if (const int64_t wait = throttle_.WaitMs(me.name, r.peer, NowMs()); wait > 0) {
    return SlowDown(wait, "too many wrong passwords");
  }
  const auto creds = s_.users.CredentialsOf(me.name);
  auto work = [hash = creds ? creds->password_hash : "", name = me.name, old_password, new_password] {
    Hashed h;
    h.matched = PasswordMatches(hash, old_password);
    if (h.matched) h.hashes = HashPassword(name, new_password);
    return h;
  };
  auto done = [this, name = me.name, peer = r.peer, secure = r.secure, respond](Hashed h) {
    if (!h.matched) {
      throttle_.Failed(name, peer, NowMs());
      spdlog::warn("desk: {} gave a wrong old password from {}", name, peer);
      return respond(JsonFault(403, "the old password is wrong"));
    }
    if (Status s = s_.users.SetPassword(name, h.hashes); !s.ok()) return respond(JsonFault(s.error()));
    spdlog::info("desk: {} changed their password (their other sessions ended)", name);
    UserChanged(name);
    auto user = s_.users.Find(name);
    auto token = s_.users.StartSession(name, NowMs());
    if (!user || !token.ok()) return respond(JsonFault(401, "log in again"));
    HttpReply out = JsonReply(200, UserJson(*user));
    out.headers.emplace_back("Set-Cookie", SessionCookie(secure, token.value(), false));
    respond(std::move(out));
  };
  if (!OffLoop(work, done)) return Busy();
  return std::nullopt;
}

HttpReply DeskApi::Alerts(const HttpRequest& r, const DeskUser& me) {
  int limit = 200;
  uint64_t before = UINT64_MAX;
  try {
    if (auto it = r.query.find("limit"); it != r.query.end()) limit = std::stoi(it->second);
    if (auto it = r.query.find("before"); it != r.query.end()) before = std::stoull(it->second);
  } catch (...) {
    return JsonFault(400, "limit and before must be numbers");
  }
  if (limit < 1 || limit > 5000) return JsonFault(400, "limit must be 1 to 5000");
  const std::string kind = r.query.count("kind") ? r.query.at("kind") : "";
  const std::string region = r.query.count("region") ? r.query.at("region") : "";
  const std::string state = r.query.count("state") ? r.query.at("state") : "";
  const int64_t now = NowMs(), started = MonotonicMs();
  // Newest first, a page at a time, as far back as it takes to fill `limit` (filters may
  // skip many events: an old alert nobody acknowledged must still be found by state=new) —
  // but no further than kMaxScannedEvents or kMaxScanMs on the loop thread. A list cut short
  // says where it stopped (X-Xl-Next-Before): ask again with before=<that> for more.
  json out = json::array();
  size_t scanned = 0;
  bool exhausted = false;
  while (int(out.size()) < limit) {
    if (scanned >= kMaxScannedEvents || MonotonicMs() - started > kMaxScanMs) break;
    auto events = s_.log.RecentEvents(kScanPage, before);
    if (!events.ok()) return JsonFault(events.error());
    scanned += events->size();
    if (events->size() < size_t(kScanPage)) exhausted = true;
    std::vector<const EventSummary*> visible;
    std::vector<std::string> ids;
    for (const EventSummary& e : events.value()) {
      if (!Sees(me, e.region, e.camera_id) || (!kind.empty() && e.kind != kind)) continue;
      if (!region.empty() && !RegionMatches(region, e.region, e.camera_id)) continue;
      visible.push_back(&e);
      ids.push_back(e.id);
    }
    const std::map<std::string, std::string> states = s_.desk.StatesOf(ids);
    for (const EventSummary* e : visible) {
      const std::string& handling = states.at(e->id);
      if (!state.empty() && handling != state) continue;
      out.push_back({{"id", e->id},
                     {"camera", e->camera_id},
                     {"region", e->region},
                     {"kind", e->kind},
                     {"start_ms", e->start_ms},
                     {"ended", e->ended},
                     {"state", handling},
                     {"overdue", handling == "new" && now - e->start_ms > s_.overdue_ms}});
      before = e->last_seq;
      if (int(out.size()) >= limit) break;
    }
    if (exhausted) break;
    if (int(out.size()) < limit && !events->empty()) before = events->back().last_seq;
  }
  HttpReply reply = JsonReply(200, out);
  if ((!exhausted || int(out.size()) >= limit) && before != UINT64_MAX)
    reply.headers.emplace_back("X-Xl-Next-Before", std::to_string(before));
  return reply;
}

Result<std::vector<wire::LoggedAlert>> DeskApi::VisibleEvent(const std::string& id, const DeskUser& me) {
  auto messages = s_.log.EventMessages(id);
  if (!messages.ok()) return Internal(messages.error().message);
  if (messages->empty() || !Sees(me, messages->front().alert().region(), messages->front().alert().camera_id())) {
    return NotFound("no alert " + id);
  }
  return std::move(messages.value());
}

HttpReply DeskApi::Alert(const std::string& id, const DeskUser& me) {
  auto messages = VisibleEvent(id, me);
  if (!messages.ok()) return JsonFault(messages.error());
  const auto& event = *messages;
  json phases = json::array();
  std::set<std::string> labels;  // object events: every label seen
  for (const wire::LoggedAlert& m : event) {
    const wire::Alert& a = m.alert();
    json boxes = json::array();
    for (const wire::Box& b : a.boxes()) boxes.push_back({b.x(), b.y(), b.w(), b.h(), b.score(), b.label()});
    labels.insert(a.labels().begin(), a.labels().end());
    phases.push_back({{"seq", m.seq()},
                      {"phase", PhaseName(a.phase())},
                      {"time_ms", a.time_ms()},
                      {"boxes", boxes},
                      {"score", a.score()},
                      {"snapshot_bytes", a.snapshot_jpeg().size()},
                      {"clip", a.clip_path()},
                      {"end_reason", a.end_reason()}});
  }
  json history = json::array();
  std::vector<HandlingStep> steps = s_.desk.History(id);
  json responder = nullptr;  // who acknowledged first, wherever
  for (const HandlingStep& s : steps) {
    history.push_back({{"step", s.step},
                       {"user", s.user},
                       {"unit", s.unit},
                       {"note", s.note},
                       {"at_ms", s.at_ms},
                       {"site", s.site},
                       {"applied", s.applied}});
    if (s.step == "ack" && s.applied) responder = {{"user", s.user}, {"site", s.site}, {"at_ms", s.at_ms}};
  }
  const wire::Alert& first = event.front().alert();
  return JsonReply(200, {{"id", id},
                         {"camera", first.camera_id()},
                         {"camera_name", first.camera_name()},
                         {"site", first.site()},
                         {"region", first.region()},
                         {"kind", KindName(first.kind())},
                         {"labels", labels},
                         {"start_ms", first.start_ms()},
                         {"state", AlertDesk::Replay(steps)},
                         {"responder", responder},
                         {"messages", phases},
                         {"history", history}});
}

HttpReply DeskApi::Step(const std::string& id, const std::string& step, const HttpRequest& r, const DeskUser& me) {
  auto messages = VisibleEvent(id, me);
  if (!messages.ok()) return JsonFault(messages.error());
  const auto& event = *messages;
  auto body = ObjectBody(r);
  if (!body.ok()) return JsonFault(body.error());
  const json& j = *body;
  HandlingStep s{step, me.name, "", "", NowMs()};
  if (!TextField(j, "note", &s.note) || !TextField(j, "unit", &s.unit)) {
    return JsonFault(400, "\"note\" and \"unit\" must be text");
  }
  const wire::Alert& first = event.front().alert();
  auto done = s_.desk.Advance({id, first.camera_id(), first.region(), first.site()}, s);
  if (!done.ok()) return JsonFault(done.error());
  const std::string state = *done;
  spdlog::info("desk: alert {} {} by {}{}{}", id, state, me.name, s.unit.empty() ? "" : " to " + s.unit,
               s.note.empty() ? "" : ": " + s.note);
  if (s_.on_step) s_.on_step(id, first.camera_id(), first.region(), state, step, me.name);
  return JsonReply(200, {{"id", id}, {"state", state}});
}

namespace {

// online: frames flow and no fault is open; fault: frames flow with a fault open; off:
// switched off; offline: anything else (no signal).
std::string HealthOf(const RegisteredCamera& c, const wire::Camera* state) {
  if (!c.spec.enabled()) return "disabled";
  if (!state || state->state() != wire::CAMERA_STATE_ONLINE) return "offline";
  return state->faults_size() > 0 ? "fault" : "online";
}

json CameraJson(const RegisteredCamera& c, const wire::Camera* state) {
  json faults = json::array();
  if (state) {
    for (int k : state->faults()) faults.push_back(KindName(wire::AlertKind(k)));
  }
  return {{"id", c.spec.id()},
          {"name", c.spec.name()},
          {"region", c.spec.region()},
          {"state", state ? StateName(state->state()) : "unknown"},
          {"reason", state ? state->reason() : ""},
          {"since_ms", state ? state->since_ms() : 0},
          {"health", HealthOf(c, state)},
          {"faults", faults},
          {"codec", state ? state->codec() : ""},
          {"ptz", c.spec.url().rfind("gb28181://", 0) == 0},
          {"motion_suppressed", state ? state->motion_suppressed() : 0.f},
          {"site", ""}};
}

// A camera of a router below, as its catalog came up (router/cascade/): health "link_down"
// (and state "link_down") while a link to it is down, whatever it was last seen doing.
json RemoteCameraJson(const wire::Camera& c) {
  json faults = json::array();
  for (int k : c.faults()) faults.push_back(KindName(wire::AlertKind(k)));
  const std::string health = c.link_down()                              ? "link_down"
                             : c.state() == wire::CAMERA_STATE_DISABLED ? "disabled"
                             : c.state() != wire::CAMERA_STATE_ONLINE   ? "offline"
                             : c.faults_size() > 0                      ? "fault"
                                                                        : "online";
  return {{"id", c.id()},
          {"name", c.name()},
          {"region", c.region()},
          {"state", c.link_down() ? "link_down" : StateName(c.state())},
          {"reason", c.reason()},
          {"since_ms", c.since_ms()},
          {"health", health},
          {"faults", faults},
          {"codec", c.codec()},
          {"ptz", c.ptz()},
          {"motion_suppressed", c.motion_suppressed()},
          {"site", c.site()}};
}

}  // namespace

Result<DeskApi::ClipPlace> DeskApi::ClipOf(const std::string& id, const DeskUser& me) {
  auto messages = VisibleEvent(id, me);
  if (!messages.ok()) return messages.error();
  return PlaceOf(id, *messages);
}

Result<DeskApi::ClipPlace> DeskApi::ClipOfEvent(const std::string& id) {
  auto messages = s_.log.EventMessages(id);
  if (!messages.ok()) return Internal(messages.error().message);
  if (messages->empty()) return NotFound("no alert " + id);
  return PlaceOf(id, *messages);
}

Result<DeskApi::ClipPlace> DeskApi::PlaceOf(const std::string& id, const std::vector<wire::LoggedAlert>& event) {
  for (auto it = event.rbegin(); it != event.rend(); ++it) {
    const wire::Alert& a = it->alert();
    if (!a.clip_path().empty()) return ClipPlace{a.worker(), a.clip_path(), a.site()};
  }
  return NotFound("alert " + id + " has no clip (its worker keeps none, or the kind has none)");
}

HttpReply DeskApi::Snapshot(const std::string& id, const DeskUser& me) {
  auto messages = VisibleEvent(id, me);
  if (!messages.ok()) return JsonFault(messages.error());
  const auto& event = *messages;
  for (auto it = event.rbegin(); it != event.rend(); ++it) {
    if (!it->alert().snapshot_jpeg().empty()) return {200, "image/jpeg", it->alert().snapshot_jpeg()};
  }
  return JsonFault(404, "alert " + id + " has no snapshot");
}

HttpReply DeskApi::Ptz(const HttpRequest& r, const DeskUser& me) {
  auto body = ObjectBody(r);
  if (!body.ok()) return JsonFault(body.error());
  const json& j = *body;
  wire::PtzCommand c;
  std::string camera, action;
  if (!TextField(j, "camera", &camera) || !TextField(j, "action", &action) || camera.empty() || action.empty()) {
    return JsonFault(400, "expected {\"camera\", \"action\"} as text");
  }
  const auto region = s_.region_of(camera);  // here, or below: the command goes down the link
  if (!region || !Sees(me, *region, camera)) return JsonFault(404, "no camera " + camera);
  c.set_camera_id(camera);
  c.set_action(action);
  if (j.contains("speed") && j["speed"].is_number_unsigned()) c.set_speed(j["speed"].get<uint32_t>());
  if (j.contains("preset") && j["preset"].is_number_unsigned()) c.set_preset(j["preset"].get<uint32_t>());
  if (Status st = s_.ptz(c); !st.ok()) return JsonFault(400, st.message());
  spdlog::info("desk: {} PTZ {} on camera {}", me.name, action, camera);
  return JsonReply(200, {{"camera", camera}, {"action", action}});
}

std::vector<json> DeskApi::VisibleCameras(const DeskUser& me) const {
  std::vector<json> out;
  for (const auto& [id, c] : s_.store.cameras()) {
    if (!Sees(me, c.spec.region(), id)) continue;
    auto st = s_.states.cameras().find(id);
    out.push_back(CameraJson(c, st == s_.states.cameras().end() ? nullptr : &st->second));
  }
  if (s_.remote_cameras) {
    for (const wire::Camera& c : s_.remote_cameras()) {
      if (Sees(me, c.region(), c.id())) out.push_back(RemoteCameraJson(c));
    }
  }
  return out;
}

HttpReply DeskApi::Cameras(const DeskUser& me) {
  json out = json::array();
  for (json& cam : VisibleCameras(me)) out.push_back(std::move(cam));
  return JsonReply(200, out);
}

HttpReply DeskApi::Tree(const DeskUser& me) {
  // Levels of a region code: county (6 digits), town (8), village point (10 or more).
  struct Node {
    std::map<std::string, Node> children;
    json cameras = json::array();
    std::map<std::string, int> counts;
  };
  Node root;
  // The nodes from the root (the user's own region) down to `region`: the levels its code has.
  const auto path_to = [&](const std::string& region) {
    std::vector<Node*> path = {&root};
    std::vector<size_t> levels = {6};
    if (region.size() >= 8) levels.push_back(8);
    if (region.size() > 8) levels.push_back(region.size());
    for (size_t len : levels) {
      if (len > me.region.size() && len <= region.size()) path.push_back(&path.back()->children[region.substr(0, len)]);
    }
    return path;
  };
  // Links to the routers below: on the node of the region each speaks for, when it is the
  // user's region or inside it (the node is there even before the child sent a camera).
  std::map<std::string, DeskApi::SiteLink> links;
  if (s_.links) {
    for (DeskApi::SiteLink& l : s_.links()) {
      if (l.region.rfind(me.region, 0) != 0) continue;
      path_to(l.region);
      links[l.region] = std::move(l);
    }
  }
  for (json& cam : VisibleCameras(me)) {
    const std::string region = cam["region"];
    const std::vector<Node*> path = path_to(region);
    for (Node* n : path) {
      n->counts["total"]++;
      n->counts[cam["health"].get<std::string>()]++;
    }
    path.back()->cameras.push_back(std::move(cam));
  }
  std::function<json(const std::string&, const Node&)> emit = [&](const std::string& code, const Node& n) {
    json children = json::array();
    for (const auto& [child_code, child] : n.children) children.push_back(emit(child_code, child));
    auto name = s_.region_names.find(code);
    json counts = json::object();
    for (const char* k : {"total", "online", "fault", "offline", "link_down", "disabled"}) {
      counts[k] = n.counts.count(k) ? n.counts.at(k) : 0;
    }
    json node = {{"code", code},
                 {"name", name != s_.region_names.end() ? name->second : code},
                 {"counts", counts},
                 {"children", children},
                 {"cameras", n.cameras}};
    if (auto l = links.find(code); l != links.end()) {
      const int64_t now = s_.now_ms ? s_.now_ms() : 0;
      node["link"] = {
          {"site", l->second.site},
          {"up", l->second.up},
          {"for_s", l->second.since_ms > 0 && now > l->second.since_ms ? (now - l->second.since_ms) / 1000 : 0}};
      if (name == s_.region_names.end()) node["name"] = l->second.site;
    }
    return node;
  };
  return JsonReply(200, emit(me.region, root));
}

HttpReply DeskApi::Health(const DeskUser& me) {
  json out = json::array();
  std::vector<std::pair<int64_t, json>> sick;
  for (json& cam : VisibleCameras(me)) {
    if (cam["health"] == "online" || cam["health"] == "disabled") continue;
    sick.emplace_back(cam["since_ms"].get<int64_t>(), std::move(cam));
  }
  std::stable_sort(sick.begin(), sick.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [since, cam] : sick) out.push_back(std::move(cam));
  return JsonReply(200, out);
}

}  // namespace xl::router
