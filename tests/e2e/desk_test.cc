// The monitoring-room desk's REST API against the real router, worker and simulator: login
// with a hashed password and a session cookie, nothing without a session, users by an
// admin, region scoping (an operator of village A never sees village B's alerts), and an
// alert's whole handling loop — acknowledged, dispatched, handled, closed — stored in SQLite
// with user and time and seen by a second desk.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "common/http_client.h"
#include "tests/support/media.h"
#include "tests/support/process.h"
#include "tests/support/system.h"

namespace xl::test {
namespace {

using json = nlohmann::json;
using std::chrono::seconds;

constexpr const char* kCamA = "33010201011320000001";  // village point A
constexpr const char* kCamB = "33010201021320000002";  // village point B

// One logged-in desk: its session cookie goes with every call.
class Desk {
 public:
  Desk(const System& sys, std::string cookie) : base_(sys.HttpBase()), cookie_(std::move(cookie)) {}
  Result<HttpReply> Call(const std::string& method, const std::string& path, const std::string& body = "") const {
    return HttpCall(method, base_ + path, body, "application/json", 30, {{"Cookie", cookie_}});
  }
  json Get(const std::string& path) const {
    auto r = Call("GET", path);
    return r.ok() && r->status == 200 ? json::parse(r->body, nullptr, false) : json();
  }
  int Post(const std::string& path, const json& body, std::string* reply = nullptr) const {
    auto r = Call("POST", path, body.dump());
    if (reply && r.ok()) *reply = r->body;
    return r.ok() ? r->status : -1;
  }

 private:
  std::string base_, cookie_;
};

// Logs in; the Set-Cookie header's first part ("xl_session=…"), or "" when refused.
std::string Login(const System& sys, const std::string& user, const std::string& password, int* status,
                  std::string* set_cookie = nullptr) {
  auto r = HttpCall("POST", sys.HttpBase() + "/api/login", json{{"user", user}, {"password", password}}.dump());
  *status = r.ok() ? r->status : -1;
  if (!r.ok()) return "";
  for (const auto& [name, value] : r->headers) {
    if (name == "Set-Cookie") {
      if (set_cookie) *set_cookie = value;
      return value.substr(0, value.find(';'));
    }
  }
  return "";
}

TEST(Desk, LoginRegionsAndTheWholeHandlingLoop) {
  System sys("desk");
  setenv("XL_METRICS_TOKEN", "scrape-Token-7", 1);       // inherited by the router only
  auto router = sys.StartRouter({"--overdue-s", "20"});  // its first desk user: admin, kAdminPassword
  unsetenv("XL_METRICS_TOKEN");
  auto camsim = sys.StartCamsim({"vtest=" + Fixture("vtest.avi")});
  const std::string url = "rtsp://" + std::string(kCamUser) + ":" + kCamPassword + "@" + sys.RtspUrl("vtest").substr(7);
  auto worker =
      sys.StartWorker("w1", std::string("cameras:\n") + "  - {id: \"" + kCamA + "\", name: 东村村口, url: \"" + url +
                                "\"}\n  - {id: \"" + kCamB + "\", name: 西村村口, url: \"" + url + "\"}\n");
  ASSERT_TRUE(WaitUntil([&] { return HttpCall("GET", sys.HttpBase() + "/healthz").ok(); }, seconds(30)));
  EXPECT_EQ(HttpCall("GET", sys.HttpBase() + "/healthz")->status, 200) << "health needs no session";
  // A connection its client closed is closed by the router too: none is left in CLOSE-WAIT
  // holding a descriptor (a scrape every 15 s would use them all up in weeks).
  auto descriptors = [&] {
    auto fds = std::filesystem::directory_iterator("/proc/" + std::to_string(router->pid()) + "/fd");
    return std::distance(begin(fds), end(fds));
  };
  const auto before = descriptors();
  for (int i = 0; i < 100; ++i) HttpCall("GET", sys.HttpBase() + "/healthz");
  EXPECT_TRUE(WaitUntil([&] { return descriptors() - before < 20; }, seconds(10)))
      << descriptors() - before << " more descriptors after 100 requests";

  // Nothing without a session; a wrong password is refused.
  EXPECT_EQ(HttpCall("GET", sys.HttpBase() + "/api/desk/alerts")->status, 401);
  EXPECT_EQ(HttpCall("GET", sys.HttpBase() + "/api/cameras")->status, 401) << "the registry API too";
  EXPECT_EQ(HttpCall("DELETE", sys.HttpBase() + "/api/cameras/" + std::string(kCamA))->status, 401);
  EXPECT_EQ(HttpCall("GET", sys.HttpBase() + "/api/me")->status, 401);
  EXPECT_EQ(HttpCall("GET", sys.HttpBase() + "/api/live")->status, 401);
  EXPECT_EQ(HttpCall("GET", sys.HttpBase() + "/metrics")->status, 401);
  EXPECT_EQ(HttpCall("GET", sys.HttpBase() + "/metrics", "", "", 30, {{"Authorization", "Bearer wrong"}})->status, 401);
  EXPECT_EQ(
      HttpCall("GET", sys.HttpBase() + "/metrics", "", "", 30, {{"Authorization", "Bearer scrape-Token-7"}})->status,
      200)
      << "Prometheus scrapes with the token";
  EXPECT_EQ(HttpCall("GET", sys.HttpBase() + "/api/desk/alerts", "", "application/json", 30,
                     {{"Cookie", "xl_session=" + std::string(64, 'a')}})
                ->status,
            401)
      << "a made-up session";
  int status = 0;
  EXPECT_EQ(Login(sys, "admin", "wrong-password", &status), "");
  EXPECT_EQ(status, 401);
  EXPECT_EQ(Login(sys, "nobody", kAdminPassword, &status), "");
  EXPECT_EQ(status, 401);
  std::string set_cookie;
  const Desk admin(sys, Login(sys, "admin", kAdminPassword, &status, &set_cookie));
  ASSERT_EQ(status, 200);
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("SameSite=Strict"), std::string::npos) << set_cookie;
  EXPECT_EQ(admin.Get("/api/me")["role"], "admin");
  EXPECT_EQ(router->Output().find(kAdminPassword), std::string::npos) << "the password is never logged";

  // The admin adds an operator per village and a commander for the town.
  EXPECT_EQ(
      admin.Post("/api/users",
                 {{"user", "op_a"}, {"password", "village-a-pw"}, {"role", "operator"}, {"region", "3301020101"}}),
      201);
  EXPECT_EQ(
      admin.Post("/api/users",
                 {{"user", "op_b"}, {"password", "village-b-pw"}, {"role", "operator"}, {"region", "3301020102"}}),
      201);
  EXPECT_EQ(admin.Post("/api/users",
                       {{"user", "town"}, {"password", "town-centre"}, {"role", "commander"}, {"region", "33010201"}}),
            201);
  EXPECT_EQ(admin.Post("/api/users",
                       {{"user", "op_a"}, {"password", "again-again"}, {"role", "operator"}, {"region", "3301020101"}}),
            409);
  EXPECT_EQ(admin.Post("/api/users", {{"user", "x"}, {"password", "short"}, {"role", "operator"}}), 400);
  EXPECT_EQ(admin.Post("/api/users", {{"user", "y"}, {"password", "long-enough"}, {"role", "king"}}), 400);
  const Desk op_a(sys, Login(sys, "op_a", "village-a-pw", &status));
  ASSERT_EQ(status, 200);
  const Desk op_b(sys, Login(sys, "op_b", "village-b-pw", &status));
  const Desk town(sys, Login(sys, "town", "town-centre", &status));
  EXPECT_EQ(op_a.Post("/api/users", {{"user", "z"}, {"password", "long-enough"}, {"role", "admin"}}), 403);
  EXPECT_EQ(op_a.Call("GET", "/api/cameras/" + std::string(kCamA))->status, 200) << "an operator reads the registry";
  EXPECT_EQ(op_a.Call("GET", "/api/cameras/" + std::string(kCamB))->status, 404) << "but only inside their region";
  const json op_a_cameras = op_a.Get("/api/cameras");
  ASSERT_EQ(op_a_cameras.size(), 1u) << op_a_cameras.dump();
  EXPECT_EQ(op_a_cameras[0]["id"], kCamA);
  EXPECT_EQ(op_a.Get("/api/status")["totals"]["cameras"], 1);
  EXPECT_EQ(op_a.Call("GET", "/api/live")->status, 403) << "the relay's state is for admins";
  EXPECT_EQ(admin.Call("GET", "/api/live")->status, 200);
  EXPECT_EQ(op_a.Call("PATCH", "/api/cameras/" + std::string(kCamA), R"({"name":"x"})")->status, 403)
      << "only an admin changes it";

  // Motion on both cameras: each operator sees only their own village's events.
  auto first_motion = [&](const Desk& d, const std::string& camera) {
    json list = d.Get("/api/desk/alerts?kind=motion");
    if (list.is_array()) {
      for (const json& a : list) {
        if (a["camera"] == camera) return a;
      }
    }
    return json();
  };
  json alert_a, alert_b;
  ASSERT_TRUE(WaitUntil(
      [&] {
        alert_a = first_motion(admin, kCamA);
        alert_b = first_motion(admin, kCamB);
        return alert_a.is_object() && alert_b.is_object();
      },
      seconds(90)))
      << worker->Output();
  const std::string id_a = alert_a["id"], id_b = alert_b["id"];
  EXPECT_EQ(alert_a["state"], "new");
  EXPECT_TRUE(first_motion(op_a, kCamA).is_object());
  EXPECT_TRUE(first_motion(op_a, kCamB).is_null());
  EXPECT_TRUE(first_motion(op_b, kCamB).is_object());
  for (const json& a : op_a.Get("/api/desk/alerts")) EXPECT_EQ(a["camera"], kCamA) << a.dump();
  for (const json& a : op_b.Get("/api/desk/alerts")) EXPECT_EQ(a["camera"], kCamB) << a.dump();
  EXPECT_TRUE(first_motion(town, kCamA).is_object() && first_motion(town, kCamB).is_object()) << "the town sees both";
  // The alert desk's region filter: the town narrows its list to village A.
  json town_a = town.Get("/api/desk/alerts?region=3301020101");
  ASSERT_TRUE(town_a.is_array() && !town_a.empty()) << town_a.dump();
  for (const json& a : town_a) EXPECT_EQ(a["camera"], kCamA) << a.dump();
  EXPECT_EQ(op_a.Call("GET", "/api/desk/alerts/" + id_b)->status, 404) << "B's alert does not exist for A";
  EXPECT_EQ(op_a.Post("/api/desk/alerts/" + id_b + "/ack", json::object()), 404);
  json detail = op_a.Get("/api/desk/alerts/" + id_a);
  EXPECT_EQ(detail["camera_name"], "东村村口");
  EXPECT_GT(detail["messages"][0]["snapshot_bytes"].get<int>(), 0);
  EXPECT_GT(detail["messages"][0]["boxes"].size(), 0u);

  // The handling loop, in order only, each step with what it needs.
  const std::string base = "/api/desk/alerts/" + id_a + "/";
  std::string reply;
  EXPECT_EQ(op_a.Post(base + "dispatch", {{"unit", "派出所"}}, &reply), 409) << reply;
  EXPECT_EQ(op_a.Post(base + "ack", json::object()), 200);
  EXPECT_EQ(op_a.Post(base + "ack", json::object()), 409) << "acknowledged once";
  EXPECT_EQ(op_a.Post(base + "dispatch", json::object(), &reply), 400) << reply;
  EXPECT_EQ(op_a.Post(base + "dispatch", {{"unit", "东村派出所"}, {"note", "two people at the gate"}}), 200);
  EXPECT_EQ(town.Get("/api/desk/alerts/" + id_a)["state"], "dispatched") << "the second desk sees it";
  EXPECT_EQ(op_a.Post(base + "handle", {{"note", ""}}), 400) << "handled needs a note";
  EXPECT_EQ(town.Post(base + "handle", {{"note", "checked: villagers, no incident"}}), 200);
  EXPECT_EQ(op_a.Post(base + "close", {{"note", "closed after the call-back"}}), 200);
  json closed = town.Get("/api/desk/alerts/" + id_a);
  EXPECT_EQ(closed["state"], "closed");
  ASSERT_EQ(closed["history"].size(), 4u);
  EXPECT_EQ(closed["history"][0]["user"], "op_a") << "the first responder";
  EXPECT_EQ(closed["history"][1]["unit"], "东村派出所");
  EXPECT_EQ(closed["history"][2]["user"], "town");
  EXPECT_GT(closed["history"][3]["at_ms"].get<int64_t>(), 0);
  json closed_list = op_a.Get("/api/desk/alerts?state=closed");
  ASSERT_EQ(closed_list.size(), 1u);
  EXPECT_EQ(closed_list[0]["id"], id_a);

  // Stored in SQLite: four steps with their users (and the unit of the dispatch).
  EXPECT_EQ(sys.HandlingSteps(id_a),
            (std::vector<std::string>{"ack/op_a/", "dispatch/op_a/东村派出所", "handle/town/", "close/op_a/"}));

  // Overdue (--overdue-s 20): B's alert, never acknowledged, is marked once 20 s old; A's,
  // acknowledged, is not.
  auto listed = [&](const std::string& id) {
    for (const json& a : admin.Get("/api/desk/alerts?limit=5000")) {
      if (a["id"] == id) return a;
    }
    return json::object();
  };
  EXPECT_TRUE(WaitUntil([&] { return listed(id_b).value("overdue", false); }, seconds(40))) << listed(id_b).dump();
  EXPECT_EQ(listed(id_a).value("overdue", true), false);

  // Paging: a list cut short names where to go on (before=), and the next page is older.
  auto first = admin.Call("GET", "/api/desk/alerts?limit=1");
  ASSERT_TRUE(first.ok() && first->status == 200);
  std::string next;
  for (const auto& [name, value] : first->headers) {
    if (name == "X-Xl-Next-Before") next = value;
  }
  ASSERT_FALSE(next.empty()) << "a list cut at its limit names the next page";
  const json page1 = json::parse(first->body), page2 = admin.Get("/api/desk/alerts?limit=1&before=" + next);
  ASSERT_EQ(page1.size(), 1u);
  ASSERT_EQ(page2.size(), 1u);
  EXPECT_NE(page1[0]["id"], page2[0]["id"]);
  EXPECT_LE(page2[0]["start_ms"].get<int64_t>(), page1[0]["start_ms"].get<int64_t>() + 60000);

  // Bad input: a reason, never a crash.
  EXPECT_EQ(op_a.Call("GET", "/api/desk/alerts?before=-x")->status, 400);
  EXPECT_EQ(op_a.Call("POST", base + "close", "{not json")->status, 400);
  EXPECT_EQ(op_a.Post(base + "fly", json::object()), 400);
  EXPECT_EQ(op_a.Call("GET", "/api/desk/alerts/no-such-alert")->status, 404);
  EXPECT_EQ(op_a.Call("GET", "/api/desk/alerts?limit=lots")->status, 400);
  EXPECT_EQ(HttpCall("POST", sys.HttpBase() + "/api/login", "[1,2]")->status, 400);

  // Logging out ends the session.
  EXPECT_EQ(op_b.Call("POST", "/api/logout")->status, 204);
  EXPECT_EQ(op_b.Call("GET", "/api/me")->status, 401);
  EXPECT_TRUE(router->running());
}

}  // namespace
}  // namespace xl::test
