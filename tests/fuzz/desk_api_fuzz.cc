// libFuzzer target: the desk's REST API (router/desk/desk_api.h) over real SQLite stores must
// answer any method, path, query, body and cookie with a status and, for an error, a JSON
// reason — never a crash, a hang or an exception — and never serve a desk call without a
// session. Input: byte 0 picks the caller (none, an admin, a village operator), byte 1 the
// method, then the path (after "/api/") up to a newline, then the body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include <glib.h>

#include "common/clock.h"
#include "fuzz_seed.h"
#include "router/alerts/alert_log.h"
#include "router/desk/alert_desk.h"
#include "router/desk/desk_api.h"
#include "router/desk/user_store.h"
#include "router/registry/camera_store.h"
#include "router/workers/camera_states.h"

namespace {

using namespace xl::router;

// One set of stores for the whole run, seeded with two users, a camera and an event.
struct Desk {
  std::unique_ptr<AlertLog> log;
  std::unique_ptr<CameraStore> store;
  std::unique_ptr<UserStore> users;
  std::unique_ptr<AlertDesk> desk;
  CameraStates states{15000, [](const xl::wire::Camera&) {}};
  xl::router::SystemProblems problems;
  std::unique_ptr<DeskApi> api;
  std::string admin_cookie, operator_cookie;

  Desk() {
    char dir[] = "/tmp/xl-desk-fuzz-XXXXXX";
    const std::string db = std::string(mkdtemp(dir)) + "/desk.db";
    log = std::move(AlertLog::Open(db).value());
    store = std::move(CameraStore::Open(db).value());
    users = std::move(UserStore::Open(db).value());
    desk = std::move(AlertDesk::Open(db).value());
    const xl::wire::CameraSpec cam = xl::fuzz::VillageCamera();
    (void)store->Put({cam});
    xl::wire::Alert alert;
    alert.set_id("33010201011320000001-1-motion");
    alert.set_camera_id(cam.id());
    alert.set_region(cam.region());
    alert.set_kind(xl::wire::ALERT_KIND_MOTION);
    alert.set_phase(xl::wire::ALERT_PHASE_START);
    (void)log->Append({alert});
    (void)users->Add({"admin", "admin", ""}, "admin-password");
    (void)users->Add({"op", "operator", "3301020101"}, "operator-password");
    // Sessions that live through the run (12 h), so fuzzed calls reach logged-in handlers.
    admin_cookie = users->StartSession("admin", xl::NowMs()).value();
    operator_cookie = users->StartSession("op", xl::NowMs()).value();
    api = std::make_unique<DeskApi>(DeskApi::Sources{*users,
                                                     *desk,
                                                     *log,
                                                     *store,
                                                     states,
                                                     problems,
                                                     {},
                                                     300000,
                                                     [](auto&&...) {},
                                                     [](const xl::wire::PtzCommand&) { return xl::Status(); },
                                                     [](const std::string&) {},
                                                     {},
                                                     [this](const std::string& camera) -> std::optional<std::string> {
                                                       const auto* c = store->Find(camera);
                                                       if (!c) return std::nullopt;
                                                       return c->spec.region();
                                                     },
                                                     [] {
                                                       return std::vector<DeskApi::SiteLink>{
                                                           {"3301020101", "东村", false, 1000},
                                                           {"33010202", "西街镇", true, 2000}};
                                                     },
                                                     [] { return int64_t(5000); }});
    // The target is useless unless its sessions work: check once that both are logged in.
    for (const std::string& cookie : {admin_cookie, operator_cookie}) {
      xl::HttpRequest me;
      me.method = "GET";
      me.path = "/api/me";
      me.cookies["xl_session"] = cookie;
      if (auto reply = api->Handle(me, [](xl::HttpReply) {}); !reply || reply->status != 200) __builtin_trap();
    }
  }

  // Undoes what an input did to the operator (disabled, moved, removed, new password: each
  // ends its sessions), so later inputs still reach logged-in handlers.
  void Restore() {
    const auto op = users->Get("op");
    if (!op) (void)users->Add({"op", "operator", "3301020101"}, "operator-password");
    else if (op->disabled) (void)users->SetDisabled("op", false);
    else if (op->role != "operator" || op->region != "3301020101")
      (void)users->SetRoleAndRegion("op", "operator", "3301020101");
    if (!users->SessionUser(operator_cookie, xl::NowMs())) {
      operator_cookie = users->StartSession("op", xl::NowMs()).value();
    }
  }
};

// Every refusal says why, as JSON.
void CheckReply(const xl::HttpReply& reply) {
  if (reply.status < 200 || reply.status > 599) __builtin_trap();
  if (reply.status >= 400) {
    const auto j = nlohmann::json::parse(reply.body, nullptr, false);
    if (!j.is_object() || !j.contains("error") || !j["error"].is_string() || j["error"].get<std::string>().empty()) {
      __builtin_trap();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Desk d;
  if (size < 2) return 0;
  static const char* kMethods[] = {"GET", "POST", "PUT", "DELETE", "PATCH"};
  const std::string input(reinterpret_cast<const char*>(data) + 2, size - 2);
  const size_t newline = input.find('\n');
  xl::HttpRequest r;
  r.method = kMethods[data[1] % 5];
  std::string target = "/api/" + input.substr(0, newline);
  r.body = newline == std::string::npos ? "" : input.substr(newline + 1);
  if (const size_t q = target.find('?'); q != std::string::npos) {
    std::string query = target.substr(q + 1);
    target.resize(q);
    for (size_t at = 0; at <= query.size();) {
      const size_t amp = std::min(query.find('&', at), query.size());
      const std::string pair = query.substr(at, amp - at);
      const size_t eq = pair.find('=');
      r.query[pair.substr(0, eq)] = eq == std::string::npos ? "" : pair.substr(eq + 1);
      at = amp + 1;
    }
  }
  r.path = target;
  const int who = data[0] % 3;
  if (who) r.cookies["xl_session"] = who == 1 ? d.admin_cookie : d.operator_cookie;
  // Handlers that hash a password answer later: the loop runs until they have.
  std::optional<xl::HttpReply> later;
  auto reply = d.api->Handle(r, [&later](xl::HttpReply answer) { later = std::move(answer); });
  if (!reply && DeskApi::Handles(r.path)) {
    while (!later) g_main_context_iteration(nullptr, TRUE);
    reply = std::move(later);
  }
  d.Restore();
  if (!reply) return 0;  // not a desk path
  CheckReply(*reply);
  // Without a session only the login (and logout) may succeed.
  if (!who && reply->status < 300 && r.path != "/api/login" && r.path != "/api/logout") __builtin_trap();
  return 0;
}
