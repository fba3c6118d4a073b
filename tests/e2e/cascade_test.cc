// Routers in a cascade (village → town), with the real processes on loopback: the village
// router's alerts reach the town exactly once and in order per camera — through the town's
// router killed and started again, and the village's — and only inside the region the
// village's key speaks for; a link down is a problem on the desks at both ends; live video and
// PTZ go through the link.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>
#include <zmq.hpp>

#include "proto/wire/curve.h"
#include "proto/wire/wire.h"
#include "tests/support/gb28181_devices.h"
#include "tests/support/logged_alerts.h"
#include "tests/support/media.h"
#include "tests/support/process.h"
#include "tests/support/rtsp_player.h"
#include "tests/support/system.h"
#include "tests/support/three_hosts.h"
#include "tests/support/two_villages.h"

namespace xl::test {
namespace {

using std::chrono::seconds;

constexpr const char* kSite = "东街村";          // the village's site name at the town
constexpr const char* kTownPrefix = "33010201";  // kVillageA's town; kVillageB is in 33010202

bool Has(const std::vector<std::string>& keys, const std::string& key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// The item of the JSON array GET `path` answers at `sys` whose `field` is `value`, null when
// there is none.
nlohmann::json ItemOf(System& sys, const std::string& path, const std::string& field, const std::string& value) {
  auto r = sys.Api("GET", path);
  if (!r.ok() || r->status != 200) return nullptr;
  const auto all = nlohmann::json::parse(r->body, nullptr, false);
  if (!all.is_array()) return nullptr;
  for (const auto& c : all) {
    if (c.value(field, "") == value) return c;
  }
  return nullptr;
}

// Camera `id` on `sys`'s desk (GET /api/desk/cameras), null when it is not there.
nlohmann::json DeskCamera(System& sys, const std::string& id) { return ItemOf(sys, "/api/desk/cameras", "id", id); }

std::string HealthAt(System& sys, const std::string& id) {
  const auto c = DeskCamera(sys, id);
  return c.is_object() ? c.value("health", "") : "";
}

// The link on the node of region `code` in `sys`'s desk tree (null when the node has none).
nlohmann::json TreeLink(System& sys, const std::string& code) {
  auto r = sys.Api("GET", "/api/desk/tree");
  if (!r.ok() || r.value().status != 200) return nlohmann::json();
  std::function<nlohmann::json(const nlohmann::json&)> find = [&](const nlohmann::json& node) -> nlohmann::json {
    if (node.value("code", "") == code) return node.value("link", nlohmann::json());
    for (const nlohmann::json& child : node["children"]) {
      if (nlohmann::json l = find(child); !l.is_null()) return l;
    }
    return nlohmann::json();
  };
  return find(nlohmann::json::parse(r.value().body));
}

// True when a line of `text` holds every one of `words`.
bool HasLine(const std::string& text, const std::vector<std::string>& words) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (std::all_of(words.begin(), words.end(),
                    [&](const std::string& w) { return line.find(w) != std::string::npos; }))
      return true;
  }
  return false;
}

std::vector<std::string> Of(const AlertsByCamera& alerts, const std::string& camera) {
  auto it = alerts.find(camera);
  return it == alerts.end() ? std::vector<std::string>{} : it->second;
}

// Lets `village`'s router in at `town` as child kSite speaking for region `prefix` (by default
// the town's region only: kVillageA's) once the town's router answers; the xl output in `out`.
bool AddVillage(System& town, System& village, std::string* out, const std::string& prefix = kTownPrefix) {
  return WaitUntil(
      [&] {
        return town.RunXl({"key", "add", "child", kSite, village.RouterKeyFile(), "--prefix", prefix}, out) == 0;
      },
      seconds(30));
}

TEST(Cascade, AVillagesAlertsReachItsTownOnceInOrderAcrossRestartsAndOnlyInsideItsRegion) {
  System town("cascade-town"), village("cascade-village");
  const std::string children = "tcp://127.0.0.1:" + std::to_string(FreePort());
  auto town_router = town.StartRouter({"--children", children});
  std::string out;
  ASSERT_TRUE(AddVillage(town, village, &out)) << out << town_router->Output();
  EXPECT_NE(out.find("region 33010201"), std::string::npos) << out;
  ASSERT_EQ(town.RunXl({"key", "ls"}, &out), 0);
  EXPECT_NE(out.find("child"), std::string::npos) << out;

  auto camsim = village.StartCamsim({"a=" + Fixture("vtest.avi"), "b=" + Fixture("tree.avi")});
  const std::vector<std::string> to_town = {"--parent", children, "--parent-key", town.RouterKeyFile()};
  auto village_router = village.StartRouter(to_town);
  auto worker = StartTwoVillages(village);
  auto at_town = [&] { return Logged(town.Database(), true); };
  auto at_village = [&] { return Logged(village.Database(), true); };
  ASSERT_TRUE(WaitUntil([&] { return Of(at_town(), kVillageA).size() >= 3; }, seconds(120)))
      << "village:\n"
      << village_router->Output() << "\ntown:\n"
      << town_router->Output();

  // The village's cameras are on the town's desk, with their site, as the village sees them;
  // camera B (outside the village's region at the town) is not.
  ASSERT_TRUE(WaitUntil([&] { return HealthAt(town, kVillageA) == "online"; }, seconds(60)))
      << DeskCamera(town, kVillageA).dump();
  EXPECT_EQ(DeskCamera(town, kVillageA).value("site", ""), kSite);
  EXPECT_EQ(DeskCamera(town, kVillageA).value("name", ""), "东村");
  EXPECT_TRUE(DeskCamera(town, kVillageB).is_null()) << DeskCamera(town, kVillageB).dump();

  // The town's router is killed: the village keeps its alerts and shows the link down; the
  // town comes back and the link is up again.
  town_router->Kill();
  ASSERT_TRUE(WaitUntil([&] { return Has(village.Problems(), "parent_link_down"); }, seconds(60)))
      << village_router->Output();
  EXPECT_EQ(village.Metric("xl_link_parent_up"), 0);
  town_router = town.StartRouter({"--children", children});
  ASSERT_TRUE(WaitUntil([&] { return !Has(village.Problems(), "parent_link_down"); }, seconds(60)))
      << village_router->Output();

  // The village's router is killed: the town shows its link down until it is back.
  village_router->Kill();
  const std::string link_down = std::string("child_link_down:") + kSite;
  ASSERT_TRUE(WaitUntil([&] { return Has(town.Problems(), link_down); }, seconds(60))) << town_router->Output();
  EXPECT_EQ(HealthAt(town, kVillageA), "link_down") << "a camera behind a link that is down is not 'offline'";
  // The town's tree shows the link on the node of the region the village speaks for.
  EXPECT_EQ(TreeLink(town, kTownPrefix).value("up", true), false) << TreeLink(town, kTownPrefix).dump();
  EXPECT_EQ(TreeLink(town, kTownPrefix).value("site", ""), kSite);
  // The town's router starts again while the village is still away: it still knows the
  // village's cameras, and that the link is down once the village has not said hello in time.
  town_router->Kill();
  town_router = town.StartRouter({"--children", children});
  ASSERT_TRUE(WaitUntil([&] { return Has(town.Problems(), link_down); }, seconds(60))) << town_router->Output();
  EXPECT_EQ(HealthAt(town, kVillageA), "link_down") << DeskCamera(town, kVillageA).dump();
  village_router = village.StartRouter(to_town);
  ASSERT_TRUE(WaitUntil([&] { return !Has(town.Problems(), link_down); }, seconds(60))) << town_router->Output();
  EXPECT_EQ(town.Metric(std::string("xl_link_child_up{site=\"") + kSite + "\"}"), 1);
  ASSERT_TRUE(WaitUntil([&] { return HealthAt(town, kVillageA) == "online"; }, seconds(60)));
  EXPECT_EQ(TreeLink(town, kTownPrefix).value("up", false), true) << TreeLink(town, kTownPrefix).dump();
  // Both ends list the link.
  ASSERT_EQ(town.RunXl({"link", "ls"}, &out), 0) << out;
  EXPECT_TRUE(HasLine(out, {"child", kSite, kTownPrefix, "up"})) << out;
  ASSERT_EQ(village.RunXl({"link", "ls"}, &out), 0) << out;
  EXPECT_TRUE(HasLine(out, {"parent", children, "up"})) << out;

  // More alerts come up after both restarts; then the cameras go (signal-loss alerts follow).
  const size_t before = Of(at_town(), kVillageA).size();
  ASSERT_TRUE(WaitUntil([&] { return Of(at_town(), kVillageA).size() > before + 3; }, seconds(90)))
      << village_router->Output();
  camsim->Stop();

  // Every alert of camera A the village logged is at the town, exactly once and in the same
  // order; nothing of camera B (outside the prefix) is.
  ASSERT_TRUE(WaitUntil(
      [&] {
        return Of(at_town(), kVillageA) == Of(at_village(), kVillageA) &&
               village.Metric("xl_link_parent_lag_alerts") == 0;
      },
      seconds(120)))
      << Of(at_town(), kVillageA).size() << " at the town, " << Of(at_village(), kVillageA).size()
      << " at the village\n"
      << village_router->Output();
  EXPECT_GT(Of(at_village(), kVillageA).size(), 10u) << "too few alerts to show anything";
  EXPECT_FALSE(Of(at_village(), kVillageB).empty()) << "camera B raised nothing to refuse";
  EXPECT_TRUE(Of(at_town(), kVillageB).empty()) << "the town kept alerts outside the village's region";
  EXPECT_GT(town.Metric(std::string("xl_link_child_refused_total{site=\"") + kSite + "\"}"), 0);
  EXPECT_GT(village.Metric("xl_link_parent_refused_total"), 0);
  EXPECT_NE(village_router->Output().find("the parent refused:"), std::string::npos);

  // At the town each alert names the site it came from, and its desk shows it with its picture.
  std::string start_id;
  for (const LoggedAlert& a : ReadAlertLog(town.Database())) {
    EXPECT_EQ(a.site, kSite) << a.alert_id;
    if (start_id.empty() && a.phase == "start" && a.camera_id == kVillageA) start_id = a.alert_id;
  }
  ASSERT_FALSE(start_id.empty());
  auto detail = town.Api("GET", "/api/desk/alerts/" + start_id);
  ASSERT_TRUE(detail.ok());
  EXPECT_EQ(detail->status, 200) << detail->body;
  EXPECT_NE(detail->body.find(kSite), std::string::npos) << detail->body;
  auto snapshot = town.Api("GET", "/api/desk/alerts/" + start_id + "/snapshot");
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ(snapshot->status, 200);
  EXPECT_GT(snapshot->body.size(), 1000u);
}

// Alert `id` on `sys`'s desk (GET /api/desk/alerts/ID), null when it cannot be read.
nlohmann::json DeskAlert(System& sys, const std::string& id) {
  auto r = sys.Api("GET", "/api/desk/alerts/" + id);
  if (!r.ok() || r->status != 200) return nullptr;
  return nlohmann::json::parse(r->body, nullptr, false);
}

std::string StateAt(System& sys, const std::string& id) {
  const auto a = DeskAlert(sys, id);
  return a.is_object() ? a.value("state", "") : "";
}

int Post(System& sys, const std::string& id, const std::string& step,
         const nlohmann::json& body = nlohmann::json::object()) {
  auto r = sys.Api("POST", "/api/desk/alerts/" + id + "/" + step, body.dump());
  return r.ok() ? r->status : -1;
}

// Each step of an alert's history as "step site applied|late".
std::vector<std::string> Steps(const nlohmann::json& alert) {
  std::vector<std::string> out;
  if (!alert.is_object()) return out;
  for (const auto& h : alert["history"]) {
    out.push_back(h.value("step", "") + " " + h.value("site", "") + " " +
                  (h.value("applied", false) ? "applied" : "late"));
  }
  return out;
}

// An alert is handled at either end of a link and both desks show the same steps, each with
// the site it was taken at. When both centres acknowledge while the link is down, the first
// acknowledgement wins at both ends and the other is kept as late.
TEST(Cascade, AnAlertIsHandledAtEitherEndAndBothEndsAgreeOnItsSteps) {
  System town("cascade-handling-town"), village("cascade-handling-village");
  const std::string children = "tcp://127.0.0.1:" + std::to_string(FreePort());
  const std::vector<std::string> town_args = {"--children", children, "--site-name", "东街镇"};
  auto town_router = town.StartRouter(town_args);
  std::string out;
  ASSERT_TRUE(AddVillage(town, village, &out)) << out << town_router->Output();
  auto camsim = village.StartCamsim({"a=" + Fixture("vtest.avi"), "b=" + Fixture("tree.avi")});
  const std::vector<std::string> to_town = {"--parent", children, "--parent-key", town.RouterKeyFile()};
  auto village_router = village.StartRouter(to_town);
  auto worker = StartTwoVillages(village);
  // Two events of camera A at both ends: its pedestrians' motion, then (the simulator
  // stopped) its signal lost.
  std::vector<std::string> events;
  auto events_at_both = [&](size_t n) {
    events.clear();
    for (const LoggedAlert& a : ReadAlertLog(village.Database())) {
      if (a.phase == "start" && a.camera_id == kVillageA && DeskAlert(town, a.alert_id).is_object()) {
        events.push_back(a.alert_id);
      }
    }
    return events.size() >= n;
  };
  ASSERT_TRUE(WaitUntil([&] { return events_at_both(1); }, seconds(120)))
      << village_router->Output() << town_router->Output();
  camsim->Stop();
  ASSERT_TRUE(WaitUntil([&] { return events_at_both(2); }, seconds(120)))
      << village_router->Output() << town_router->Output();
  const std::string first = events[0], second = events[1];

  // The town acknowledges; the village's desk shows it, taken at the town. The village
  // dispatches; the town's desk shows it, taken at the village.
  ASSERT_EQ(Post(town, first, "ack"), 200);
  ASSERT_TRUE(WaitUntil([&] { return StateAt(village, first) == "acknowledged"; }, seconds(30)))
      << DeskAlert(village, first).dump() << village_router->Output();
  EXPECT_EQ(Steps(DeskAlert(village, first)), std::vector<std::string>{"ack 东街镇 applied"});
  EXPECT_EQ(DeskAlert(village, first)["responder"].value("site", "?"), "东街镇");
  EXPECT_EQ(Post(village, first, "ack"), 409) << "acknowledged once, wherever";
  ASSERT_EQ(Post(village, first, "dispatch", {{"unit", "东街派出所"}}), 200);
  ASSERT_TRUE(WaitUntil([&] { return StateAt(town, first) == "dispatched"; }, seconds(30)))
      << DeskAlert(town, first).dump() << town_router->Output();
  EXPECT_EQ(Steps(DeskAlert(town, first)),
            (std::vector<std::string>{"ack  applied", std::string("dispatch ") + kSite + " applied"}));
  EXPECT_EQ(DeskAlert(town, first)["history"][1].value("unit", ""), "东街派出所");

  // The link is down (the town's router away): the village acknowledges the second event;
  // then the town, back without its children endpoint, acknowledges it too.
  town_router->Kill();
  ASSERT_TRUE(WaitUntil([&] { return Has(village.Problems(), "parent_link_down"); }, seconds(60)));
  ASSERT_EQ(Post(village, second, "ack"), 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a later millisecond on any clock
  town_router = town.StartRouter({"--site-name", "东街镇"});
  ASSERT_TRUE(WaitUntil([&] { return StateAt(town, second) == "new"; }, seconds(30))) << town_router->Output();
  ASSERT_EQ(Post(town, second, "ack"), 200);
  town_router->Kill();
  // The link is back: both ends agree that the village acknowledged first.
  town_router = town.StartRouter(town_args);
  const std::vector<std::string> at_village = {"ack  applied", "ack 东街镇 late"};
  const std::vector<std::string> at_town = {std::string("ack ") + kSite + " applied", "ack  late"};
  ASSERT_TRUE(WaitUntil([&] { return Steps(DeskAlert(village, second)) == at_village; }, seconds(60)))
      << DeskAlert(village, second).dump() << village_router->Output();
  ASSERT_TRUE(WaitUntil([&] { return Steps(DeskAlert(town, second)) == at_town; }, seconds(60)))
      << DeskAlert(town, second).dump() << town_router->Output();
  EXPECT_EQ(DeskAlert(town, second)["responder"].value("site", "?"), kSite);
  EXPECT_EQ(DeskAlert(village, second)["responder"].value("site", "?"), "");
  // Handling goes on from there at either end; the first event kept its steps through the restarts.
  ASSERT_EQ(Post(town, second, "dispatch", {{"unit", "巡逻队"}}), 200);
  ASSERT_TRUE(WaitUntil([&] { return StateAt(village, second) == "dispatched"; }, seconds(30)))
      << DeskAlert(village, second).dump();
  EXPECT_EQ(Steps(DeskAlert(village, first)), (std::vector<std::string>{"ack 东街镇 applied", "dispatch  applied"}));
  EXPECT_EQ(Steps(DeskAlert(town, first)),
            (std::vector<std::string>{"ack  applied", std::string("dispatch ") + kSite + " applied"}));
}

// Camera `id` in `sys`'s live relay (GET /api/live), null when the relay does not hold it.
nlohmann::json LiveEntry(System& sys, const std::string& id) { return ItemOf(sys, "/api/live", "camera", id); }

// The kinds of the viewers of camera `id` at `sys` ("link", "websocket", ...), sorted.
std::vector<std::string> ViewersAt(System& sys, const std::string& id) {
  std::vector<std::string> kinds;
  const auto c = LiveEntry(sys, id);
  if (c.is_object()) {
    for (const auto& v : c["viewers"]) kinds.push_back(v.value("kind", ""));
  }
  std::sort(kinds.begin(), kinds.end());
  return kinds;
}

// A town's viewers watch a village camera: its video comes through the link, one copy of it
// however many watch (the village sees one viewer: the link); past the link's live budget
// another camera is refused with the reason; when the last viewer leaves the village lets it
// go after the lingers.
TEST(Cascade, ATownWatchesAVillageCameraThroughTheLinkAndOneCopyCrossesIt) {
  System town("cascade-live-town"), village("cascade-live-village");
  const std::string children = "tcp://127.0.0.1:" + std::to_string(FreePort());
  auto town_router = town.StartRouter({"--children", children, "--site-name", "东街镇"});
  std::string out;
  ASSERT_TRUE(AddVillage(town, village, &out, "330102")) << out << town_router->Output();  // both cameras
  auto camsim = village.StartCamsim({"a=" + Fixture("vtest.avi"), "b=" + Fixture("tree.avi")});
  auto village_router = village.StartRouter({"--parent", children, "--parent-key", town.RouterKeyFile()});
  auto worker = StartTwoVillages(village);
  // The town knows the camera and its codec from the village's catalog.
  ASSERT_TRUE(WaitUntil(
      [&] {
        const auto c = DeskCamera(town, kVillageA);
        return c.is_object() && c.value("codec", "") == "h264";
      },
      seconds(120)))
      << DeskCamera(town, kVillageA).dump() << village_router->Output() << town_router->Output();
  EXPECT_TRUE(ViewersAt(village, kVillageA).empty()) << "nobody watches yet";

  // Two browsers at the town (xl live: fMP4 over WebSocket) for 12 s each.
  auto watch = [&](const std::string& name) {
    return std::make_unique<Process>(
        std::vector<std::string>{"/usr/bin/env", std::string("XL_PASSWORD=") + kAdminPassword, Binary("tools/xl"),
                                 "--api", town.HttpBase(), "live", kVillageA, "--out", town.dir() + "/" + name + ".mp4",
                                 "--seconds", "12"},
        town.dir() + "/" + name + ".log");
  };
  auto first = watch("first"), second = watch("second");
  // And a player over RTSP at the town (digest, as a desk user).
  const std::string url = town.RelayUrl(kVillageA, "");
  const int port = std::stoi(url.substr(17, url.find('/', 17) - 17));  // rtsp://127.0.0.1:PORT/
  std::unique_ptr<StrictRtspPlayer> player;
  ASSERT_TRUE(WaitUntil(
      [&] {
        player = std::make_unique<StrictRtspPlayer>();
        return player->Open(port, url, "admin", kAdminPassword);
      },
      seconds(30)))
      << player->error();
  const std::vector<std::string> at_town = {"rtsp", "websocket", "websocket"}, the_link = {"link"};
  EXPECT_TRUE(WaitUntil(
      [&] {
        player->Read(50);
        return ViewersAt(town, kVillageA) == at_town;
      },
      seconds(30)))
      << LiveEntry(town, kVillageA).dump();
  EXPECT_TRUE(WaitUntil(
      [&] {
        player->Read(50);
        return ViewersAt(village, kVillageA) == the_link;
      },
      seconds(30)))
      << LiveEntry(village, kVillageA).dump() << village_router->Output();
  EXPECT_TRUE(WaitUntil(
      [&] {
        EXPECT_TRUE(player->Read(100)) << player->error();
        return player->pictures() > 20;
      },
      seconds(30)))
      << "the RTSP player at the town got " << player->pictures() << " pictures";
  EXPECT_EQ(ViewersAt(village, kVillageA), the_link) << "one copy, whoever watches above";

  // The link's live budget cut to 1 kbit/s: the camera crossing it keeps crossing, another is
  // refused with the reason — to a browser (xl live) and to an RTSP player (453).
  ASSERT_EQ(town.RunXl({"key", "budget", village.RouterKeyFile(), "1"}, &out), 0) << out;
  const std::string full = "link to 东街村 full: 1 stream, ";
  EXPECT_NE(town.RunXl({"live", kVillageB, "--out", town.dir() + "/refused.mp4", "--seconds", "10"}, &out), 0);
  EXPECT_NE(out.find(full), std::string::npos) << out;
  StrictRtspPlayer refused;
  EXPECT_FALSE(refused.Open(port, town.RelayUrl(kVillageB, ""), "admin", kAdminPassword));
  EXPECT_NE(refused.error().find("453"), std::string::npos) << refused.error();
  EXPECT_TRUE(player->Read(100)) << "the camera already crossing plays on: " << player->error();
  EXPECT_TRUE(ViewersAt(village, kVillageB).empty()) << LiveEntry(village, kVillageB).dump();
  {
    auto links = town.Api("GET", "/api/links");
    ASSERT_TRUE(links.ok());
    const auto child = nlohmann::json::parse(links->body)["children"][0];
    EXPECT_EQ(child.value("live_budget_kbps", 0), 1) << links->body;
    EXPECT_GE(child.value("live_refused", 0), 2) << links->body;
    EXPECT_EQ(child.value("live_streams", 0), 1) << links->body;
  }
  ASSERT_EQ(town.RunXl({"link", "ls"}, &out), 0) << out;
  EXPECT_TRUE(HasLine(out, {"child", kSite, "up"})) << out;
  EXPECT_TRUE(HasLine(town_router->Output(), {"live: camera", kVillageB, "refused", full})) << town_router->Output();
  player.reset();
  ASSERT_EQ(first->Wait(seconds(60)), 0) << first->Output();
  ASSERT_EQ(second->Wait(seconds(60)), 0) << second->Output();
  for (const std::string name : {"first", "second"}) {
    Process probe(
        {"/usr/bin/ffprobe", "-v", "error", "-count_frames", "-show_entries",
         "stream=codec_name,width,height,nb_read_frames", "-of", "default=nw=1", town.dir() + "/" + name + ".mp4"},
        town.dir() + "/ffprobe-" + name + ".log");
    ASSERT_EQ(probe.Wait(seconds(30)), 0);
    const std::string got = probe.Output();
    EXPECT_NE(got.find("codec_name=h264\nwidth=768\nheight=576"), std::string::npos) << got;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(got, m, std::regex(R"(nb_read_frames=(\d+))"))) << got;
    EXPECT_GT(std::stoi(m[1]), 20) << name << " watched the village's camera at the town";
  }
  auto links = town.Api("GET", "/api/links");
  ASSERT_TRUE(links.ok());
  const auto children_json = nlohmann::json::parse(links->body)["children"];
  ASSERT_EQ(children_json.size(), 1u) << links->body;
  EXPECT_GT(children_json[0].value("video_frames", 0), 20) << links->body;
  EXPECT_EQ(children_json[0].value("video_refused", 1), 0) << links->body;

  // Everyone left: the town stops asking, the village lets the camera go (lingers: 5 s each).
  EXPECT_TRUE(WaitUntil([&] { return ViewersAt(village, kVillageA).empty(); }, seconds(60)))
      << LiveEntry(village, kVillageA).dump() << village_router->Output();
  EXPECT_TRUE(HasLine(village_router->Output(), {"live video of camera", kVillageA, "to the parent stopped"}));
}

// PTZ from the town's desk reaches a village's GB28181 camera: down the link, through the
// village's router and worker, to the device. The town's desk shows the camera as steerable;
// a bad action is refused at the town.
// An operator at the town opens the clip of a village alert: it comes up the link from the
// village's worker, whole; an event the village does not have is 404 there; the link down is
// a 502 that says so.
TEST(Cascade, AVillageAlertsClipOpensAtTheTown) {
  System town("cascade-clip-town"), village("cascade-clip-village");
  const std::string children = "tcp://127.0.0.1:" + std::to_string(FreePort());
  auto town_router = town.StartRouter({"--children", children});
  std::string out;
  ASSERT_TRUE(AddVillage(town, village, &out)) << out << town_router->Output();
  const std::string street = StreetWithPassersBy(village.dir());
  ASSERT_FALSE(street.empty());
  auto camsim = village.StartCamsim({"a=" + street, "b=" + Fixture("tree.avi")});
  auto village_router = village.StartRouter({"--parent", children, "--parent-key", town.RouterKeyFile()});
  const std::string clips = village.dir() + "/clips";
  auto worker = StartTwoVillages(village, FreePort(), "  clips: {dir: " + clips + ", max_size_mb: 500}\n");
  // Camera A's motion event, ended and at the town.
  std::string event;
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (const LoggedAlert& a : ReadAlertLog(town.Database())) {
          if (a.phase == "end" && a.camera_id == kVillageA && a.alert_id.ends_with("-motion")) event = a.alert_id;
        }
        return !event.empty();
      },
      seconds(150)))
      << village_router->Output() << worker->Output();
  const nlohmann::json at_village = DeskAlert(village, event);
  std::string relative;
  for (const auto& p : at_village["messages"]) {
    if (!p.value("clip", "").empty()) relative = p["clip"];
  }
  ASSERT_FALSE(relative.empty()) << at_village.dump();
  const std::string path = clips + "/" + relative;
  ASSERT_TRUE(WaitUntil([&] { return std::filesystem::exists(path); }, seconds(30))) << worker->Output();
  std::ifstream in(path, std::ios::binary);
  const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(file.size(), 100000u) << "a clip of some 30 s";

  const std::vector<std::pair<std::string, std::string>> session = {{"Cookie", town.AdminCookie()}};
  const std::string desk_clip = town.HttpBase() + "/api/desk/alerts/" + event + "/clip";
  Result<HttpReply> got = Error{"not asked"};
  // The file is whole once its post-capture is over: until then the village says 404.
  ASSERT_TRUE(WaitUntil(
      [&] {
        got = HttpCall("GET", desk_clip, "", "", 60, session);
        return got.ok() && got->status == 200 && got->body.size() == std::filesystem::file_size(path);
      },
      seconds(60)))
      << (got.ok() ? std::to_string(got->status) + " " + got->body.substr(0, 300) : got.error().message) << "\n"
      << town_router->Output() << village_router->Output();
  EXPECT_EQ(got->content_type, "video/mp4");
  EXPECT_EQ(got->body, file) << "the clip as the village's worker wrote it";
  EXPECT_TRUE(HasLine(village_router->Output(), {"clip of " + event, "going up"})) << village_router->Output();

  // The link down: a clear 502 at once.
  village_router->Kill();
  ASSERT_TRUE(WaitUntil([&] { return Has(town.Problems(), std::string("child_link_down:") + kSite); }, seconds(60)));
  auto down = HttpCall("GET", desk_clip, "", "", 60, session);
  ASSERT_TRUE(down.ok());
  EXPECT_EQ(down->status, 502);
  EXPECT_NE(down->body.find("link to"), std::string::npos) << down->body;
}

TEST(Cascade, PtzFromTheTownReachesAVillagesGb28181Camera) {
  System town("cascade-ptz-town"), village("cascade-ptz-village");
  const std::string children = "tcp://127.0.0.1:" + std::to_string(FreePort());
  auto town_router = town.StartRouter({"--children", children});
  std::string out;
  ASSERT_TRUE(AddVillage(town, village, &out, "3402")) << out << town_router->Output();  // the simulator's region
  auto village_router = village.StartRouter({"--parent", children, "--parent-key", town.RouterKeyFile()});
  const int sip_port = FreePort();
  auto worker = StartGbWorker(village, sip_port, FreePort());
  const std::string device = "34020000001110000021", channel = SimChannel(device, 0);
  auto sim = StartGbSim(village, sip_port, device, 1, {});
  ASSERT_TRUE(WaitUntil(
      [&] {
        const auto c = DeskCamera(town, channel);
        return c.is_object() && c.value("ptz", false);
      },
      seconds(120)))
      << DeskCamera(town, channel).dump() << village_router->Output() << worker->Output();

  auto ptz = [&](const std::string& camera, const std::string& action) {
    auto r =
        town.Api("POST", "/api/desk/ptz", nlohmann::json{{"camera", camera}, {"action", action}, {"speed", 31}}.dump());
    out = r.ok() ? r->body : r.error().message;
    return r.ok() ? r->status : 0;
  };
  // Sent once the village's worker runs the channel (it is pinned there when it registers).
  ASSERT_TRUE(WaitUntil([&] { return ptz(channel, "left") == 200; }, seconds(30))) << out;
  ASSERT_TRUE(WaitUntil([&] { return sim->Output().find("PTZ A50F01021F1F00F5 for " + channel) != std::string::npos; },
                        seconds(20)))
      << sim->Output() << village_router->Output();
  EXPECT_TRUE(HasLine(village_router->Output(), {"PTZ left from the parent for camera", channel, "passed on"}))
      << village_router->Output();
  EXPECT_EQ(ptz(channel, "spin"), 400);
  EXPECT_NE(out.find("unknown PTZ action"), std::string::npos) << out;
  EXPECT_EQ(ptz("34020000001310009999", "stop"), 404) << out;
}

// The camera's rate at `sys`'s relay, kbit/s (GET /api/live), 0 when it is not there.
double KbpsAt(System& sys, const std::string& camera) {
  const auto c = LiveEntry(sys, camera);
  return c.is_object() ? c.value("kbps", 0.0) : 0.0;
}

// Three hosts in network namespaces the test makes (as root; skipped where it cannot): a
// village (GB28181 device simulator, worker, router), a town (router) and a county (router,
// desk clients), linked village–town and town–county by veth pairs shaped to 2 Mbit/s each
// way (tc tbf). The county sees the village's cameras and alerts; ten county viewers of one
// camera put one stream on each link; PTZ from the county reaches the device; a county
// acknowledgement shows at the village and a village close at the county; the village–town
// link cut for 60 s during the alerts loses nothing and duplicates nothing.
TEST(Cascade, ThreeHostsOverShapedLinksAVillageSeenFromTheCounty) {
  auto hosts = ThreeHosts::Create("cascade-3", 2000);
  if (!hosts.ok()) GTEST_SKIP() << "no network namespaces here: " << hosts.error().message;
  const Status started = (*hosts)->StartRouters("3402", kSite);
  ASSERT_TRUE(started.ok()) << started.message();
  System &village = (*hosts)->village, &town = (*hosts)->town, &county = (*hosts)->county;
  Process &village_router = *(*hosts)->village_router, &town_router = *(*hosts)->town_router,
          &county_router = *(*hosts)->county_router;
  VethLink &village_town = (*hosts)->village_town(), &town_county = (*hosts)->town_county();
  const int sip_port = FreePort();
  auto worker = StartGbWorker(village, sip_port, FreePort());
  const std::string device = "34020000001110000031", alerting = SimChannel(device, 0), watched = SimChannel(device, 1);
  auto sim = StartGbSim(village, sip_port, device, 2, {});

  // The county sees the village's cameras, two links down, with their site path; and its alerts.
  ASSERT_TRUE(WaitUntil(
      [&] {
        const auto c = DeskCamera(county, watched);
        return c.is_object() && c.value("codec", "") == "h264" && c.value("health", "") == "online";
      },
      seconds(120)))
      << DeskCamera(county, watched).dump() << village_router.Output() << town_router.Output();
  EXPECT_EQ(DeskCamera(county, watched).value("site", ""), "东街镇/东街村");
  auto at_county = [&] { return Logged(county.Database(), true); };
  auto at_village = [&] { return Logged(village.Database(), true); };
  ASSERT_TRUE(WaitUntil([&] { return !Of(at_county(), alerting).empty(); }, seconds(120)))
      << village_router.Output() << town_router.Output() << county_router.Output();

  // Ten viewers at the county: one copy of the stream on each link. The links' bytes over
  // 8 s with them, less the bytes of 8 s before (alerts, hellos), are about one stream's.
  auto link_bytes = [&] { return village_town.BytesFromA() + town_county.BytesFromA(); };
  const int64_t before0 = link_bytes();
  std::this_thread::sleep_for(seconds(8));
  const int64_t quiet = link_bytes() - before0;
  std::vector<std::unique_ptr<Process>> viewers;
  for (int i = 0; i < 10; ++i) {
    viewers.push_back(county.Launch(
        {"/usr/bin/env", std::string("XL_PASSWORD=") + kAdminPassword, Binary("tools/xl"), "--api", county.HttpBase(),
         "live", watched, "--out", county.dir() + "/viewer-" + std::to_string(i) + ".mp4", "--seconds", "30"},
        county.dir() + "/viewer-" + std::to_string(i) + ".log"));
  }
  const std::vector<std::string> the_link = {"link"};
  ASSERT_TRUE(WaitUntil(
      [&] {
        return ViewersAt(county, watched).size() == 10 && ViewersAt(town, watched) == the_link &&
               ViewersAt(village, watched) == the_link && KbpsAt(county, watched) > 0;
      },
      seconds(30)))
      << LiveEntry(county, watched).dump() << LiveEntry(town, watched).dump() << LiveEntry(village, watched).dump();
  double stream_kbps = 0;
  const int64_t before10 = link_bytes();
  for (int i = 0; i < 8; ++i) {
    std::this_thread::sleep_for(seconds(1));
    stream_kbps += KbpsAt(village, watched) / 8;
  }
  const int64_t watched_bytes = link_bytes() - before10;
  EXPECT_EQ(ViewersAt(village, watched), the_link) << "one copy leaves the village";
  EXPECT_EQ(ViewersAt(town, watched), the_link) << "one copy leaves the town";
  const double one_stream = stream_kbps * 1000 / 8 * 8 * 2;  // bytes of 8 s, on both links
  EXPECT_GT(one_stream, 0);
  std::cout << "links, 8 s: " << watched_bytes << " bytes with 10 viewers, " << quiet << " without; one stream "
            << one_stream << "\n";
  EXPECT_LT(double(watched_bytes - quiet), 1.4 * one_stream)
      << watched_bytes << " bytes on the links with 10 viewers, " << quiet << " without; one stream: " << one_stream;
  EXPECT_GT(double(watched_bytes - quiet), 0.5 * one_stream)
      << watched_bytes << " bytes on the links with 10 viewers, " << quiet << " without; one stream: " << one_stream;
  for (auto& v : viewers) EXPECT_EQ(v->Wait(seconds(60)), 0) << v->Output();
  EXPECT_GT(std::filesystem::file_size(county.dir() + "/viewer-9.mp4"), 10000u);

  // PTZ from the county reaches the device, through the town and the village.
  auto ptz = county.Api("POST", "/api/desk/ptz",
                        nlohmann::json{{"camera", alerting}, {"action", "left"}, {"speed", 31}}.dump());
  ASSERT_TRUE(ptz.ok());
  EXPECT_EQ(ptz->status, 200) << ptz->body;
  EXPECT_TRUE(WaitUntil([&] { return sim->Output().find("PTZ A50F01021F1F00F5 for " + alerting) != std::string::npos; },
                        seconds(20)))
      << sim->Output() << town_router.Output();

  // The closed loop across two links: the county acknowledges, the village sees it and
  // closes, the county sees it closed.
  std::string alert;
  for (const LoggedAlert& a : ReadAlertLog(county.Database())) {
    if (a.phase == "start" && a.camera_id == alerting && StateAt(county, a.alert_id) == "new") {
      alert = a.alert_id;
      break;
    }
  }
  ASSERT_FALSE(alert.empty());
  ASSERT_EQ(Post(county, alert, "ack"), 200);
  ASSERT_TRUE(WaitUntil([&] { return StateAt(village, alert) == "acknowledged"; }, seconds(30)))
      << DeskAlert(village, alert).dump();
  EXPECT_NE(DeskAlert(village, alert)["responder"].value("site", "").find("县中心"), std::string::npos)
      << DeskAlert(village, alert).dump();
  ASSERT_EQ(Post(village, alert, "dispatch", {{"unit", "东街派出所"}}), 200);
  ASSERT_EQ(Post(village, alert, "handle", {{"note", "on site"}}), 200);
  ASSERT_EQ(Post(village, alert, "close", {{"note", "a passer-by"}}), 200);
  ASSERT_TRUE(WaitUntil([&] { return StateAt(county, alert) == "closed"; }, seconds(30)))
      << DeskAlert(county, alert).dump();

  // The village–town link is cut for 60 s while alerts go on: the village keeps them, its
  // cameras show "link down" at the county; restored, every alert reaches the county once,
  // in order per camera.
  const size_t before_cut = Of(at_village(), alerting).size();
  ASSERT_TRUE(village_town.SetUp(false).ok());
  const auto cut = std::chrono::steady_clock::now();
  EXPECT_TRUE(WaitUntil([&] { return HealthAt(county, alerting) == "link_down"; }, seconds(30)))
      << DeskCamera(county, alerting).dump();
  std::this_thread::sleep_until(cut + seconds(60));
  EXPECT_GT(Of(at_village(), alerting).size(), before_cut) << "no alerts while the link was down";
  ASSERT_TRUE(village_town.SetUp(true).ok());
  ASSERT_TRUE(WaitUntil([&] { return HealthAt(county, alerting) == "online"; }, seconds(60)))
      << DeskCamera(county, alerting).dump() << village_router.Output();
  sim->Stop();
  for (const std::string& camera : {alerting, watched}) {
    EXPECT_TRUE(WaitUntil([&] { return Of(at_county(), camera) == Of(at_village(), camera); }, seconds(120)))
        << camera << ": " << Of(at_county(), camera).size() << " at the county, " << Of(at_village(), camera).size()
        << " at the village\n"
        << village_router.Output();
  }
  EXPECT_GT(Of(at_county(), alerting).size(), before_cut);
  std::cout << "alerts at the county: " << Count(at_county()) << " (" << before_cut << " of camera " << alerting
            << " before the cut)\n";
}

// A parent refuses a child key with a prefix that is not a region, and a router with a
// parent but no key for it does not start.
TEST(Cascade, ChildKeysNeedARegionAndAParentNeedsItsKey) {
  System town("cascade-keys");
  auto router = town.StartRouter();
  std::string out;
  ASSERT_TRUE(WaitUntil([&] { return town.RunXl({"key", "ls"}, &out) == 0; }, seconds(30))) << out;
  EXPECT_NE(town.RunXl({"key", "add", "child", kSite, town.RouterKeyFile(), "--prefix", "33x"}, &out), 0);
  EXPECT_NE(out.find("region prefix"), std::string::npos) << out;
  EXPECT_NE(town.RunXl({"key", "add", "child", kSite, town.RouterKeyFile()}, &out), 0);

  System village("cascade-keys-village");
  auto lone = village.StartRouter({"--parent", "tcp://127.0.0.1:1"});
  ASSERT_NE(lone->Wait(std::chrono::seconds(30)), -1);
  EXPECT_NE(lone->Output().find("--parent and --parent-key go together"), std::string::npos) << lone->Output();
}

// The children endpoint, tried as a stranger: a key the town does not know, a worker's key
// and no CURVE at all get no answer, the refused handshakes are counted, and no link appears.
TEST(Cascade, StrangersOnTheChildrenEndpointGetNothing) {
  System town("cascade-strangers");
  const std::string children = "tcp://127.0.0.1:" + std::to_string(FreePort());
  auto router = town.StartRouter({"--children", children});
  std::string out;
  ASSERT_TRUE(WaitUntil([&] { return town.RunXl({"key", "ls"}, &out) == 0; }, seconds(30))) << out;
  const double refused = town.Metric("xl_refused_connections_total");
  const std::string server = ResolvePublicKey(town.RouterKeyFile()).value();
  const std::vector<std::optional<CurveKeyPair>> peers = {
      GenerateCurveKeyPair().value(), ReadCurveKeyPair(town.TrustKey("worker-x", "worker", "x")).value(), std::nullopt};
  zmq::context_t ctx(1);
  for (const auto& own : peers) {
    zmq::socket_t peer(ctx, zmq::socket_type::dealer);
    peer.set(zmq::sockopt::linger, 0);
    if (own) MakeCurveClient(peer, {*own, server});
    peer.connect(children);
    wire::LinkUp up;
    up.mutable_hello()->set_log_stream(1);
    up.mutable_hello()->set_log_head(1);
    (void)peer.send(ToFrame(up), zmq::send_flags::dontwait);
    zmq::pollitem_t item{peer.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(3000));
    EXPECT_FALSE(item.revents & ZMQ_POLLIN) << "the children endpoint answered a stranger";
  }
  // The unknown key and the worker's key reach the ZAP handler and are refused there.
  EXPECT_TRUE(WaitUntil([&] { return town.Metric("xl_refused_connections_total") >= refused + 2; }, seconds(30)))
      << town.Metric("xl_refused_connections_total") << " refused, " << refused << " before";
  auto links = town.Api("GET", "/api/links");
  ASSERT_TRUE(links.ok());
  EXPECT_EQ(nlohmann::json::parse(links->body)["children"].size(), 0u) << links->body;
  EXPECT_NE(router->Output().find("to the children endpoint"), std::string::npos) << router->Output();
}

}  // namespace
}  // namespace xl::test
